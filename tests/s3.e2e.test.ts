// `neox train` with checkpoints on S3, against a real S3-protocol server (s3rver on a free localhost
// port): a run with s3_path uploads its checkpoints in the background and has the last one, with
// `latest` naming it, on the server before it exits; a second run with `load: s3://...` downloads
// that checkpoint, verifies it, and resumes at its iteration. Data and tiny model: the data-parallel
// tests' fixture (helpers/dp.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTrain, writeDpFixture } from "./helpers/dp";

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
  writeDpFixture(dir);
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("neox train with s3_path and load: s3://", () => {
  it("uploads each checkpoint, latest last, and a new run resumes from the bucket", async () => {
    const sets = ["optimizer={type: Adam, params: {lr: 0.003}}", "checkpoint_factor=2", "eval_iters=0"];
    const first = await runTrain(dir, "a", [...sets, "train_iters=4", "s3_path=s3://ckpt/run"], env);
    expect(first.code, first.stderr).toBe(0);
    const res = await fetch(`${env.AWS_ENDPOINT_URL}/ckpt/run/latest`);
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toBe("global_step4");
    const index = await fetch(`${env.AWS_ENDPOINT_URL}/ckpt/run/global_step4/index.json`);
    expect(index.status).toBe(200);

    const second = await runTrain(dir, "b", [...sets, "train_iters=6", "load=s3://ckpt/run"], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr + second.stdout).toContain(
      `resumed from s3://ckpt/run/latest -> global_step4 (cached at ${join(dir, "cache", "neox-ts", "s3", "ckpt", "run", "global_step4")}) at iteration 4`,
    );
    expect(second.stderr).toMatch(/done at iteration 6/);
  });
});
