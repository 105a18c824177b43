// @neox/convert: checkpoints to and from Hugging Face directories (safetensors, config.json,
// tokenizer files) and ONNX graphs. See README.md.
export * from "./onnx/index";
