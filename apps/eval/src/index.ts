// @neox/app-eval
