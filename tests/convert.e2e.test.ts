// `neox convert` as a user runs it, on a model trained by `neox train` (tests/helpers/tiny-checkpoint):
// export to a Hugging Face directory, import it back, and the imported checkpoint gives the same
// `neox model logits`, fine-tunes with `finetune: true`, and exports to the same HF bytes again.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseConfigText, resolveParsed, withVocabSize } from "@neox/config";
import { writeCheckpoint } from "@neox/convert";
import { parameterTable } from "@neox/models";
import { SafetensorsFile } from "@neox/tensor";
import { loadTokenizer } from "@neox/tokenize";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runNeox } from "./helpers/run-neox";
import { spawnNeox } from "./helpers/spawn-neox";
import { type TinyCheckpoint, tinyCheckpoint, tinyModelLogits } from "./helpers/tiny-checkpoint";

const IDS = [84, 104, 101, 32, 107, 105, 110, 103, 10, 65];

let ck: TinyCheckpoint;
let work: string;

beforeAll(async () => {
  ck = await tinyCheckpoint();
  work = mkdtempSync(join(tmpdir(), "neox-convert-e2e-"));
}, 600_000);

function ok(args: string[]): string {
  const r = runNeox(args);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

/** name -> raw bytes of every tensor of a safetensors file. */
function tensorBytes(path: string): Map<string, Buffer> {
  const f = SafetensorsFile.open(path);
  const out = new Map(f.names().map((n) => [n, Buffer.from(f.readBytes(n))] as const));
  f.close();
  return out;
}

describe("neox convert", () => {
  it("hf-export then hf-import: same weights, same logits, fine-tunable, same HF bytes again", async () => {
    const hf = join(work, "hf");
    const out = ok(["convert", "hf-export", "--input", ck.save, "--output", hf, "--architecture", "neox"]);
    expect(out).toContain("hf-export:");
    const config = JSON.parse(readFileSync(join(hf, "config.json"), "utf8"));
    expect(config.architectures).toEqual(["GPTNeoXForCausalLM"]);
    expect(config.vocab_size).toBe(512); // CharLevelTokenizer, padded
    expect(config.torch_dtype).toBe("float32");

    const back = join(work, "ckpt");
    const yml = join(work, "imported.yml");
    ok(["convert", "hf-import", "--input", hf, "--output", back, "--config-out", yml]);
    expect(readFileSync(join(back, "latest"), "utf8").trim()).toBe("global_step0");

    // The trainer wrote global_step300 (iteration metadata differs); every tensor's bytes are equal.
    const original = tensorBytes(join(ck.save, "global_step300", "model.safetensors"));
    const imported = tensorBytes(join(back, "global_step0", "model.safetensors"));
    expect([...imported.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, bytes] of original) expect(Buffer.compare(imported.get(name)!, bytes), name).toBe(0);

    // The imported config runs as written plus the tokenizer (the HF directory had none).
    const want = await tinyModelLogits(ck, IDS);
    const got = JSON.parse(
      ok([
        "model",
        "logits",
        yml,
        "--load",
        back,
        "--set",
        "tokenizer_type=CharLevelTokenizer",
        "--tokens",
        IDS.join(","),
        "--json",
      ]),
    );
    expect(got.last_logits).toEqual(want.last_logits);
    expect(got.per_position_argmax).toEqual(want.per_position_argmax);
    expect(got.loss).toBe(want.loss);

    // Exported again from the imported checkpoint: the same HF weights file, byte for byte.
    const hf2 = join(work, "hf2");
    ok(["convert", "hf-export", "--input", back, "--output", hf2, "--architecture", "neox"]);
    expect(
      Buffer.compare(
        readFileSync(join(hf2, "model.safetensors")),
        readFileSync(join(hf, "model.safetensors")),
      ),
    ).toBe(0);
    // The same config but bos/eos: our config has no key for them, and the imported one names no
    // tokenizer to take them from.
    const config2 = JSON.parse(readFileSync(join(hf2, "config.json"), "utf8"));
    expect({ ...config2, bos_token_id: 0, eos_token_id: 0 }).toEqual(config);
    expect(config2.bos_token_id).toBe(null);

    // The trainer loads it for a fine-tune (weights only, iteration 0).
    const f = await spawnNeox([
      "train",
      yml,
      ...[
        "--set",
        "tokenizer_type=CharLevelTokenizer",
        "--set",
        `data_path=${join(dirname(ck.save), "shakespeare")}`,
      ],
      ...["--set", `load=${back}`, "--set", "finetune=true"],
      ...["--set", "seq_length=32", "--set", "train_iters=2", "--set", "split=1000,0,0"],
      ...["--set", "eval_iters=0", "--set", "eval_interval=1000", "--set", "log_interval=1"],
    ]).done;
    expect(f.stderr + f.stdout).toMatch(/fine-tuning from .*weights loaded, starting at iteration 0/);
    expect(f.code).toBe(0);
  }, 300_000);

  it("the package script runs the same export", () => {
    const a = join(work, "hf-a");
    const b = join(work, "hf-b");
    ok([
      "convert",
      "hf-export",
      "--input",
      ck.save,
      "--output",
      a,
      "--architecture",
      "neox",
      "--precision",
      "bf16",
    ]);
    const r = spawnSync(
      "pnpm",
      [
        "--filter",
        "convert",
        "-s",
        "hf-export",
        "--",
        "--input",
        ck.save,
        "--output",
        b,
        "--architecture",
        "neox",
        "--precision",
        "bf16",
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(
      Buffer.compare(readFileSync(join(a, "model.safetensors")), readFileSync(join(b, "model.safetensors"))),
    ).toBe(0);
  }, 120_000);

  it("a Llama with Llama 2's SentencePiece tokenizer: tokenizer.model out and back, bos/eos its eod", async () => {
    // A tiny Llama (random weights) on the real tokenizer, written in the trainer's checkpoint format.
    const spm = resolve(REPO_ROOT, "../shared/data/tokenizers/llama2/tokenizer.model");
    const yaml = [
      "num_layers: 1",
      "hidden_size: 16",
      "num_attention_heads: 4",
      "num_kv_heads: 2",
      "seq_length: 8",
      "max_position_embeddings: 8",
      "pos_emb: rotary",
      "norm: rmsnorm",
      "activation: swiglu",
      "intermediate_size: 48",
      "use_bias_in_norms: false",
      "use_bias_in_attn_linear: false",
      "use_bias_in_mlp: false",
      "no_weight_tying: true",
      "tokenizer_type: SPMTokenizer",
      `vocab_file: ${spm}`,
      "train_micro_batch_size_per_gpu: 1",
      "",
    ].join("\n");
    const tok = await loadTokenizer({ tokenizerType: "SPMTokenizer", vocabFile: spm });
    const r = withVocabSize(resolveParsed([parseConfigText(yaml, "llama.yml")], {}), tok.vocabSize);
    expect(r.problems).toEqual([]);
    const save = join(work, "spm-ckpt");
    mkdirSync(save);
    writeCheckpoint(save, {
      params: parameterTable(r).map((e) => ({
        name: e.name,
        shape: e.shape,
        data: () => Float32Array.from({ length: e.numel }, (_, i) => Math.sin(i + e.name.length)),
      })),
      config: r.values,
      configFiles: { "llama.yml": yaml },
      seed: 1234,
      seqLength: 8,
    });

    const hf = join(work, "spm-hf");
    ok(["convert", "hf-export", "--input", save, "--output", hf, "--architecture", "llama"]);
    expect(Buffer.compare(readFileSync(join(hf, "tokenizer.model")), readFileSync(spm))).toBe(0);
    expect(JSON.parse(readFileSync(join(hf, "tokenizer_config.json"), "utf8")).tokenizer_class).toBe(
      "LlamaTokenizer",
    );
    const config = JSON.parse(readFileSync(join(hf, "config.json"), "utf8"));
    expect([config.bos_token_id, config.eos_token_id]).toEqual([tok.eod, tok.eod]);

    const back = join(work, "spm-back");
    ok(["convert", "hf-import", "--input", hf, "--output", back]);
    const text = readFileSync(join(back, "global_step0", "configs", "model.yml"), "utf8");
    expect(text).toContain('tokenizer_type: "SPMTokenizer"');
    expect(text).toContain(`vocab_file: ${JSON.stringify(join(back, "tokenizer.model"))}`);
    expect(Buffer.compare(readFileSync(join(back, "tokenizer.model")), readFileSync(spm))).toBe(0);
  }, 120_000);

  it("bad flags and bad inputs: a usage error naming the flag, or one line naming the file", () => {
    const r = runNeox([
      "convert",
      "hf-export",
      "--input",
      ck.save,
      "--architecture",
      "gpt2",
      "--output",
      join(work, "x"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--architecture expects neox, llama or mistral, got "gpt2"');
    const m = runNeox(["convert", "hf-import", "--input", work, "--output", join(work, "y")]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/config\.json: missing/);
    expect(m.stderr.trim().split("\n")).toHaveLength(1);
  });
});
