// Model size, FLOPs per token and memory by component, computed from the config alone.
export {};
