// `neox model info` end to end: Pythia-70M sized from its preset and the 20B tokenizer, the JSON
// contract's keys, and configs with problems reported one line each with the key named.
// `neox model logits`: a PyTorch golden fixture loaded with --load gives the fixture's logits, and
// the loss recomputed here from them; bad token ids and a missing tensor are named.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runNeox } from "./helpers/run-neox";
import { haveShared, SHARED } from "./helpers/shared";

const dir = mkdtempSync(join(tmpdir(), "neox-model-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(haveShared())("neox model info on Pythia-70M", () => {
  const tok = () => resolve(SHARED, "data/tokenizers/gpt-neox-20b/tokenizer.json");
  const args = (...more: string[]) => [
    "model",
    "info",
    "configs/pythia/70M.yml",
    "configs/local_setup.yml",
    "--set",
    `vocab_file=${tok()}`,
    ...more,
  ];

  it("--json has the contract's keys; 70,426,624 parameters with the vocabulary padded to 50304", () => {
    const r = runNeox(args("--json"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    for (const k of [
      "parameters",
      "non_embedding_parameters",
      "flops_per_token",
      "memory_bytes",
      "architecture",
      "layers",
      "hidden_size",
      "padded_vocab_size",
    ])
      expect(info).toHaveProperty(k);
    expect(info.parameters).toBe(70_426_624);
    expect(info.non_embedding_parameters).toBe(70_426_624 - 2 * 50304 * 512);
    expect(info.padded_vocab_size).toBe(50304);
    expect(info.layers).toBe(6);
    expect(info.hidden_size).toBe(512);
    expect(info.architecture).toBe("gpt-neox");
    // neox-spec §1.9 per token, f = 3: 24·3·l·h²·(1 + s/(6h) + V/(16lh))
    const [l, h, s, V] = [6, 512, 2048, 50304];
    expect(info.flops_per_token).toBeCloseTo(72 * l * h * h * (1 + s / (6 * h) + V / (16 * l * h)), 0);
    // fp16 preset: 16-bit weights and gradients, fp32 master weights + Adam moments
    expect(info.memory_bytes).toEqual({
      weights: 2 * 70_426_624,
      gradients: 2 * 70_426_624,
      optimizer_state: 12 * 70_426_624,
      activations: expect.any(Number),
      activations_checkpointed: expect.any(Number),
    });
    expect(info.memory_bytes.activations_checkpointed).toBeLessThan(info.memory_bytes.activations);
  });

  it("the text report shows the count, and --world-size splits the ZeRO-1 optimizer state", () => {
    const r = runNeox(args("--world-size", "8"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/parameters\s+70,426,624/);
    expect(r.stdout).toMatch(/per GPU at world size 8/);
    const one = JSON.parse(runNeox(args("--json")).stdout);
    const eight = JSON.parse(runNeox(args("--json", "--world-size", "8")).stdout);
    expect(eight.memory_bytes_per_gpu.optimizer_state).toBe(Math.ceil(one.memory_bytes.optimizer_state / 8));
    expect(eight.memory_bytes_per_gpu.weights).toBe(one.memory_bytes.weights);
  });

  it("--params lists the parameter names with GPT-NeoX's sequential keys and shapes", () => {
    const r = runNeox(args("--json", "--params"));
    const table = JSON.parse(r.stdout).parameter_table as {
      name: string;
      sequential: string;
      shape: number[];
    }[];
    expect(table[0]).toEqual({
      name: "word_embeddings.weight",
      sequential: "sequential.0.word_embeddings.weight",
      shape: [50304, 512],
      numel: 50304 * 512,
    });
    expect(table.at(-1)?.name).toBe("final_linear.weight");
    expect(table.at(-1)?.sequential).toBe("sequential.10.final_linear.weight");
  });
});

describe("neox model info on bad configs", () => {
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const base = "num_layers: 2\nmax_position_embeddings: 64\ntrain_micro_batch_size_per_gpu: 1\n";

  it("heads not dividing the hidden size: one line naming the key, exit 1", () => {
    const f = write("heads.yml", `${base}hidden_size: 100\nnum_attention_heads: 3\n`);
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(f);
    expect(lines[0]).toContain("num_attention_heads");
    expect(lines[0]).toContain("hidden_size (100)");
  });

  it("an unknown activation: one line naming the key and the expected values, exit 1", () => {
    const f = write("act.yml", `${base}hidden_size: 64\nnum_attention_heads: 4\nactivation: gelu2\n`);
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/activation: expected .*"swiglu"/);
    expect(lines[0]).toContain('"gelu2"');
  });

  it("kv heads not dividing heads: one line naming num_kv_heads", () => {
    const f = write("kv.yml", `${base}hidden_size: 64\nnum_attention_heads: 4\nnum_kv_heads: 3\n`);
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("num_kv_heads");
  });

  it("a tokenizer that does not load: one line naming vocab_file, exit 1", () => {
    const f = write(
      "tok.yml",
      `${base}hidden_size: 64\nnum_attention_heads: 4\ntokenizer_type: HFTokenizer\nvocab_file: ${join(dir, "none.json")}\n`,
    );
    const r = runNeox(["model", "info", f]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("padded_vocab_size");
    expect(lines[0]).toContain("none.json");
  });

  it("padded_vocab_size written in the config needs no tokenizer (a checkpoint's config)", () => {
    const f = write("padded.yml", `${base}hidden_size: 64\nnum_attention_heads: 4\npadded_vocab_size: 128\n`);
    const r = runNeox(["model", "info", f, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.padded_vocab_size).toBe(128);
    // GPT-NeoX defaults: learned positions, tied output, biases, two LayerNorms, 4h GELU MLP
    const h = 64;
    const layer = 2 * 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + (h * 4 * h + 4 * h) + (4 * h * h + h);
    const nonEmbedding = 2 * layer + 2 * h;
    expect(info.non_embedding_parameters).toBe(nonEmbedding);
    expect(info.parameters).toBe(nonEmbedding + 128 * h + 64 * h);
  });
});

// The golden fixtures (packages/models/test/fixtures/golden) are safetensors files written by
// PyTorch's side; they are read here with a few lines of header parsing, independently of
// @neox/tensor's reader, which the command itself uses.
const GOLDEN = resolve(import.meta.dirname, "../packages/models/test/fixtures/golden");

interface StEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function readSt(file: string): { header: Record<string, StEntry>; data: Buffer } {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  delete header.__metadata__;
  return { header, data: buf.subarray(8 + n) };
}

function stArray(st: ReturnType<typeof readSt>, name: string): Float64Array {
  const e = st.header[name]!;
  const bytes = st.data.subarray(e.data_offsets[0], e.data_offsets[1]);
  const copy = new Uint8Array(bytes).buffer;
  if (e.dtype === "F32") return Float64Array.from(new Float32Array(copy));
  if (e.dtype === "I64") return Float64Array.from(new BigInt64Array(copy), Number);
  throw new Error(`${name}: ${e.dtype} is not read by this test`);
}

/** The file without the tensors `drop` (offsets renumbered, header padded to 8 bytes). */
function writeStWithout(from: string, to: string, drop: readonly string[]): void {
  const st = readSt(from);
  const header: Record<string, StEntry> = {};
  const parts: Buffer[] = [];
  let at = 0;
  for (const [name, e] of Object.entries(st.header)) {
    if (drop.includes(name)) continue;
    const bytes = st.data.subarray(e.data_offsets[0], e.data_offsets[1]);
    header[name] = { ...e, data_offsets: [at, at + bytes.length] };
    parts.push(bytes);
    at += bytes.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(to, Buffer.concat([len, Buffer.from(json), ...parts]));
}

describe("neox model logits", () => {
  const CASE = "neox_parallel";
  const desc = JSON.parse(readFileSync(join(GOLDEN, `${CASE}.json`), "utf8"));
  // The fixture's config is GPT-NeoX keys; it names no tokenizer, so the padded size goes in too.
  const config = join(dir, `${CASE}.json`);
  writeFileSync(config, JSON.stringify({ ...desc.config, padded_vocab_size: desc.padded_vocab_size }));
  const weights = join(dir, "weights");
  mkdirSync(weights);
  writeStWithout(join(GOLDEN, `${CASE}.safetensors`), join(weights, "model.safetensors"), []);
  const st = readSt(join(GOLDEN, `${CASE}.safetensors`));
  const [, T] = st.header.inputs!.shape as [number, number];
  const V = desc.padded_vocab_size as number;
  const ids = Array.from(stArray(st, "inputs").subarray(0, T)); // the first row of the batch
  const want = stArray(st, "logits").subarray(0, T * V); // its logits, float64 in PyTorch
  const row = (t: number) => Array.from(want.subarray(t * V, (t + 1) * V));
  const argmax = (r: number[]) => r.indexOf(Math.max(...r));
  const close = (got: number[], exp: number[]) => {
    expect(got).toHaveLength(exp.length);
    for (let i = 0; i < exp.length; i++) expect(Math.abs(got[i]! - exp[i]!)).toBeLessThan(1e-5);
  };

  it("--load on a golden fixture: the JSON keys exactly, and the fixture's logits, argmax and loss", () => {
    const r = runNeox(["model", "logits", config, "--load", weights, "--tokens", ids.join(","), "--json"]);
    expect(r.code).toBe(0);
    // the fixture's inputs, labels, logits and gradients are not parameters: one note names them
    expect(r.stderr).toMatch(/^note: --load: ignored \d+ tensor\(s\) that name no parameter: inputs, /);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(
      [
        "num_tokens",
        "vocab_size",
        "loss",
        "per_position_first8",
        "per_position_argmax",
        "last_logits",
        "top5",
      ].sort(),
    );
    expect(out.num_tokens).toBe(T);
    expect(out.vocab_size).toBe(V);
    for (let t = 0; t < T; t++) close(out.per_position_first8[t], row(t).slice(0, 8));
    close(out.last_logits, row(T - 1));
    expect(out.per_position_argmax).toEqual(Array.from({ length: T }, (_, t) => argmax(row(t))));
    // mean next-token cross-entropy over T - 1 predictions, from the stored logits in float64
    let nll = 0;
    for (let t = 0; t + 1 < T; t++) {
      const r = row(t);
      const m = Math.max(...r);
      nll += m + Math.log(r.reduce((a, x) => a + Math.exp(x - m), 0)) - r[ids[t + 1]!]!;
    }
    expect(Math.abs(out.loss - nll / (T - 1))).toBeLessThan(1e-5);
    const top = row(T - 1)
      .map((logit, id) => ({ id, logit }))
      .sort((a, b) => b.logit - a.logit)
      .slice(0, 5);
    expect(out.top5.map((x: { id: number }) => x.id)).toEqual(top.map((x) => x.id));
    close(
      out.top5.map((x: { logit: number }) => x.logit),
      top.map((x) => x.logit),
    );
  });

  it("seeded weights and one token: text output, no loss to report", () => {
    const r = runNeox(["model", "logits", config, "--tokens", "5"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/weights\s+seeded initialisation \(seed \d+\)/);
    expect(r.stdout).toMatch(/num_tokens\s+1\n/);
    expect(r.stdout).toMatch(/loss\s+none/);
  });

  it("a token id not below the padded vocabulary: exit 2 naming --tokens, the id and the size", () => {
    const r = runNeox(["model", "logits", config, "--tokens", `1,${V}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      `neox model logits: --tokens: token id ${V} is not below the padded vocabulary size ${V}`,
    );
  });

  it("a weight file missing a tensor: exit 1, one line naming it and its expected shape", () => {
    const partial = join(dir, "partial");
    mkdirSync(partial);
    const gone = "sequential.3.attention.dense.weight"; // layers.1 of 2
    writeStWithout(join(GOLDEN, `${CASE}.safetensors`), join(partial, "model.safetensors"), [gone]);
    const r = runNeox(["model", "logits", config, "--load", partial, "--tokens", "1,2"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`"${gone}"`);
    expect(lines[0]).toContain('"layers.1.attention.dense.weight"');
    expect(lines[0]).toContain(`expected shape [${st.header[gone]!.shape.join(", ")}]`);
  });
});
