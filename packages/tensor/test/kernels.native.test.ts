// The typed kernel surface (src/kernels): every declaration matches the native function's
// argument count, bad tensors and sizes are refused before native code runs, the launch observer
// sees every launch with its arguments still symbolic, and misuse does not compile (each
// expected-error line of misuseDoesNotCompile: `npx tsc -p .` fails if one stops being an error).
import { native } from "@neox/kernels";
import { describe, expect, it } from "vitest";
import {
  backward,
  dropout,
  getBackend,
  type KernelDecl,
  k,
  type LaunchArg,
  linear,
  rmsNorm,
  Scalar,
  scope,
  setLaunchObserver,
  Tensor,
} from "../src/index";

/** The launches `fn` makes: kernel name and arguments as the observer sees them. */
function launches(fn: () => void): { name: string; args: readonly LaunchArg[] }[] {
  const seen: { name: string; args: readonly LaunchArg[] }[] = [];
  const previous = setLaunchObserver({
    launched: (_backend, kernel: KernelDecl, args) => seen.push({ name: kernel.name, args }),
  });
  try {
    scope(fn);
  } finally {
    setLaunchObserver(previous);
  }
  return seen;
}

describe("kernel declarations", () => {
  it("each has the argument count of its native function (the glue reports how many it needs)", () => {
    const cpu = getBackend("cpu");
    const addon = native() as unknown as Record<string, unknown>;
    for (const [name, launcher] of Object.entries(k)) {
      expect(launcher.decl.name).toBe(name);
      const n = launcher.decl.args.length;
      if (typeof addon[name] !== "function") {
        // memcpy, memset0: the backend's own functions.
        expect({ name, arity: cpu.kernel(name).length }).toEqual({ name, arity: n });
        continue;
      }
      const fn = addon[name] as () => void;
      expect(() => fn()).toThrow(new RegExp(`^${name}: expected ${n} arguments, got 0$`));
    }
  });

  it("refuses a tensor of the wrong dtype, a missing one and a fractional size, naming the argument", () => {
    const b = getBackend("cpu");
    const out = Tensor.fromArray([7, 7, 7, 7], [4]);
    const bf = Tensor.empty([4], { dtype: "bf16" });
    expect(() => k.geluForward(b, { out, inp: bf, n: 4, tanhApprox: false })).toThrow(
      /^geluForward: inp must be f32, got Tensor\[4\] bf16 cpu$/,
    );
    expect(() => k.fillF32(b, { out, value: 1, n: 1.5 })).toThrow(/^fillF32: n must be an integer, got 1.5$/);
    expect(() => k.fillF32(b, { out, value: 1, n: -1 })).toThrow(/^fillF32: n must be >= 0, got -1$/);
    // A required tensor passed as null despite the types (from untyped code).
    expect(() => k.copyF32(b, { out, inp: null as unknown as Tensor, n: 4 })).toThrow(
      /^copyF32: inp is required/,
    );
    expect(Array.from(out.toFloat32Array())).toEqual([7, 7, 7, 7]); // nothing ran
    k.fillF32(b, { out, value: new Scalar(2), n: 4 });
    expect(Array.from(out.toFloat32Array())).toEqual([2, 2, 2, 2]);
    out.dispose();
    bf.dispose();
  });
});

describe("the launch observer", () => {
  it("sees each launch with tensors, Scalars and null optionals as the op passed them", () => {
    const x = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    const seed = new Scalar(5, "seed");
    let y: Tensor | null = null;
    const seen = launches(() => {
      y = rmsNorm(x, null, 1e-6);
      dropout(y, 0.5, { seed, offset: 3 });
    });
    expect(seen.map((l) => l.name)).toEqual(["rmsnormForward", "dropoutForward"]);
    const [norm, drop] = seen as [(typeof seen)[0], (typeof seen)[0]];
    expect(norm.args[0]).toBeInstanceOf(Tensor); // out, still symbolic
    expect(norm.args[2]).toBe(x); // inp
    expect(norm.args[3]).toBe(0); // weight: null is the null address
    expect(norm.args.slice(4)).toEqual([2, 3, 1e-6]);
    expect(drop.args[3]).toBe(0.5);
    expect(drop.args[4]).toBe(seed); // a plan re-reads it on replay
    x.dispose();
  });

  it("a bias-free linear launches no bias kernel, forward or backward", () => {
    const x = Tensor.fromArray(new Float32Array(12).fill(1), [3, 4]).requireGrad();
    const w = Tensor.fromArray(new Float32Array(8).fill(0.5), [2, 4]).requireGrad();
    const b = Tensor.fromArray([1, 2], [2]).requireGrad();
    const dy = Tensor.fromArray([1, 0, 0, 1, 1, 1], [3, 2]);
    const names = (bias: Tensor | null) => {
      const seen = launches(() => backward(linear(x, w, bias), dy)).map((l) => l.name);
      for (const t of [x, w, b]) {
        t.grad?.dispose();
        t.grad = null;
      }
      return seen;
    };
    const without = names(null);
    expect(without.filter((n) => n === "sgemm")).toHaveLength(3); // y, dx, dW
    expect(without.filter((n) => n.startsWith("bias"))).toEqual([]);
    expect(names(b).filter((n) => n.startsWith("bias"))).toEqual(["biasAddForward", "biasAddBackward"]);
    for (const t of [x, w, b, dy]) t.dispose();
  });
});

// Never called: each line must fail to compile.
export function misuseDoesNotCompile(b: ReturnType<typeof getBackend>, t: Tensor): void {
  // @ts-expect-error a misspelt kernel
  k.rmsNormForward(b, {});
  // @ts-expect-error a missing argument (eps)
  k.rmsnormForward(b, { out: t, rstd: null, inp: t, weight: null, N: 1, C: 1 });
  // @ts-expect-error an extra argument
  k.copyF32(b, { out: t, inp: t, n: 1, alpha: 2 });
  // @ts-expect-error a misspelt argument
  k.copyF32(b, { out: t, input: t, n: 1 });
  // @ts-expect-error a tensor where a size goes
  k.copyF32(b, { out: t, inp: t, n: t });
  // @ts-expect-error a number where a flag goes
  k.geluForward(b, { out: t, inp: t, n: 1, tanhApprox: 1 });
  // @ts-expect-error null for a required tensor
  k.geluForward(b, { out: t, inp: null, n: 1, tanhApprox: false });
  // @ts-expect-error a Scalar where a size goes (sizes are fixed when a plan is recorded)
  k.fillF32(b, { out: t, value: 0, n: new Scalar(1) });
  k.adamwStep(b, {
    // @ts-expect-error a list of numbers where a list of tensors goes
    params: [1],
    grads: [t],
    m: [t],
    v: [t],
    sizes: [1],
    weightDecays: [0],
    beta1: 0,
    beta2: 0,
    eps: 0,
    scalars: t,
  });
  k.adamwStep(b, {
    params: [t],
    grads: [t],
    m: [t],
    v: [t],
    sizes: [1],
    weightDecays: [0],
    beta1: 0,
    beta2: 0,
    eps: 0,
    // @ts-expect-error a host number where the step-scalars tensor goes (lr, t never come from the host)
    scalars: 1,
  });
}
