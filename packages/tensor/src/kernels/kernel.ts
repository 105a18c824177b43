// The one typed surface between tensor ops and native kernels. Each kernel is declared once, as
// data (its native name and its arguments in native order, each with a kind), and the declaration
// becomes a typed launcher: `k.rmsnormForward(backend, { out, rstd, inp, weight, N, C, eps })`.
// A misspelt kernel, a missing, extra or misspelt argument, a tensor where a size goes or a number
// where a flag goes is a compile error; a tensor of the wrong dtype or a fractional size is a run
// time error naming the kernel and the argument, thrown before anything reaches native code.
//
// Each launcher binds its native function once per backend (`backend.kernel(name)`) and shows
// every launch, arguments still symbolic, to the launch observer: that is how a plan records a
// step (tensors re-homed into its arena, Scalars re-read on each replay). Kernel declarations
// live in the sibling files, one per kernel group as in @neox/kernels.

import type { Backend, KernelArg, KernelFn } from "../backend/backend";
import type { Tensor } from "../tensor";

/**
 * A number a plan re-reads on every replay (learning rate, optimizer step, dropout seed). Pass it
 * where a kernel takes a `scalar`; in eager mode its current value is used.
 */
export class Scalar {
  constructor(
    public value: number,
    readonly name = "scalar",
  ) {}
}

type Access = "in" | "out" | "inout";
/** Element type a tensor argument must have; `bytes` takes any dtype (memcpy). */
type Elem = "f32" | "bf16" | "f16" | "i32" | "bytes";

/**
 * The kind of one kernel argument:
 *   "in f32", "out bf16", "inout f32"  a tensor (its device address), read, written or both
 *   "in? f32", "out? f32"              the same, or null for the kernel's null address (0)
 *   "inout f32[]", "in f32[]"          a list of tensors (multi-tensor kernels)
 *   "size"                             an integer >= 0 fixed when a plan is recorded
 *   "int"                              an integer of either sign (a window, -1 for none)
 *   "scalar"                           a number or a Scalar (a plan re-reads Scalars)
 *   "flag"                             a boolean
 *   "sizes", "scalars"                 lists of numbers
 */
export type ArgKind =
  | `${Access}${"" | "?"} ${Elem}`
  | `${"in" | "inout"} ${Elem}[]`
  | "size"
  | "int"
  | "scalar"
  | "flag"
  | "sizes"
  | "scalars";

type ValueOf<K extends ArgKind> = K extends `${string}[]`
  ? readonly Tensor[]
  : K extends `${Access}? ${string}`
    ? Tensor | null
    : K extends `${Access} ${string}`
      ? Tensor
      : K extends "size" | "int"
        ? number
        : K extends "scalar"
          ? number | Scalar
          : K extends "flag"
            ? boolean
            : readonly number[];

/** A kernel's arguments by name, in native order (object keys keep their insertion order). */
export type Signature = Readonly<Record<string, ArgKind>>;
export type KernelArgs<S extends Signature> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** A launch argument as observers see it: tensors still symbolic, Scalars not yet read. */
export type LaunchArg = number | boolean | Tensor | Scalar | readonly (number | Tensor)[];

interface ArgSpec {
  readonly key: string;
  readonly kind: ArgKind;
  /** For tensor kinds: the element type, whether null is allowed, whether it is a list. */
  readonly tensor: { elem: Elem; optional: boolean; list: boolean } | null;
}

/** What a launch observer learns about the kernel: its name and argument kinds in native order. */
export interface KernelDecl {
  readonly name: string;
  readonly args: readonly ArgSpec[];
}

export type Launcher<S extends Signature> = ((backend: Backend, args: KernelArgs<S>) => void) & {
  readonly decl: KernelDecl;
};

export interface LaunchObserver {
  launched(backend: Backend, kernel: KernelDecl, args: readonly LaunchArg[]): void;
}

let observer: LaunchObserver | null = null;

export function setLaunchObserver(next: LaunchObserver | null): LaunchObserver | null {
  const previous = observer;
  observer = next;
  return previous;
}

const TENSOR_KIND = /^(in|out|inout)(\?)? (f32|bf16|f16|i32|bytes)(\[\])?$/;

function specOf(key: string, kind: ArgKind): ArgSpec {
  const m = TENSOR_KIND.exec(kind);
  const tensor = m ? { elem: m[3] as Elem, optional: m[2] === "?", list: m[4] === "[]" } : null;
  return { key, kind, tensor };
}

type Resolve = (value: unknown) => KernelArg;

// The native value of one argument, chosen once per declared argument; it throws naming the
// kernel and argument when a value is unusable.
function resolverOf(name: string, spec: ArgSpec): Resolve {
  const { key, kind, tensor } = spec;
  if (tensor) {
    const { elem, optional, list } = tensor;
    const address = (t: Tensor): number => {
      if (elem !== "bytes" && t.dtype !== elem) throw new Error(`${name}: ${key} must be ${elem}, got ${t}`);
      return t.address;
    };
    return (value) => {
      if (value === null || value === undefined) {
        if (optional) return 0;
        throw new Error(`${name}: ${key} is required (got ${value})`);
      }
      return list ? (value as readonly Tensor[]).map(address) : address(value as Tensor);
    };
  }
  if (kind === "scalar") return (value) => (value instanceof Scalar ? value.value : (value as number));
  if (kind === "size" || kind === "int") {
    return (value) => {
      if (!Number.isInteger(value)) throw new Error(`${name}: ${key} must be an integer, got ${value}`);
      if (kind === "size" && (value as number) < 0)
        throw new Error(`${name}: ${key} must be >= 0, got ${value}`);
      return value as number;
    };
  }
  return (value) => value as KernelArg;
}

/** One typed launcher per kernel of `signatures` (keys are the kernels' native names). */
export function declareKernels<D extends Record<string, Signature>>(
  signatures: D,
): { readonly [N in keyof D]: Launcher<D[N]> } {
  const out: Record<string, Launcher<Signature>> = {};
  for (const [name, signature] of Object.entries(signatures)) out[name] = launcher(name, signature);
  return out as { readonly [N in keyof D]: Launcher<D[N]> };
}

function launcher<S extends Signature>(name: string, signature: S): Launcher<S> {
  const specs = Object.entries(signature).map(([key, kind]) => specOf(key, kind));
  const keys = specs.map((s) => s.key);
  const resolvers = specs.map((s) => resolverOf(name, s));
  const decl: KernelDecl = { name, args: specs };
  // Bound once per backend: a launch reads each argument once, checks it and calls native code.
  let bound: Backend | null = null;
  let fn: KernelFn | null = null;
  const launch = (backend: Backend, args: KernelArgs<S>): void => {
    if (backend !== bound) {
      fn = backend.kernel(name);
      bound = backend;
    }
    const given = args as Readonly<Record<string, unknown>>;
    const native = new Array<KernelArg>(keys.length);
    for (let i = 0; i < keys.length; i++) native[i] = resolvers[i]!(given[keys[i]!]);
    if (observer) {
      // Null optional tensors become the null address; everything else as the op passed it.
      const symbolic = specs.map((s, i) => (given[s.key] ?? native[i]) as LaunchArg);
      observer.launched(backend, decl, symbolic);
    }
    fn!(...native);
  };
  return Object.assign(launch, { decl });
}
