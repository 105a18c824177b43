// Where on S3 a checkpoint goes (`s3_path`, `load: s3://bucket/prefix`) and the client that talks to
// it. Endpoint and credentials come from the standard AWS environment variables, so the same config
// runs against AWS, MinIO or a local test server: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slashes; "" for the bucket's root. */
  prefix: string;
}

export const isS3Url = (s: string): boolean => s.startsWith("s3://");

/** Parses `s3://bucket/prefix`; `key` names the config key in the error. */
export function parseS3Url(url: string, key: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/*(.*)$/.exec(url);
  if (!m) throw new Error(`${key} = "${url}": expected s3://bucket/prefix`);
  const prefix = m[2]!.replace(/\/+$/, "");
  if (prefix.split("/").some((p) => p === "." || p === ".."))
    throw new Error(`${key} = "${url}": "." and ".." are not allowed in the key prefix`);
  return { bucket: m[1]!, prefix };
}

/** The object key of `rel` (a path with "/" separators) under the location's prefix. */
export const keyOf = (loc: S3Location, rel: string): string => (loc.prefix ? `${loc.prefix}/${rel}` : rel);

export const urlOf = (loc: S3Location, rel = ""): string =>
  `s3://${loc.bucket}/${rel ? keyOf(loc, rel) : loc.prefix}`;

/** A client configured from the environment; path-style addressing when an endpoint is given. */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  return new S3Client({
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // Checksums only where the operation requires one: newer SDKs otherwise send aws-chunked
    // bodies with trailing CRCs that S3-compatible servers other than AWS often refuse. Integrity
    // is checked end to end anyway, by the SHA-256 of every file in the checkpoint's index.json.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** An object's bytes, or null when the key does not exist. */
export async function getObjectBytes(
  client: S3Client,
  loc: S3Location,
  rel: string,
): Promise<Uint8Array | null> {
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: keyOf(loc, rel) }));
    return r.Body ? await r.Body.transformToByteArray() : new Uint8Array();
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === "NoSuchKey") return null;
    throw e;
  }
}
