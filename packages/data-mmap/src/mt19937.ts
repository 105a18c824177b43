// numpy's legacy `np.random.RandomState(seed)`: the MT19937 generator seeded with init_genrand, and its
// `shuffle` (Fisher-Yates over `random_interval`). GPT-NeoX builds doc_idx and shuffle_idx with it, so
// Pythia's data order depends on reproducing it bit for bit (neox-spec §2b; numpy
// random/src/mt19937/mt19937.c, random/src/distributions/distributions.c `random_interval`,
// random/mtrand.pyx `RandomState.shuffle`). Checked against numpy's own outputs in test/mt19937.test.ts.

const N = 624;
const M = 397;
const TWO_32 = 4294967296;

export class MT19937 {
  private readonly key = new Uint32Array(N);
  private pos = N;

  /**
   * `RandomState(seed)` for an integer seed: numpy accepts 0..2^32-1 and seeds with init_genrand
   * (mt[0] = seed; mt[i] = 1812433253·(mt[i-1] ^ (mt[i-1] >> 30)) + i), not init_by_array.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(
        `seed must be an integer between 0 and 2**32 - 1 (as numpy's RandomState), got ${seed}`,
      );
    }
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.key[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
  }

  /** Regenerates the 624-word state (the standard MT19937 twist). */
  private twist(): void {
    const mt = this.key;
    let i = 0;
    let y: number;
    for (; i < N - M; i++) {
      y = (mt[i]! & 0x80000000) | (mt[i + 1]! & 0x7fffffff);
      mt[i] = mt[i + M]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    for (; i < N - 1; i++) {
      y = (mt[i]! & 0x80000000) | (mt[i + 1]! & 0x7fffffff);
      mt[i] = mt[i + M - N]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    y = (mt[N - 1]! & 0x80000000) | (mt[0]! & 0x7fffffff);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    this.pos = 0;
  }

  /** The next 32-bit output (numpy `next_uint32`), as a non-negative number. */
  nextUint32(): number {
    if (this.pos === N) this.twist();
    let y = this.key[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * numpy `random_interval(max)`: a uniform integer in [0, max] by masked rejection sampling. Above
   * 0xffffffff it draws 64-bit words (high word first, as mt19937_next64) — exact here up to 2^53.
   */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    if (max <= 0xffffffff) {
      const mask = 0xffffffff >>> Math.clz32(max);
      let v: number;
      do v = (this.nextUint32() & mask) >>> 0;
      while (v > max);
      return v;
    }
    if (max > Number.MAX_SAFE_INTEGER) throw new RangeError(`randomInterval: ${max} is beyond 2^53`);
    const maxHi = Math.floor(max / TWO_32);
    const maskHi = 0xffffffff >>> Math.clz32(maxHi);
    let v: number;
    do {
      const hi = (this.nextUint32() & maskHi) >>> 0;
      v = hi * TWO_32 + this.nextUint32();
    } while (v > max);
    return v;
  }

  /**
   * `RandomState.shuffle(a)` for a 1-D array, in place: for i = n-1 .. 1, swap a[i] with
   * a[random_interval(i)]. numpy uses this same path for every dtype of a 1-D ndarray.
   */
  shuffle(a: Int32Array | Uint32Array | Float64Array): void {
    const n = a.length;
    // The hot loop (146M iterations for a Pythia-scale shuffle_idx) keeps the generator inline.
    const mt = this.key;
    for (let i = n - 1; i > 0; i--) {
      let j: number;
      if (i <= 0xffffffff) {
        const mask = 0xffffffff >>> Math.clz32(i);
        do {
          if (this.pos === N) this.twist();
          let y = mt[this.pos++]!;
          y ^= y >>> 11;
          y ^= (y << 7) & 0x9d2c5680;
          y ^= (y << 15) & 0xefc60000;
          y ^= y >>> 18;
          j = (y & mask) >>> 0;
        } while (j > i);
      } else {
        j = this.randomInterval(i);
      }
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}
