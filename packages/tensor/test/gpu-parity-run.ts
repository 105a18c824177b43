// How the GPU op parity table (gpu-parity-cases.ts) runs: each case's inputs and kernel arguments,
// run on two backends and compared (compareCase). Each case:
// buffers (host arrays), the kernel's arguments in native order (a buffer name, or { buf, at } for
// an element offset into one, a number, a flag, null for a null address, or a list of these), and
// the buffers to compare with their tolerance (max |gpu - cpu| / max |cpu|; 0 demands the same
// bits: casts, dropout masks, tables).
import type { Backend } from "../src/backend/backend";

export type HostArray = Float32Array | Int32Array | Uint16Array;
export type Ref = string | { buf: string; at: number };
export type Arg = Ref | number | boolean | null | readonly (Ref | number)[];
export interface Case {
  name: string;
  kernel: string;
  bufs: Record<string, HostArray>;
  args: Arg[];
  /** Buffers compared after the launch, with their tolerance. */
  compare: Record<string, number>;
}

// Runs one case on a backend; returns the compared buffers' contents.
export function runOn(backend: Backend, c: Case): Record<string, HostArray> {
  const address = new Map<string, number>();
  for (const [name, host] of Object.entries(c.bufs)) {
    const p = backend.allocate(Math.max(host.byteLength, 4));
    backend.write(p, host);
    address.set(name, p);
  }
  const resolve = (a: Ref | number): number => {
    if (typeof a === "number") return a;
    const name = typeof a === "string" ? a : a.buf;
    const base = address.get(name);
    if (base === undefined) throw new Error(`${c.name}: no buffer "${name}"`);
    return typeof a === "string" ? base : base + a.at * c.bufs[name]!.BYTES_PER_ELEMENT;
  };
  const args = c.args.map((a) =>
    a === null
      ? 0
      : typeof a === "boolean"
        ? a
        : Array.isArray(a)
          ? a.map(resolve)
          : resolve(a as Ref | number),
  );
  backend.kernel(c.kernel)(...args);
  backend.synchronize();
  const out: Record<string, HostArray> = {};
  for (const name of Object.keys(c.compare)) {
    const host = c.bufs[name]!;
    const copy = new (host.constructor as new (n: number) => HostArray)(host.length);
    backend.read(address.get(name)!, copy);
    out[name] = copy;
  }
  for (const p of address.values()) backend.free(p);
  return out;
}

const widen = (a: HostArray, bf16: boolean) =>
  a instanceof Uint16Array && bf16
    ? Float64Array.from(a, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!)
    : Float64Array.from(a);

export function relErr(got: HostArray, want: HostArray, bf16: boolean): number {
  const g = widen(got, bf16);
  const w = widen(want, bf16);
  let d = 0;
  let m = 0;
  for (let i = 0; i < w.length; i++) {
    if (Number.isNaN(w[i]!) !== Number.isNaN(g[i]!)) return Number.POSITIVE_INFINITY;
    if (Number.isNaN(w[i]!)) continue;
    d = Math.max(d, Math.abs(g[i]! - w[i]!));
    m = Math.max(m, Math.abs(w[i]!));
  }
  return m === 0 ? d : d / m;
}

/** Whether buffer `name` of case `c` holds bf16 bits (compared as the floats they encode). */
function holdsBf16(c: Case, name: string): boolean {
  return c.kernel.endsWith("Bf16") && c.bufs[name] instanceof Uint16Array;
}

/** Each compared buffer's error of `got` against `want` and its tolerance. */
export function compareCase(
  c: Case,
  got: Record<string, HostArray>,
  want: Record<string, HostArray>,
): { buffer: string; err: number; tol: number }[] {
  return Object.entries(c.compare).map(([buffer, tol]) => ({
    buffer,
    err: relErr(got[buffer]!, want[buffer]!, holdsBf16(c, buffer)),
    tol,
  }));
}
