// fp32 <-> fp16 / bf16 casts against the bit-exact reference (src/reference/convert.ts) under every
// ISA: round to nearest even with ties at every exponent, subnormals, overflow, infinities, NaN.
// Cases: test/cases/convert.ts. fp16 must match bit for bit (NaN included: quiet, sign and top
// payload bits kept); bf16 NaN results need only be NaN.
import { expect, it } from "vitest";
import { NativeBuffer, nativeFunction, referenceConvert as ref, withIsa } from "../src/index";
import { convertCases } from "./cases/convert";
import { describeNative, isas, Rng } from "./helpers/native";

type Cast = (out: number, inp: number, n: number) => void;

/** float32 bit patterns that probe every rounding decision of both targets. */
function specials(): Uint32Array {
  const out: number[] = [
    0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xffc12345, 0x7fbfffff,
    0x477fe000, 0x477fefff, 0x477ff000, 0x477fffff, 0x47800000, 0x7f7fffff, 0xff7fffff, 0x7f7f7fff,
    0x33800000, 0x33000000, 0x33000001, 0x33c00000, 0x34200000, 0x38800000, 0x387fffff, 0x387fe000,
    0x00000001, 0x00008000, 0x00018000, 0x007fffff, 0x00800000, 0x3f801000, 0x3f803000, 0x3f808000,
    0x3f818000,
  ];
  // For every exponent and sign: mantissas at, just below and just above the fp16 (bit 12) and the
  // bf16 (bit 15) halfway points, with the kept lowest bit even and odd.
  const mantissas = [
    0x0, 0x1000, 0x0fff, 0x1001, 0x3000, 0x2fff, 0x3001, 0x8000, 0x7fff, 0x8001, 0x18000, 0x17fff, 0x18001,
    0x7fffff, 0x7fe000, 0x7ff000,
  ];
  for (let e = 0; e < 256; e++) {
    for (const m of mantissas) {
      out.push(((e << 23) | m) >>> 0);
      out.push((0x80000000 | (e << 23) | m) >>> 0);
    }
  }
  return Uint32Array.from(out);
}

function inputsFor(kind: "specials" | "random" | "all16"): Uint32Array {
  if (kind === "specials") return specials();
  if (kind === "all16") return Uint32Array.from({ length: 65536 }, (_, i) => i);
  const rng = new Rng(7);
  return Uint32Array.from({ length: 50_000 }, () => Math.floor(rng.uniform() * 2 ** 32));
}

const isNaN32 = (b: number) => (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0;
const isNaN16 = (h: number, expBits: number) => {
  const man = expBits === 5 ? 0x3ff : 0x7f;
  const exp = expBits === 5 ? 0x7c00 : 0x7f80;
  return (h & exp) === exp && (h & man) !== 0;
};

describeNative("fp16 / bf16 casts", () => {
  for (const isa of isas()) {
    for (const c of convertCases) {
      it(`${isa} ${c.op}: ${c.name}`, () => {
        const bits = inputsFor(c.inputs);
        const n = bits.length;
        const fn = nativeFunction<Cast>(c.op);
        const toHalf = c.op === "castF32ToF16" || c.op === "castF32ToBf16";
        const inp = new NativeBuffer(n, toHalf ? "f32" : c.op === "castF16ToF32" ? "f16" : "bf16");
        const out = new NativeBuffer(n, toHalf ? (c.op === "castF32ToF16" ? "f16" : "bf16") : "f32");
        try {
          if (toHalf) new Uint32Array(inp.f32().buffer).set(bits);
          else inp.u16().set(bits);
          withIsa(isa, () => fn(out.address, inp.address, n));
          const got = toHalf ? out.u16() : new Uint32Array(out.f32().buffer);
          const strictNaN = c.op === "castF32ToF16" || c.op === "castF16ToF32";
          let bad = 0;
          let first = "";
          for (let i = 0; i < n; i++) {
            const b = bits[i]!;
            const want =
              c.op === "castF32ToF16"
                ? ref.f32BitsToF16(b)
                : c.op === "castF32ToBf16"
                  ? ref.f32BitsToBf16(b)
                  : c.op === "castF16ToF32"
                    ? ref.f16ToF32Bits(b)
                    : ref.bf16ToF32Bits(b);
            const g = got[i]!;
            const nanOk =
              !strictNaN && (toHalf ? isNaN16(want, 8) && isNaN16(g, 8) : isNaN32(want) && isNaN32(g >>> 0));
            if (g >>> 0 !== want >>> 0 && !nanOk) {
              if (!bad)
                first = `input 0x${b.toString(16)}: got 0x${(g >>> 0).toString(16)}, want 0x${want.toString(16)}`;
              bad++;
            }
          }
          expect(bad, `${bad} of ${n} wrong; first ${first}`).toBe(0);
        } finally {
          inp.free();
          out.free();
        }
      });
    }
  }

  it("the reference rounds ties to even and keeps subnormals (independent spot checks)", () => {
    expect(ref.f64ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie, kept bit even: down
    expect(ref.f64ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, kept bit odd: up
    expect(ref.f64ToF16(65504)).toBe(0x7bff);
    expect(ref.f64ToF16(65520)).toBe(0x7c00); // halfway to 2^16 rounds to infinity
    expect(ref.f64ToF16(2 ** -24)).toBe(0x0001);
    expect(ref.f64ToF16(2 ** -25)).toBe(0x0000); // tie with 0: even
    expect(ref.f64ToF16(3 * 2 ** -25)).toBe(0x0002);
    expect(ref.f64ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(ref.f64ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(ref.f64ToBf16(-0)).toBe(0x8000);
    expect(ref.bf16ToF64(0x0001)).toBe(2 ** -133);
    expect(ref.f16ToF64(0x3555)).toBeCloseTo(0.333251953125, 15);
  });
});
