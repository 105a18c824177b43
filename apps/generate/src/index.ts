// @neox/app-generate
