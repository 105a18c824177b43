// Conversion parity cases, run by test/convert.native.test.ts under every ISA against the
// bit-exact reference (src/reference/convert.ts). Each case names an input set; exact bits are
// required (NaN: see the test).
import type { ParityCase } from "../helpers/parity";

export interface ConvertCase extends ParityCase {
  op: "castF32ToF16" | "castF16ToF32" | "castF32ToBf16" | "castBf16ToF32";
  /** specials: +-0, +-inf, NaNs, ties, limits; random: random bit patterns; all16: every 16-bit pattern. */
  inputs: "specials" | "random" | "all16";
}

export const convertCases: ConvertCase[] = [
  { op: "castF32ToF16", name: "specials (ties, subnormals, overflow, NaN)", inputs: "specials" },
  { op: "castF32ToF16", name: "random float32 bit patterns", inputs: "random" },
  { op: "castF16ToF32", name: "every fp16 bit pattern", inputs: "all16" },
  { op: "castF32ToBf16", name: "specials (ties, subnormals, overflow, NaN)", inputs: "specials" },
  { op: "castF32ToBf16", name: "random float32 bit patterns", inputs: "random" },
  { op: "castBf16ToF32", name: "every bf16 bit pattern", inputs: "all16" },
];
