// @neox/models: decoder-only architectures on @neox/tensor, built from a resolved @neox/config.
export * from "./report/index";
