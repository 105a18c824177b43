// Child process of s3.native.test.ts: uploads one checkpoint directory to S3 and, once the first
// multipart part is acknowledged, says so on stdout and blocks its own event loop until the test
// kills it, so the kill always lands in the middle of the upload.
import { parseS3Url, s3ClientFromEnv } from "../src/checkpoint/s3-client";
import { uploadCheckpoint } from "../src/checkpoint/s3-upload";

const [dir, url, partSize] = process.argv.slice(2) as [string, string, string];
let told = false;
await uploadCheckpoint(s3ClientFromEnv(), dir, parseS3Url(url, "s3_path"), {
  partSize: Number(partSize),
  onProgress: (path, loaded) => {
    if (told || loaded === 0) return;
    told = true;
    process.stdout.write(`uploading ${path}: ${loaded} bytes\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  },
});
process.stdout.write("finished\n");
