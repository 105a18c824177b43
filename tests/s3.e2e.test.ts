// `neox train` with checkpoints on S3, against a real S3-protocol server (s3rver on a free localhost
// port): a run with s3_path uploads its checkpoints in the background and has the last one, with
// `latest` naming it, on the server before it exits; a second run with `load: s3://...` downloads
// that checkpoint, verifies it, and resumes at its iteration. Data: random byte-level documents
// written with @neox/data-mmap's writer; tokenizer: CharLevelTokenizer (no files).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IndexedDatasetWriter } from "@neox/data-mmap";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnNeox } from "./helpers/spawn-neox";

const dir = mkdtempSync(join(tmpdir(), "neox-s3-e2e-"));
let server: S3rver;
let env: Record<string, string>;

beforeAll(async () => {
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: join(dir, "server"),
    configureBuckets: [{ name: "ckpt", configs: [] }],
  });
  const { port } = await server.run();
  env = {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    XDG_CACHE_HOME: join(dir, "cache"),
  };
  const w = IndexedDatasetWriter.create(join(dir, "corpus"), { vocabSize: 512 });
  let x = 11;
  for (let d = 0; d < 200; d++) {
    const doc = Array.from({ length: 30 + (d % 50) }, () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return 1 + ((x >>> 16) % 255);
    });
    w.addDocument([...doc, 0]);
  }
  w.finalize();
  writeFileSync(
    join(dir, "model.yml"),
    [
      "num_layers: 2",
      "hidden_size: 32",
      "num_attention_heads: 4",
      "seq_length: 16",
      "max_position_embeddings: 16",
      "pos_emb: rotary",
      "tokenizer_type: CharLevelTokenizer",
      "train_micro_batch_size_per_gpu: 2",
      "optimizer: {type: Adam, params: {lr: 0.003}}",
      "lr_decay_iters: 100",
      "checkpoint_factor: 2",
      "eval_interval: 1000",
      "eval_iters: 0",
      "log_interval: 1",
      `data_path: ${join(dir, "corpus")}`,
      'split: "1000,0,0"',
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("neox train with s3_path and load: s3://", () => {
  it("uploads each checkpoint, latest last, and a new run resumes from the bucket", async () => {
    const model = join(dir, "model.yml");
    const first = await spawnNeox(
      [
        "train",
        model,
        "--set",
        "train_iters=4",
        "--set",
        `save=${join(dir, "a")}`,
        "--set",
        "s3_path=s3://ckpt/run",
      ],
      { env },
    ).done;
    expect(first.code, first.stderr).toBe(0);
    const res = await fetch(`${env.AWS_ENDPOINT_URL}/ckpt/run/latest`);
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toBe("global_step4");
    const index = await fetch(`${env.AWS_ENDPOINT_URL}/ckpt/run/global_step4/index.json`);
    expect(index.status).toBe(200);

    const second = await spawnNeox(
      [
        "train",
        model,
        "--set",
        "train_iters=6",
        "--set",
        `save=${join(dir, "b")}`,
        "--set",
        "load=s3://ckpt/run",
      ],
      { env },
    ).done;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr + second.stdout).toContain(
      `resumed from s3://ckpt/run/latest -> global_step4 (cached at ${join(dir, "cache", "neox-ts", "s3", "ckpt", "run", "global_step4")}) at iteration 4`,
    );
    expect(second.stderr).toMatch(/done at iteration 6/);
  });
});
