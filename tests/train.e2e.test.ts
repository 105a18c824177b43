// `neox train` as a user runs it, in its own process: a run stopped by SIGINT saves a checkpoint,
// says where and exits 130, and the next run resumes it; a run killed with SIGKILL while a
// checkpoint is being written leaves the previous checkpoint loadable and named by `latest`, and the
// next run removes the half-written directory and resumes. Data: random byte-level documents written
// with @neox/data-mmap's writer; tokenizer: GPT-NeoX's CharLevelTokenizer (vocabulary 512, no files).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { readEventFileScalars } from "@neox/monitor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRandomCorpus } from "./helpers/corpus";
import { spawnNeox } from "./helpers/spawn-neox";

const dir = mkdtempSync(join(tmpdir(), "neox-train-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  // 400 documents of 20-200 random bytes in 1..255 (0 is the end-of-document id).
  writeRandomCorpus(join(dir, "corpus"), 400, 181, 7);
  writeFileSync(
    join(dir, "model.yml"),
    [
      "num_layers: 2",
      "hidden_size: 64",
      "num_attention_heads: 4",
      "seq_length: 32",
      "max_position_embeddings: 32",
      "pos_emb: rotary",
      "gpt_j_residual: true",
      "tokenizer_type: CharLevelTokenizer",
      "train_micro_batch_size_per_gpu: 2",
      "gradient_accumulation_steps: 2",
      "optimizer: {type: Adam, params: {lr: 0.003}}",
      "train_iters: 100000",
      "lr_decay_iters: 1000",
      "checkpoint_factor: 1000",
      "eval_interval: 1000",
      "eval_iters: 2",
      "log_interval: 1",
      `data_path: ${join(dir, "corpus")}`,
      'split: "900,100,0"',
      "",
    ].join("\n"),
  );
});

const latestOf = (save: string) => readFileSync(join(save, "latest"), "utf8").trim();

/** Lines of metrics.jsonl written so far. */
function metricLines(logDir: string): number {
  const f = join(logDir, "metrics.jsonl");
  return existsSync(f)
    ? readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.includes("train/lm_loss")).length
    : 0;
}

