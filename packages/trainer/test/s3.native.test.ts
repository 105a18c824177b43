// Checkpoints on S3 against a real S3-protocol server (s3rver on a free localhost port, files in a
// temporary directory): a run with s3_path uploads every file and then `latest`; `load: s3://...`
// resumes exactly as the local checkpoint does; an upload killed half-way leaves the previous remote
// checkpoint and `latest` as they were; a file damaged on the server is refused by name.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import type { ResolvedConfig } from "@neox/config";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ClientFromEnv } from "../src/checkpoint/s3-client";
import { MIN_PART_SIZE } from "../src/checkpoint/s3-upload";
import { saveCheckpoint } from "../src/checkpoint/save";
import { fetchS3Load, flushUploads } from "../src/checkpointing";
import { CheckpointError, Trainer } from "../src/index";
import { ArraySource, configOf, memoryMonitor, SEQ, TINY_MODEL, VOCAB } from "./helpers";

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), "neox-s3-"));
const BUCKET = "ckpt";
let server: S3rver;
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: join(root, "server"),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await server.run();
  // s3rver's own keys; the client reads them the standard way, from the environment
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
  });
});
afterAll(async () => {
  await server?.close();
  process.env = savedEnv;
  rmSync(root, { recursive: true, force: true });
});

const BASE = {
  ...TINY_MODEL,
  train_micro_batch_size_per_gpu: 2,
  gradient_accumulation_steps: 1,
  train_iters: 7,
  optimizer: { type: "Adam", params: { lr: 0.01 } },
  checkpoint_factor: 2,
  eval_iters: 0,
};

const samples = (() => {
  const out = new Int32Array(100 * (SEQ + 1));
  for (let i = 0; i < out.length; i++) out[i] = (i * 37 + (i >> 2)) % VOCAB;
  return new ArraySource(out, SEQ);
})();

// @neox/config still refuses s3_path ("not supported yet"), so the S3 keys are added to the
// resolved values after validation, as a supported key would put them there.
function trainer(extra: Record<string, unknown>, s3: Record<string, unknown> = {}, log: string[] = []) {
  const { monitor, sink } = memoryMonitor();
  const resolved = configOf({ ...BASE, ...extra }, VOCAB);
  const withS3 = { ...resolved, values: { ...resolved.values, ...s3 } } as ResolvedConfig;
  const t = new Trainer(withS3, { train: samples, valid: null, test: null, eod: null }, monitor, {
    log: (l) => log.push(l),
  });
  return { t, sink, log };
}

