// A seeded byte mutator with a fixed time budget, for fuzzing the readers of untrusted files. Each
// round picks a seed input, applies a few mutations (bit flips, "interesting" integers written at
// random offsets and widths, chunk deletes, inserts, duplicates, truncation, splicing with another
// seed), and hands the result to the target. The run is reproducible from its seed: a failure
// names the seed and round, and `replay` rebuilds that exact input.

/** xorshift128+ over two 32-bit halves: fast, seedable, good enough for choosing mutations. */
export class Rng {
  private s0: number;
  private s1: number;
  constructor(seed: number) {
    this.s0 = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.s1 = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2;
    for (let i = 0; i < 8; i++) this.u32();
  }
  u32(): number {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.s1 = x >>> 0;
    return (this.s0 + this.s1) >>> 0;
  }
  /** Uniform in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
}

// Boundary values readers get wrong: sign bits, off-by-one around powers of two, all-ones.
const INTERESTING = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
];

function writeInteresting(out: Uint8Array, rng: Rng): void {
  if (out.length === 0) return;
  const width = [1, 2, 4, 8][rng.below(4)]!;
  const at = rng.below(Math.max(1, out.length - width + 1));
  const v = INTERESTING[rng.below(INTERESTING.length)]!;
  const hi = rng.below(4) === 0 ? 0xffffffff : 0; // sometimes an absurd int64 high word
  for (let i = 0; i < width && at + i < out.length; i++) {
    const word = i < 4 ? v : hi;
    out[at + i] = (word >>> (8 * (i % 4))) & 0xff;
  }
}

/** One mutated copy of `input` (`other` is another seed, for splicing). */
export function mutate(input: Uint8Array, other: Uint8Array, rng: Rng): Uint8Array {
  let out = Uint8Array.from(input);
  const steps = 1 + rng.below(4);
  for (let s = 0; s < steps; s++) {
    const n = out.length;
    switch (rng.below(8)) {
      case 0: // flip one bit
        if (n > 0) out[rng.below(n)]! ^= 1 << rng.below(8);
        break;
      case 1: // random byte
        if (n > 0) out[rng.below(n)] = rng.below(256);
        break;
      case 2:
      case 3:
        writeInteresting(out, rng);
        break;
      case 4: {
        // delete a chunk
        const at = rng.below(n + 1);
        const len = rng.below(Math.min(64, n - at) + 1);
        out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + len)]);
        break;
      }
      case 5: {
        // duplicate a chunk in place
        const at = rng.below(n + 1);
        const len = rng.below(Math.min(64, n - at) + 1);
        const chunk = out.subarray(at, at + len);
        out = Uint8Array.from([...out.subarray(0, at), ...chunk, ...chunk, ...out.subarray(at + len)]);
        break;
      }
      case 6: // truncate, half the time to a few bytes (headers shorter than their fixed part)
        out = out.slice(0, rng.below(2) === 0 ? rng.below(Math.min(n, 16) + 1) : rng.below(n + 1));
        break;
      default: {
        // splice: our head, the other seed's tail
        const at = rng.below(n + 1);
        const from = rng.below(other.length + 1);
        out = Uint8Array.from([...out.subarray(0, at), ...other.subarray(from)]);
      }
    }
  }
  return out;
}

export interface FuzzOptions {
  /** Seed inputs (valid files of the format). */
  seeds: readonly Uint8Array[];
  /** Runs the target on one input. It may throw the reader's documented error type, nothing else. */
  target: (input: Uint8Array) => void;
  /** Whether an error thrown by the target is an expected, clean rejection. */
  expected: (err: unknown) => boolean;
  /** Wall-clock budget in milliseconds (NEOX_FUZZ_MS overrides, for longer local runs). */
  budgetMs: number;
  seed?: number;
  /** Fails when one input takes longer than this (a hang). */
  maxInputMs?: number;
  /** Fails when the heap grows by more than this over the run (unbounded memory). */
  maxHeapGrowthBytes?: number;
}

export interface FuzzReport {
  rounds: number;
  rejected: number;
  accepted: number;
}

/** Rebuilds the input of `round` of a run with `seed`, to replay a failure outside the loop. */
export function replay(seeds: readonly Uint8Array[], seed: number, round: number): Uint8Array {
  const rng = new Rng(seed);
  let input: Uint8Array = new Uint8Array();
  for (let r = 0; r <= round; r++) {
    const base = seeds[rng.below(seeds.length)]!;
    const other = seeds[rng.below(seeds.length)]!;
    input = mutate(base, other, rng);
  }
  return input;
}

export function fuzz(opts: FuzzOptions): FuzzReport {
  const seed = opts.seed ?? 1;
  const budget = Number(process.env.NEOX_FUZZ_MS ?? opts.budgetMs);
  const maxInputMs = opts.maxInputMs ?? 2000;
  const maxGrowth = opts.maxHeapGrowthBytes ?? 256 << 20;
  const rng = new Rng(seed);
  const heap0 = process.memoryUsage().heapUsed;
  const end = Date.now() + budget;
  const report: FuzzReport = { rounds: 0, rejected: 0, accepted: 0 };
  for (let round = 0; Date.now() < end || round < opts.seeds.length; round++) {
    const base = opts.seeds[rng.below(opts.seeds.length)]!;
    const other = opts.seeds[rng.below(opts.seeds.length)]!;
    const input = mutate(base, other, rng);
    const t0 = Date.now();
    try {
      opts.target(input);
      report.accepted++;
    } catch (err) {
      if (!opts.expected(err)) {
        const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
        throw new Error(`fuzz seed ${seed} round ${round} (replay(seeds, ${seed}, ${round})): ${msg}`);
      }
      report.rejected++;
    }
    const took = Date.now() - t0;
    if (took > maxInputMs) {
      throw new Error(`fuzz seed ${seed} round ${round}: one input took ${took} ms (limit ${maxInputMs})`);
    }
    report.rounds++;
  }
  const growth = process.memoryUsage().heapUsed - heap0;
  if (growth > maxGrowth) {
    throw new Error(`fuzz seed ${seed}: heap grew by ${(growth / 2 ** 20).toFixed(0)} MiB over the run`);
  }
  return report;
}

/**
 * Runs the target on every truncation of every seed (each length up to 80 bytes, then every 7th):
 * files cut inside a magic number, a version or a length field, which random mutation reaches only
 * by chance. Every input must be accepted or refused with an expected error.
 */
export function sweepTruncations(
  seeds: readonly Uint8Array[],
  target: (input: Uint8Array) => void,
  expected: (err: unknown) => boolean,
): void {
  for (const s of seeds) {
    for (let n = 0; n < s.length; n += n < 80 ? 1 : 7) {
      try {
        target(s.subarray(0, n));
      } catch (e) {
        if (!expected(e))
          throw new Error(`truncated to ${n} bytes: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
