// GPT-NeoX's own checkpoint keys beside our parameter names (neox-spec §4.2). GPT-NeoX stores a
// model as a pipeline of layer specs: index 0 the embedding, 2 .. L+1 the transformer layers,
// L+3 the final norm, L+4 the output linear (1 and L+2 are functions without parameters). Its
// sequential checkpoints prefix each key with `sequential.<idx>.`; its pipeline checkpoints write
// one `layer_<idx>` file per index with the bare key. Our names use `layers.{i}` for the blocks
// and the bare key elsewhere, so the mapping is an index shift, not a renaming table.

const LAYER = /^layers\.(\d+)\.(.+)$/;
const SEQUENTIAL = /^sequential\.(\d+)\.(.+)$/;

/** The layer-spec index and bare key of a parameter name, for a model of L layers. */
export function layerSpecKey(name: string, L: number): { index: number; key: string } {
  const m = LAYER.exec(name);
  if (m) return { index: Number(m[1]) + 2, key: m[2]! };
  if (name.startsWith("word_embeddings.") || name.startsWith("position_embeddings."))
    return { index: 0, key: name };
  if (name.startsWith("norm.")) return { index: L + 3, key: name };
  if (name.startsWith("final_linear.")) return { index: L + 4, key: name };
  throw new Error(`checkpoint names: no GPT-NeoX layer spec holds "${name}"`);
}

/** `layers.3.mlp.linear1.weight` -> `sequential.5.mlp.linear1.weight` (L layers). */
export function toSequentialName(name: string, L: number): string {
  const { index, key } = layerSpecKey(name, L);
  return `sequential.${index}.${key}`;
}

/** `sequential.5.mlp.linear1.weight` -> `layers.3.mlp.linear1.weight` (L layers). */
export function fromSequentialName(key: string, L: number): string {
  const m = SEQUENTIAL.exec(key);
  if (!m) throw new Error(`checkpoint names: "${key}" is not a sequential.<idx>.<key> name`);
  const index = Number(m[1]);
  const rest = m[2]!;
  if (index >= 2 && index <= L + 1) return `layers.${index - 2}.${rest}`;
  if (index === 0 || index === L + 3 || index === L + 4) return rest;
  throw new Error(
    `checkpoint names: layer spec ${index} of a ${L}-layer model holds no parameters ("${key}")`,
  );
}
