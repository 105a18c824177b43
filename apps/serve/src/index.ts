// @neox/app-serve