const client = () => s3ClientFromEnv();
async function getText(key: string): Promise<string | null> {
  try {
    const r = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return await r.Body!.transformToString();
  } catch {
    return null;
  }
}
async function keysUnder(prefix: string): Promise<string[]> {
  const r = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const indexFiles = (dir: string): string[] =>
  JSON.parse(readFileSync(join(dir, "index.json"), "utf8")).files.map((f: { path: string }) => f.path);

describe("checkpoints on S3", () => {
  const save = join(root, "save");

  it("uploads every file of each checkpoint, then latest, in the background", async () => {
    const { t, sink } = trainer(
      { save, exit_interval: 4 },
      { s3_path: `s3://${BUCKET}/run1/`, s3_chunk_size: MIN_PART_SIZE },
    );
    try {
      await t.run();
      await flushUploads(t);
    } finally {
      t.dispose();
    }
    const want = ["latest"];
    for (const tag of ["global_step2", "global_step4"]) {
      const files = [...indexFiles(join(save, tag)), "index.json"];
      expect(files).toContain("optim/state.safetensors");
      for (const f of files) want.push(`${tag}/${f}`);
      for (const f of files) {
        const r = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: `run1/${tag}/${f}` }));
        expect(sha(await r.Body!.transformToByteArray()), `${tag}/${f}`).toBe(
          sha(readFileSync(join(save, tag, f))),
        );
      }
    }
    expect(await keysUnder("run1/")).toEqual(want.map((k) => `run1/${k}`).sort());
    expect(await getText("run1/latest")).toBe("global_step4\n");
    expect(sink.events.filter((e) => e.startsWith("checkpoint: uploaded"))).toHaveLength(2);
    expect(sink.events.filter((e) => e.startsWith("error"))).toEqual([]);
  });

  it("reports a failed upload as an error event, and flushUploads throws naming it", async () => {
    const other = join(root, "save-nobucket");
    const { t, sink } = trainer(
      { save: other, exit_interval: 2 },
      { s3_path: "s3://no-such-bucket/run", s3_chunk_size: MIN_PART_SIZE },
    );
    try {
      const r = await t.run(); // the loop itself does not wait for, or fail on, the upload
      expect(r.checkpoint).toBe(join(other, "global_step2"));
      const e = await flushUploads(t).then(
        () => null,
        (x: Error) => x,
      );
      expect(e?.message).toMatch(
        new RegExp(
          `^S3 upload of ${join(other, "global_step2")} to s3://no-such-bucket/run/global_step2 failed: uploading `,
        ),
      );
      expect(sink.events.filter((x) => x.startsWith("error: "))).toEqual([`error: ${e!.message}`]);
      await flushUploads(t); // reported once: a later flush has nothing new to report
    } finally {
      t.dispose();
    }
  });

  // Both runs continue from iteration 4 to 7: one from the local directory, one from S3.
  async function resumeAndRun(load: string, cacheRoot: string) {
    const log: string[] = [];
    const { t } = trainer({ load }, {}, log);
    try {
      const line = await fetchS3Load(t, { cacheRoot });
      if (line) log.push(line);
      t.resume();
      const resumedAt = t.iteration;
      const weights = t.model.registry.flat.data.toFloat32Array();
      const r = await t.run();
      return { log, resumedAt, weights, losses: r.losses };
    } finally {
      t.dispose();
    }
  }

  it("load: s3://bucket/prefix downloads latest into the cache and resumes as the local checkpoint does", async () => {
    const cache = join(root, "cache");
    const local = await resumeAndRun(save, cache);
    const remote = await resumeAndRun(`s3://${BUCKET}/run1`, cache);
    expect(remote.log[0]).toBe(
      `downloaded s3://${BUCKET}/run1/latest -> global_step4 to ${join(cache, BUCKET, "run1", "global_step4")}`,
    );
    expect(remote.log[1]).toMatch(
      /^resumed from s3:\/\/ckpt\/run1\/latest -> global_step4 .* at iteration 4$/,
    );
    expect(remote.resumedAt).toBe(4);
    expect(local.resumedAt).toBe(4);
    expect(remote.weights).toEqual(local.weights);
    expect(remote.losses).toHaveLength(3);
    expect(remote.losses).toEqual(local.losses);
    // a second load finds the verified cache and does not download again
    const again = await resumeAndRun(`s3://${BUCKET}/run1`, cache);
    expect(again.log[0]).toMatch(/^using the cached /);
    expect(again.losses).toEqual(local.losses);
  });

  it("an upload killed half-way leaves the previous remote checkpoint and latest intact", async () => {
    // A checkpoint with a 24 MiB weight: five 5 MiB parts, killed after the first is acknowledged.
    const big = join(root, "big");
    const data = new Float32Array(6 << 20);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i);
    const dir = saveCheckpoint(big, {
      iteration: 6,
      params: new Map([["w", { shape: [data.length], data }]]),
      optimizer: null,
      state: {
        optimizerStep: 6,
        optimizer: { kind: "adam", hyper: {}, hasState: false },
        scheduler: {},
        lossScaler: null,
        data: { train: 0, valid: 0 },
        seed: 1234,
        precision: "fp32",
        batch: { micro: 1, gas: 1, dataParallel: 1, seqLength: SEQ },
        skipped: 0,
      },
      config: {},
      configFiles: {},
    });
    const child = spawn(
      process.execPath,
      [
        "--conditions=@neox/source",
        "--import",
        "tsx",
        join(here, "s3-upload-child.ts"),
        dir,
        `s3://${BUCKET}/run1`,
        String(MIN_PART_SIZE),
      ],
      { cwd: join(here, ".."), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stderr.on("data", (b) => {
      err += b;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_c, sig) => resolve(sig)),
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (b) => {
        out += b;
        if (out.includes("uploading")) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", () => reject(new Error(`the upload ended before it was killed: ${out}${err}`)));
    });
    expect(await exited).toBe("SIGKILL");
    expect(out).toMatch(/^uploading model\.safetensors: \d+ bytes\n$/);

    expect(await getText("run1/latest")).toBe("global_step4\n");
    expect(await keysUnder("run1/global_step6/")).toEqual([]);
    // and what latest names still downloads whole and verified
    const cache = join(root, "cache-after-kill");
    const r = await resumeAndRun(`s3://${BUCKET}/run1`, cache);
    expect(r.resumedAt).toBe(4);
    expect(r.log[0]).toMatch(/^downloaded .*global_step4/);
  });

  it("refuses a download whose file was changed on the server, naming the file, and caches nothing", async () => {
    const key = "run1/global_step4/trainer_state.json";
    const text = (await getText(key))!;
    // same size, one character different
    const damaged = text.replace('"seed": 1234', '"seed": 4321');
    expect(damaged).not.toBe(text);
    expect(damaged.length).toBe(text.length);
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: damaged }));

    const cache = join(root, "cache-damaged");
    // what a download killed earlier left behind (its process is gone) is cleared too
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    const stale = join(cache, BUCKET, "run1", `.neox-s3-tmp-global_step4-${gone}-abcdef`);
    mkdirSync(join(stale, "optim"), { recursive: true });
    const { t } = trainer({ load: `s3://${BUCKET}/run1` });
    try {
      const e = await fetchS3Load(t, { cacheRoot: cache }).then(
        () => null,
        (x: Error) => x,
      );
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e!.message).toBe(
        `s3://${BUCKET}/${key}: content does not match its SHA-256 in index.json (damaged); not loaded`,
      );
      // resume() without a fetched checkpoint says what to do instead of loading anything
      expect(() => t.resume()).toThrow(/await fetchS3Load\(trainer\) first/);
      expect(t.iteration).toBe(0);
    } finally {
      t.dispose();
    }
    const dir = join(cache, BUCKET, "run1");
    expect(existsSync(join(dir, "global_step4"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]); // the temporary download directories are gone too
  });
});