describe("neox train in its own process", () => {
  it("logs GPT-NeoX's metrics to metrics.jsonl and TensorBoard at the iterations they belong to", async () => {
    const out = join(dir, "logged");
    const f = await spawnNeox([
      "train",
      join(dir, "model.yml"),
      ...["--set", "train_iters=6", "--set", "eval_interval=3", "--set", "log_interval=2"],
      ...["--set", `log_dir=${join(out, "logs")}`, "--set", `tensorboard_dir=${join(out, "tb")}`],
    ]).done;
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toMatch(
      / validation results at iteration 3 \| lm_loss value: \d\.\d{6}E\+00 \| lm_loss_ppl value: /,
    );
    expect(f.stdout).toMatch(/iteration +6\/ +6 \|/);

    const rows = readFileSync(join(out, "logs", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, number>);
    const at = (key: string) => rows.filter((r) => key in r).map((r) => r.iteration);
    expect(at("train/lm_loss")).toEqual([1, 2, 3, 4, 5, 6]);
    expect(at("train/learning_rate")).toEqual([1, 2, 3, 4, 5, 6]);
    expect(at("runtime/tokens_per_sec")).toEqual([2, 4, 6]);
    expect(at("validation/lm_loss")).toEqual([3, 6]);

    // GPT-NeoX's console copies: <log_dir>/<hostname>_stdout.txt and _stderr.txt
    const logs = readdirSync(join(out, "logs")).sort();
    expect(logs).toEqual(["metrics.jsonl", `${hostname()}_stderr.txt`, `${hostname()}_stdout.txt`].sort());
    expect(readFileSync(join(out, "logs", `${hostname()}_stdout.txt`), "utf8")).toBe(f.stdout);
    expect(readFileSync(join(out, "logs", `${hostname()}_stderr.txt`), "utf8")).toContain("set values:");

    const files = readdirSync(join(out, "tb"));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^events\.out\.tfevents\.\d+\.\S+$/);
    const scalars = readEventFileScalars(join(out, "tb", files[0]!));
    const steps = (tag: string) => scalars.filter((x) => x.tag === tag).map((x) => x.step);
    expect(steps("train/lm_loss")).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps("validation/lm_loss_ppl")).toEqual([3, 6]);
    // the same numbers as the jsonl, rounded to float32 (TensorBoard's simple_value)
    const loss3 = scalars.find((x) => x.tag === "validation/lm_loss" && x.step === 3)!.value;
    const jsonLoss3 = rows.find((r) => r.iteration === 3 && "validation/lm_loss" in r)![
      "validation/lm_loss"
    ]!;
    expect(loss3).toBe(Math.fround(jsonLoss3));
  });

  it("trains on blended train_data_paths with weights, and evaluates valid and test paths", async () => {
    const corpus = join(dir, "corpus");
    const f = await spawnNeox([
      "train",
      join(dir, "model.yml"),
      ...["--set", "train_iters=4", "--set", "eval_interval=2", "--set", "log_interval=2"],
      ...["--set", `train_data_paths=[${corpus}, ${corpus}]`, "--set", "train_data_weights=[1, 3]"],
      ...["--set", `valid_data_paths=[${corpus}]`, "--set", `test_data_paths=[${corpus}]`],
      ...["--set", "data_path=null"],
    ]).done;
    expect(f.code, f.stderr).toBe(0);
    expect(f.stdout).toContain(" validation results at iteration 2 |");
    expect(f.stdout).toContain(" test results at iteration 4 |");
    expect(f.stderr).toContain("done at iteration 4");
  });

  it("--dry-run prints parameters, memory and FLOPs and trains nothing", async () => {
    const f = await spawnNeox(["train", join(dir, "model.yml"), "--dry-run"]).done;
    expect(f.code, f.stderr).toBe(0);
    // 2 layers, width 64, vocabulary 512 (a multiple of 128), tied output: 12·L·h² + 13·L·h per
    // layer stack, the final norm 2h, one 512×64 embedding
    expect(f.stdout).toContain(
      `parameters: ${(12 * 2 * 64 * 64 + 13 * 2 * 64 + 2 * 64 + 512 * 64).toLocaleString("en-US")}`,
    );
    expect(f.stdout).toMatch(/FLOPs per step: \d\.\d{3}e\+\d+/);
    // Adam's two fp32 moments of 132,864 parameters: 1,062,912 bytes
    expect(f.stdout).toMatch(/optimizer state \(adam\) +1\.01 MiB/);
    expect(f.stdout).toMatch(/total +\d+\.\d{2} MiB/);
  });

  it.skipIf(existsSync("/dev/nvidia0"))(
    "--device cuda without a GPU fails at once naming what it looked for; --device tpu names the flag",
    async () => {
      const cuda = await spawnNeox(["train", join(dir, "model.yml"), "--device", "cuda"]).done;
      expect(cuda.code).toBe(1);
      expect(cuda.stderr).toMatch(/^neox train: --device cuda: CUDA is not available: .*libneox_gpu\.so/m);
      expect(cuda.stderr).toContain("libcuda.so.1");
      expect(cuda.stdout).not.toContain("iteration");
      const tpu = await spawnNeox(["train", join(dir, "model.yml")], { env: { NEOX_DEVICE: "tpu" } }).done;
      expect(tpu.code).toBe(1);
      expect(tpu.stderr).toContain(
        'neox train: NEOX_DEVICE: "tpu" is not a device; expected cpu, cuda or cuda:N',
      );
      // --device cpu is the default, and trains
      const cpu = await spawnNeox([
        "train",
        join(dir, "model.yml"),
        "--device",
        "cpu",
        "--set",
        "train_iters=1",
      ]).done;
      expect(cpu.code, cpu.stderr).toBe(0);
    },
  );

  it("SIGINT finishes the iteration, saves, says where, exits 130; the next run resumes", async () => {
    const save = join(dir, "sigint");
    const logs = join(dir, "sigint-logs");
    const args = ["train", join(dir, "model.yml"), "--set", `save=${save}`, "--set", `load=${save}`];
    const run = spawnNeox([...args, "--set", `log_dir=${logs}`]);
    const deadline = Date.now() + 60_000;
    while (metricLines(logs) < 3 && Date.now() < deadline) await sleep(20);
    run.child.kill("SIGINT");
    const f = await run.done;
    expect(f.code, f.stderr).toBe(130);
    const m = /stopped after iteration (\d+); checkpoint (\S+)/.exec(f.stderr);
    expect(m, f.stderr).not.toBeNull();
    const stoppedAt = Number(m![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(m![2]).toBe(join(save, `global_step${stoppedAt}`));
    expect(latestOf(save)).toBe(`global_step${stoppedAt}`);
    expect(f.stderr).toMatch(/interrupted \(SIGINT\)/);

    const again = await spawnNeox([...args, "--set", `train_iters=${stoppedAt + 2}`]).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      `resumed from ${join(save, "latest")} -> global_step${stoppedAt} at iteration ${stoppedAt}`,
    );
    expect(again.stderr).toContain(`done at iteration ${stoppedAt + 2}`);
    expect(latestOf(save)).toBe(`global_step${stoppedAt + 2}`);
  });

  it("SIGKILL while a checkpoint is written leaves the previous one named by latest and loadable", async () => {
    const save = join(dir, "sigkill");
    // Wider model (about 3.4M parameters: 40 MB of weights and Adam state per checkpoint) saved
    // every iteration, so a write is in progress most of the time.
    const args = [
      "train",
      join(dir, "model.yml"),
      "--set",
      `save=${save}`,
      "--set",
      `load=${save}`,
      "--set",
      "hidden_size=256",
      "--set",
      "num_layers=4",
      "--set",
      "checkpoint_factor=1",
    ];
    const run = spawnNeox(args);
    const deadline = Date.now() + 90_000;
    let killedDuring: string | null = null;
    while (Date.now() < deadline && killedDuring === null) {
      if (existsSync(join(save, "latest"))) {
        const tmp = readdirSync(save).find((n) => n.startsWith(".neox-tmp-global_step"));
        if (tmp) {
          run.child.kill("SIGKILL");
          killedDuring = tmp;
        }
      }
      await sleep(1);
    }
    const f = await run.done;
    expect(killedDuring, f.stderr).not.toBeNull();
    expect(f.signal).toBe("SIGKILL");
    const tag = latestOf(save);
    const killedStep = Number(/global_step(\d+)/.exec(killedDuring!)![1]);
    const savedStep = Number(/global_step(\d+)/.exec(tag)![1]);
    expect(savedStep).toBeLessThan(killedStep);
    expect(existsSync(join(save, tag, "index.json"))).toBe(true);

    // The next run loads it (every file's size and SHA-256 checked), removes the half-written
    // directory of the killed process, and trains on.
    const again = await spawnNeox([
      ...args,
      "--set",
      `train_iters=${savedStep + 1}`,
      "--set",
      "checkpoint_factor=1000",
    ]).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      `resumed from ${join(save, "latest")} -> ${tag} at iteration ${savedStep}`,
    );
    expect(readdirSync(save).filter((n) => n.startsWith(".neox-tmp"))).toEqual([]);
  });
});
