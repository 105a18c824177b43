// A small trained model for the inference verbs' end-to-end tests (generate, eval, serve): GPT-NeoX's
// CharLevelTokenizer (bytes, no files) trained by `neox train` on Tiny Shakespeare for a few hundred
// iterations, so it has learnt English letters, spaces and line structure and its samples and
// scores are those of a real (if tiny) language model. Trained once per machine and config: the
// checkpoint is kept under the system temp directory, named by a hash of its config, written to a
// temporary directory and renamed into place (so concurrent test files never see half of one).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { IndexedDatasetWriter } from "@neox/data-mmap";
import { CharLevelTokenizer } from "@neox/tokenize";
import { REPO_ROOT } from "./run-neox";
import { spawnNeox } from "./spawn-neox";

export const SHAKESPEARE = resolve(REPO_ROOT, "../shared/data/corpora/tinyshakespeare.txt");

/** The model's config lines; `load`/`save` and `data_path` are added per checkout. */
const MODEL = [
  "num_layers: 2",
  "hidden_size: 96",
  "num_attention_heads: 4",
  "seq_length: 128",
  "max_position_embeddings: 128",
  "pos_emb: rotary",
  "rotary_pct: 0.5",
  "gpt_j_residual: true",
  "no_weight_tying: true",
  "tokenizer_type: CharLevelTokenizer",
  "train_micro_batch_size_per_gpu: 8",
  "gradient_accumulation_steps: 1",
  "optimizer: {type: Adam, params: {lr: 0.004, betas: [0.9, 0.95]}}",
  "lr_decay_style: cosine",
  "min_lr: 0.0004",
  "warmup: 0.02",
  "train_iters: 300",
  "checkpoint_factor: 100000",
  "eval_interval: 100000",
  "eval_iters: 0",
  "log_interval: 100",
  "seed: 1234",
  'split: "1000,0,0"',
];

export interface TinyCheckpoint {
  /** A config file naming the checkpoint as `load` (pass it to neox generate / eval / serve). */
  config: string;
  /** The save directory (holds `latest`). */
  save: string;
}

let cached: Promise<TinyCheckpoint> | null = null;

export function tinyCheckpoint(): Promise<TinyCheckpoint> {
  cached ??= build();
  return cached;
}

async function build(): Promise<TinyCheckpoint> {
  const key = createHash("sha256")
    .update(MODEL.join("\n"))
    .update(readFileSync(SHAKESPEARE))
    .digest("hex")
    .slice(0, 16);
  const home = join(tmpdir(), `neox-tiny-checkpoint-${key}`);
  const done: TinyCheckpoint = { config: join(home, "model.yml"), save: join(home, "checkpoints") };
  if (existsSync(join(done.save, "latest"))) return done;

  const work = mkdtempSync(join(tmpdir(), "neox-tiny-checkpoint-work-"));
  try {
    // One document per speech (blank-line separated), as bytes, each ending with the eod id.
    const tok = new CharLevelTokenizer();
    const w = IndexedDatasetWriter.create(join(work, "shakespeare"), { vocabSize: tok.vocabSize });
    for (const speech of readFileSync(SHAKESPEARE, "utf8").split(/\n\s*\n/)) {
      if (speech.trim() === "") continue;
      w.addDocument([...tok.encode(`${speech.trim()}\n`), tok.eod]);
    }
    w.finalize();
    const lines = (dir: string) =>
      [
        ...MODEL,
        `data_path: ${join(dir, "shakespeare")}`,
        `save: ${join(dir, "checkpoints")}`,
        `load: ${join(dir, "checkpoints")}`,
        "",
      ].join("\n");
    writeFileSync(join(work, "model.yml"), lines(work));
    const f = await spawnNeox(["train", join(work, "model.yml")]).done;
    if (f.code !== 0) throw new Error(`training the tiny checkpoint failed (exit ${f.code}):\n${f.stderr}`);
    // Point the config at the final place, then move the whole directory there in one rename.
    writeFileSync(join(work, "model.yml"), lines(home));
    mkdirSync(tmpdir(), { recursive: true });
    try {
      renameSync(work, home);
    } catch (err) {
      if (!existsSync(join(done.save, "latest"))) throw err; // another test file got there first
    }
    return done;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface ModelLogits {
  /** Mean next-token loss over the ids. */
  loss: number;
  /** Logits of the last position. */
  last_logits: number[];
  /** The argmax at each position. */
  per_position_argmax: number[];
}

/** `neox model logits --json` of the checkpoint on the ids: the independent reference for scores. */
export async function tinyModelLogits(ck: TinyCheckpoint, ids: readonly number[]): Promise<ModelLogits> {
  const f = await spawnNeox([
    "model",
    "logits",
    ck.config,
    "--load",
    ck.save,
    "--tokens",
    ids.join(","),
    "--json",
  ]).done;
  if (f.code !== 0) throw new Error(`neox model logits exited ${f.code}: ${f.stderr}`);
  return JSON.parse(f.stdout) as ModelLogits;
}
