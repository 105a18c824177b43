// One timed operation of `pnpm bench:convert`, alone in its own process so its peak RSS is its
// own: node convert-child.ts OP ARGS... prints one JSON line {op, seconds, maxRssBytes, bytes}.
//   make CONFIG SAVE          a checkpoint of CONFIG with the model's random init (untimed setup)
//   export SAVE HF            hfExport, fp32 (every byte of the model goes through)
//   import HF SAVE            hfImport
//   dir-write SAVE DIR SIZE   the checkpoint's tensors, one at a time, to a sharded directory
//   dir-read DIR              every tensor of a directory read back
//   baseline                  nothing: the RSS of node with these modules loaded
//   compare SAVE1 SAVE2       untimed check: tensors differing between two checkpoints (bytes = count)
import { createHash } from "node:crypto";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { loadConfig } from "@neox/config";
import { GptNeoXModel } from "@neox/models";
import { SafetensorsFile, writeSafetensorsStream } from "@neox/tensor";
import { hfExport, hfImport, SafetensorsDir, writeSafetensorsDir } from "../src/index";

/** The GPT-NeoX-20B tokenizer's vocabulary, which Pythia pads to 50304. */
const PYTHIA_VOCAB = 50277;
/** Its tokenizer.json, so the export copies a real tokenizer as a real one would. */
const TOKENIZER = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "shared",
  "data",
  "tokenizers",
  "gpt-neox-20b",
  "tokenizer.json",
);

function make(config: string, save: string): number {
  const r = loadConfig([config], { vocabSize: PYTHIA_VOCAB, overrides: [`vocab_file=${TOKENIZER}`] });
  const model = GptNeoXModel.fromConfig(r);
  const dir = join(save, "global_step0");
  mkdirSync(join(dir, "configs"), { recursive: true });
  const params = [...model.registry.entries()];
  const written = writeSafetensorsStream(
    join(dir, "model.safetensors"),
    params.map((p) => ({
      name: p.name,
      dtype: "f32",
      shape: p.shape,
      data: () => model.registry.flat.get(p.name)!,
    })),
    { format: "neox-ts-checkpoint", iteration: "0" },
  );
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(r.values, null, 1)}\n`);
  writeFileSync(join(dir, "configs", basename(config)), `# ${config}\n`);
  writeFileSync(join(save, "latest"), "global_step0\n");
  model.dispose();
  return written.bytes;
}

function dirWrite(save: string, out: string, shardSize: string): number {
  const f = SafetensorsFile.open(join(save, "global_step0", "model.safetensors"));
  try {
    return writeSafetensorsDir(
      out,
      f.entries.map((e) => ({
        name: e.name,
        dtype: e.dtype,
        shape: e.shape,
        data: () => f.readBytes(e.name),
      })),
      { shardSize },
    ).totalSize;
  } finally {
    f.close();
  }
}

function dirRead(dir: string): number {
  const d = SafetensorsDir.open(dir);
  const h = createHash("md5"); // consumes every byte, so nothing is skipped
  let bytes = 0;
  for (const name of d.names()) {
    const b = d.readBytes(name);
    h.update(b);
    bytes += b.length;
  }
  d.close();
  h.digest();
  return bytes;
}

/** How many tensors differ (name, dtype, shape or bytes) between two checkpoints' weights. */
function compare(x: string, y: string): number {
  const open = (s: string) => SafetensorsFile.open(join(s, "global_step0", "model.safetensors"));
  const [fx, fy] = [open(x), open(y)];
  let differ = Math.abs(fx.entries.length - fy.entries.length);
  for (const e of fx.entries) {
    if (!fy.has(e.name)) {
      differ++;
      continue;
    }
    const o = fy.entry(e.name);
    const same =
      o.dtype === e.dtype &&
      o.shape.join() === e.shape.join() &&
      Buffer.from(fx.readBytes(e.name)).equals(Buffer.from(fy.readBytes(e.name)));
    if (!same) differ++;
  }
  fx.close();
  fy.close();
  return differ;
}

const sizeOf = (dir: string) => statSync(join(dir, "global_step0", "model.safetensors")).size;

const [op, a, b, c] = process.argv.slice(2);
const t0 = performance.now();
let bytes = 0;
switch (op) {
  case "make":
    bytes = make(a!, b!);
    break;
  case "export":
    hfExport({ input: a!, output: b!, architecture: "neox", precision: "fp32" });
    bytes = sizeOf(a!);
    break;
  case "import":
    hfImport({ input: a!, output: b! });
    bytes = sizeOf(b!);
    break;
  case "dir-write":
    bytes = dirWrite(a!, b!, c!);
    break;
  case "dir-read":
    bytes = dirRead(a!);
    break;
  case "baseline":
    break;
  case "compare":
    bytes = compare(a!, b!);
    break;
  default:
    throw new Error(`convert-child: unknown op "${op}"`);
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ op, seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, bytes }));
