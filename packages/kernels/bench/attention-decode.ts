// The fused decode step (attentionDecodeStep) at Pythia-70M's attention shape (NH = NKV = 8, HS = 64,
// GPT-NeoX interleaved QKV, rotary on 16 channels): GB/s of K and V read from the cache, for batch
// 1 and 8 with ~160 and ~1000 cached positions per sequence, on 1 and 2 threads, for an fp32 cache
// and a bf16 one (cacheBf16: half the bytes, widened as read). A decode step is bound by that read
// (each cached position is 2 KiB of K and 2 KiB of V in fp32, used once per step; 1 + 1 in bf16).
//
// Each call is one layer's; calls cycle over enough separate layer caches that the whole set
// (>= 128 MiB) is far past L3, as a real model's six layers plus its weights are between steps.
// Every cache buffer is >= 4 MiB, so the allocator puts it on transparent huge pages like the real
// KV cache (kernels/cpu/runtime.cc). Best of several rounds; the machine may be shared.
//   node --conditions=@neox/source --import tsx bench/attention-decode.ts   (ROUNDS=n, THREADS=1,2,
//   TOUCHED_MIB=n: a smaller set, e.g. 1, stays in cache and shows the rate the arithmetic allows)
import { alloc, free, nativeFunction, setNumThreads, view, viewF32 } from "../src/index";

type Step = (...args: number[]) => void;
const step = nativeFunction<Step>("attentionDecodeStep");

const NH = 8;
const NKV = 8;
const HS = 64;
const ROT = 16;
const W = (NH + 2 * NKV) * HS;
const ROW = NKV * HS; // floats per cached position of one slot
const TOUCHED = Number(process.env.TOUCHED_MIB ?? 128) * 2 ** 20; // K and V bytes a round reads, at least
const ROUNDS = Number(process.env.ROUNDS ?? 5);

function fillRandom(a: Float32Array): void {
  // A short random pattern repeated: the values only need to be finite and varied.
  const n = Math.min(a.length, 1 << 16);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  for (let i = n; i < a.length; i += n) a.copyWithin(i, 0, Math.min(n, a.length - i));
}

// A bf16 cache: random bf16 values (the top halves of random floats), a pattern repeated likewise.
function fillRandomBf16(a: Uint16Array): void {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const n = Math.min(a.length, 1 << 16);
  for (let i = 0; i < n; i++) {
    f[0] = Math.random() * 2 - 1;
    a[i] = u[0]! >>> 16;
  }
  for (let i = n; i < a.length; i += n) a.copyWithin(i, 0, Math.min(n, a.length - i));
}

function bench(batch: number, cached: number, threads: number, bf16: boolean): { ms: number; gbs: number } {
  setNumThreads(threads);
  const maxT = cached + 1;
  const elem = bf16 ? 2 : 4; // bytes per cached value
  const layerElems = batch * maxT * ROW;
  const perLayer = 2 * batch * (cached + 1) * ROW * elem; // K and V bytes one call reads
  const layers = Math.max(2, Math.ceil(TOUCHED / perLayer));
  const cacheBytes = Math.max(4 << 20, layers * layerElems * elem);
  const k = alloc(cacheBytes);
  const v = alloc(cacheBytes);
  const qkv = alloc(batch * W * 4);
  const out = alloc(batch * NH * HS * 4);
  const cos = alloc(maxT * (ROT / 2) * 4);
  const sin = alloc(maxT * (ROT / 2) * 4);
  const idx = alloc(3 * batch * 4);
  try {
    for (const c of [k, v]) {
      if (bf16) fillRandomBf16(new Uint16Array(view(c, cacheBytes)));
      else fillRandom(viewF32(c, cacheBytes / 4));
    }
    fillRandom(viewF32(qkv, batch * W));
    fillRandom(viewF32(cos, maxT * (ROT / 2)));
    fillRandom(viewF32(sin, maxT * (ROT / 2)));
    const ix = new Int32Array(view(idx, 3 * batch * 4));
    for (let r = 0; r < batch; r++) {
      ix[r] = r; // row
      ix[batch + r] = r; // slot
      ix[2 * batch + r] = cached; // position: `cached` keys already there, this one appended
    }
    const call = (l: number) =>
      step(
        out,
        k + l * layerElems * elem,
        v + l * layerElems * elem,
        qkv,
        idx,
        idx + batch * 4,
        idx + 2 * batch * 4,
        cos,
        sin,
        0,
        batch,
        batch,
        W,
        NH,
        NKV,
        HS,
        0,
        HS,
        2 * HS,
        3 * HS,
        3 * HS,
        3 * HS,
        batch,
        maxT,
        maxT,
        ROT,
        -1,
        1 / Math.sqrt(HS),
        bf16 ? 1 : 0,
      );
    for (let l = 0; l < layers; l++) call(l); // warm: pages touched, pool awake
    let best = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      for (let l = 0; l < layers; l++) call(l);
      best = Math.min(best, (performance.now() - t0) / layers);
    }
    return { ms: best, gbs: perLayer / best / 1e6 };
  } finally {
    for (const p of [k, v, qkv, out, cos, sin, idx]) free(p);
  }
}

const threads = (process.env.THREADS ?? "1,2").split(",").map(Number);
console.log("attentionDecodeStep, NH=NKV=8 HS=64, GB/s of K+V bytes read (µs per layer call)");
for (const bf16 of [false, true]) {
  for (const cached of [160, 1000]) {
    for (const batch of [1, 8]) {
      const cells = threads.map((t) => {
        const { ms, gbs } = bench(batch, cached, t, bf16);
        return `T=${t}: ${gbs.toFixed(1).padStart(5)} GB/s (${(ms * 1000).toFixed(0).padStart(5)} µs)`;
      });
      const what = `${bf16 ? "bf16" : "fp32"} cache, batch ${batch} cached ${String(cached).padStart(4)}`;
      console.log(`  ${what}  ${cells.join("   ")}`);
    }
  }
}
