// `load: s3://bucket/prefix`: the checkpoint `prefix/latest` names (or `iteration`'s) is downloaded
// into a local cache and loaded from there as a local checkpoint. The cache is
// `$XDG_CACHE_HOME/neox-ts/s3/<bucket>/<prefix>/global_stepN` (~/.cache when XDG_CACHE_HOME is
// unset). Files are written into a temporary directory, each checked against the size and SHA-256
// in the downloaded index.json while it streams in, and the directory is renamed into place only
// when all of them match: an interrupted or damaged download never passes for a checkpoint. A cache
// entry that already matches the remote index is used without downloading again.
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { fsyncDir } from "@neox/data-mmap";
import {
  CHECKPOINT_FORMAT,
  type CheckpointIndex,
  INDEX_FILE,
  LATEST_FILE,
  sha256File,
  TAG_PATTERN,
  tagOf,
} from "./layout";
import { CheckpointError } from "./load";
import { getObjectBytes, keyOf, type S3Location, urlOf } from "./s3-client";
import { processAlive } from "./save";

export const S3_TEMP_PREFIX = ".neox-s3-tmp-";

/** The default cache root: `$XDG_CACHE_HOME/neox-ts/s3`. */
export function defaultS3CacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "neox-ts", "s3");
}

export type S3Fetched =
  | { kind: "checkpoint"; dir: string; tag: string; via: string; downloaded: boolean }
  | { kind: "fresh"; why: string };

/** Downloads (or finds cached) the checkpoint `loc` points at; `iteration` picks one other than latest. */
export async function fetchS3Checkpoint(
  client: S3Client,
  loc: S3Location,
  opts: { cacheRoot?: string; iteration?: number | null } = {},
): Promise<S3Fetched> {
  let tag: string;
  let via: string;
  if (opts.iteration != null) {
    tag = tagOf(opts.iteration);
    via = `${urlOf(loc)} (iteration ${opts.iteration})`;
  } else {
    const latest = await getObjectBytes(client, loc, LATEST_FILE);
    if (latest === null) return { kind: "fresh", why: `${urlOf(loc, LATEST_FILE)} does not exist` };
    tag = Buffer.from(latest).toString("utf8").trim();
    if (!TAG_PATTERN.test(tag))
      throw new CheckpointError(
        `${urlOf(loc, LATEST_FILE)}: expected a tag such as "global_step1000", found "${tag.slice(0, 60)}"`,
      );
    via = `${urlOf(loc, LATEST_FILE)} -> ${tag}`;
  }
  const indexUrl = urlOf(loc, `${tag}/${INDEX_FILE}`);
  const indexBytes = await getObjectBytes(client, loc, `${tag}/${INDEX_FILE}`);
  if (indexBytes === null) throw new CheckpointError(`${indexUrl}: missing; no complete checkpoint there`);
  const index = parseIndex(indexBytes, indexUrl);

  const root = join(
    opts.cacheRoot ?? defaultS3CacheRoot(),
    loc.bucket,
    ...(loc.prefix ? loc.prefix.split("/") : []),
  );
  const dest = join(root, tag);
  if (cacheMatches(dest, indexBytes, index))
    return { kind: "checkpoint", dir: dest, tag, via, downloaded: false };

  mkdirSync(root, { recursive: true });
  removeStaleDownloads(root);
  const tmp = join(root, `${S3_TEMP_PREFIX}${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(tmp);
  try {
    for (const f of index.files) await downloadFile(client, loc, `${tag}/${f.path}`, join(tmp, f.path), f);
    writeSynced(join(tmp, INDEX_FILE), indexBytes);
    fsyncDir(tmp);
    // A stale or damaged cache entry under the same tag is replaced, never merged with.
    if (existsSync(dest)) rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    fsyncDir(root);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { kind: "checkpoint", dir: dest, tag, via, downloaded: true };
}

// Temporaries of downloads whose process is gone (killed mid-download): never a checkpoint.
function removeStaleDownloads(root: string): void {
  for (const name of readdirSync(root)) {
    const m = /^\.neox-s3-tmp-global_step\d+-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1])))
      rmSync(join(root, name), { recursive: true, force: true });
  }
}

function parseIndex(bytes: Uint8Array, where: string): CheckpointIndex {
  let index: CheckpointIndex;
  try {
    index = JSON.parse(Buffer.from(bytes).toString("utf8")) as CheckpointIndex;
  } catch (e) {
    throw new CheckpointError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (index.format !== CHECKPOINT_FORMAT || !Array.isArray(index.files))
    throw new CheckpointError(`${where}: not a ${CHECKPOINT_FORMAT} index`);
  for (const f of index.files)
    if (
      typeof f.path !== "string" ||
      f.path.startsWith("/") ||
      f.path.split("/").some((p) => p === "" || p === "." || p === "..")
    )
      throw new CheckpointError(`${where}: file path "${String(f.path)}" is not a plain relative path`);
  return index;
}

function cacheMatches(dest: string, indexBytes: Uint8Array, index: CheckpointIndex): boolean {
  const local = join(dest, INDEX_FILE);
  if (!existsSync(local) || !Buffer.from(indexBytes).equals(readFileSync(local))) return false;
  return index.files.every((f) => {
    const p = join(dest, f.path);
    return existsSync(p) && sha256File(p) === f.sha256;
  });
}

// Streams one object to `path`, hashing as it goes; throws naming the object when its size or
// SHA-256 differs from the index.
async function downloadFile(
  client: S3Client,
  loc: S3Location,
  rel: string,
  path: string,
  want: { bytes: number; sha256: string },
): Promise<void> {
  const url = urlOf(loc, rel);
  mkdirSync(dirname(path), { recursive: true });
  let body: AsyncIterable<Uint8Array>;
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: keyOf(loc, rel) }));
    body = r.Body as AsyncIterable<Uint8Array>;
  } catch (e) {
    throw new CheckpointError(`${url}: cannot download (${(e as Error).name}: ${(e as Error).message})`);
  }
  const h = createHash("sha256");
  let n = 0;
  const fd = openSync(path, "w");
  try {
    for await (const chunk of body) {
      h.update(chunk);
      n += chunk.length;
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (n !== want.bytes)
    throw new CheckpointError(
      `${url}: ${n} bytes, expected ${want.bytes} (listed in ${INDEX_FILE}); not loaded`,
    );
  if (h.digest("hex") !== want.sha256)
    throw new CheckpointError(
      `${url}: content does not match its SHA-256 in ${INDEX_FILE} (damaged); not loaded`,
    );
}

function writeSynced(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, "w");
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
