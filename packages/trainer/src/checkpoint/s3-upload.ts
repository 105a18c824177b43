// Uploading a written checkpoint directory to S3 (GPT-NeoX's s3_path / s3_chunk_size): every file
// the index lists under `prefix/global_stepN/...` as multipart uploads of s3_chunk_size parts, then
// the index, and only after all of them `prefix/latest`. A process killed half-way therefore leaves
// `latest` naming the previous, complete checkpoint; an interrupted multipart upload never becomes
// an object. Uploads run in the background: the training loop goes on while they do, each save
// queues behind the one before, and `flush` waits for all of them and reports what failed.
import { createReadStream, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type CheckpointIndex, INDEX_FILE, LATEST_FILE } from "./layout";
import { keyOf, type S3Location, urlOf } from "./s3-client";

/** S3 refuses multipart parts below 5 MiB (all but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface UploadOptions {
  /** Multipart part size in bytes (s3_chunk_size). */
  partSize: number;
  /** Called after each file is uploaded (its path inside the checkpoint). */
  onFile?: (path: string) => void;
  /** Multipart progress of the file being uploaded. */
  onProgress?: (path: string, loaded: number) => void;
}

export function checkPartSize(partSize: number): void {
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE)
    throw new Error(
      `s3_chunk_size = ${partSize}: S3 multipart parts must be at least ${MIN_PART_SIZE} bytes (5 MiB)`,
    );
}

/** Uploads `dir` (a `global_stepN` directory) to `loc`, then points `latest` at it. */
export async function uploadCheckpoint(
  client: S3Client,
  dir: string,
  loc: S3Location,
  opts: UploadOptions,
): Promise<{ files: number; bytes: number }> {
  checkPartSize(opts.partSize);
  const tag = basename(dir);
  const indexPath = join(dir, INDEX_FILE);
  const indexText = readFileSync(indexPath);
  const index = JSON.parse(indexText.toString("utf8")) as CheckpointIndex;
  let bytes = 0;
  for (const f of index.files) {
    const rel = `${tag}/${f.path}`;
    const upload = new Upload({
      client,
      params: { Bucket: loc.bucket, Key: keyOf(loc, rel), Body: createReadStream(join(dir, f.path)) },
      partSize: opts.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    if (opts.onProgress) upload.on("httpUploadProgress", (p) => opts.onProgress!(f.path, p.loaded ?? 0));
    try {
      await upload.done();
    } catch (e) {
      throw new Error(`uploading ${join(dir, f.path)} to ${urlOf(loc, rel)}: ${(e as Error).message}`);
    }
    bytes += f.bytes;
    opts.onFile?.(f.path);
  }
  // The index after the files it describes, `latest` after everything: a reader that finds
  // `latest` finds a whole checkpoint behind it.
  const put = async (rel: string, body: Uint8Array) => {
    try {
      await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: keyOf(loc, rel), Body: body }));
    } catch (e) {
      throw new Error(`uploading ${urlOf(loc, rel)}: ${(e as Error).message}`);
    }
  };
  await put(`${tag}/${INDEX_FILE}`, indexText);
  opts.onFile?.(INDEX_FILE);
  await put(LATEST_FILE, Buffer.from(`${tag}\n`, "utf8"));
  opts.onFile?.(LATEST_FILE);
  return { files: index.files.length + 1, bytes: bytes + indexText.length };
}

/** One run's background uploads, one after another in save order. */
export class BackgroundUploader {
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Set<string>();
  private failures: Error[] = [];

  constructor(
    private readonly client: S3Client,
    readonly location: S3Location,
    private readonly partSize: number,
    /** Told about each finished upload or failure (the trainer turns them into monitor events). */
    private readonly report: (kind: "uploaded" | "failed", text: string) => void,
  ) {
    checkPartSize(partSize);
  }

  /** Queues `dir` for upload and returns at once. */
  enqueue(dir: string): void {
    const tag = basename(dir);
    this.pending.add(dir);
    this.chain = this.chain
      .then(() => uploadCheckpoint(this.client, dir, this.location, { partSize: this.partSize }))
      .then(
        (r) =>
          this.report(
            "uploaded",
            `${dir} -> ${urlOf(this.location, tag)} (${r.files} files, ${r.bytes} bytes)`,
          ),
        (e: Error) => {
          const err = new Error(`S3 upload of ${dir} to ${urlOf(this.location, tag)} failed: ${e.message}`);
          this.failures.push(err);
          this.report("failed", err.message);
        },
      )
      .finally(() => this.pending.delete(dir));
  }

  /** Checkpoint directories queued or being uploaded (not to be pruned locally yet). */
  pendingDirs(): ReadonlySet<string> {
    return this.pending;
  }

  /** Waits for every queued upload; throws when any failed since the last flush. */
  async flush(): Promise<void> {
    await this.chain;
    const failed = this.failures;
    this.failures = [];
    if (failed.length > 0) throw new Error(failed.map((e) => e.message).join("\n"));
  }
}
