// Planned execution. `Plan.record(step)` runs one step eagerly while watching every allocation and
// kernel launch, then compiles it: a fixed list of native calls whose arguments are final numbers,
// with every buffer the step allocated placed at an offset of one arena (arena.ts). `run()` replays
// that list and allocates nothing. Buffers that existed before recording (weights, gradients,
// optimizer state, input batches) are used in place and kept alive by the plan; refresh inputs by
// writing into them between runs. Numbers that change per step live in device buffers the host
// writes between runs (the optimizers' StepScalars: lr, step, unscale; a backward seed such as the
// fp16 loss scale); dropout seeds are `Scalar`s, which the plan re-reads on each run. Host marks
// (marks.ts) keep their place among the launches: `run(onMark)` calls back at each.

import type { Backend, KernelArg, KernelFn } from "../backend/backend";
import { itemSize } from "../dtype";
import {
  type KernelDecl,
  type LaunchArg,
  type LaunchObserver,
  Scalar,
  setLaunchObserver,
} from "../kernels/kernel";
import { type Storage, Storage as StorageClass, type StorageObserver, setStorageObserver } from "../storage";
import { Tensor } from "../tensor";
import { assignOffsets, type Lifetime } from "./arena";
import { type MarkHandler, type MarkRecorder, setMarkRecorder } from "./marks";

type RecordedBuffer = { kind: "buffer"; storage: Storage; byteOffset: number };
type RecordedArg =
  | { kind: "value"; value: number | boolean }
  | { kind: "scalar"; scalar: Scalar }
  | RecordedBuffer
  | { kind: "list"; items: (number | RecordedBuffer)[] };

interface RecordedLaunch {
  kernel: string;
  args: RecordedArg[];
}

export interface PlanStats {
  /** Native calls per run. */
  launches: number;
  /** Buffers the recorded step allocated, now placed in the arena. */
  buffers: number;
  /** Arena size in bytes. */
  arenaBytes: number;
  /** What those buffers would take without sharing (sum of their sizes). */
  unsharedBytes: number;
}

/** A host mark: `label` is called back before launch `at` (at = launches: after the last one). */
interface Mark {
  at: number;
  label: number;
}

class Recorder implements LaunchObserver, StorageObserver, MarkRecorder {
  backend: Backend | null = null;
  readonly launches: RecordedLaunch[] = [];
  readonly marks: Mark[] = [];
  /** Allocated while recording, in order. */
  readonly created: Storage[] = [];
  readonly createdSet = new Set<Storage>();
  /** Allocated before recording and used by a launch; the plan holds a reference. */
  readonly external = new Set<Storage>();

  allocated(storage: Storage): void {
    this.created.push(storage);
    this.createdSet.add(storage);
  }

  released(): void {}

  marked(label: number): void {
    this.marks.push({ at: this.launches.length, label });
  }

  hostWrite(storage: Storage): void {
    if (this.createdSet.has(storage)) {
      throw new Error(
        `Plan.record: the step wrote host data into a tensor it allocated (storage #${storage.id}); a plan ` +
          "cannot replay host writes. Create constants and input buffers before recording.",
      );
    }
  }

  launched(backend: Backend, kernel: KernelDecl, args: readonly LaunchArg[]): void {
    if (this.backend && this.backend !== backend) {
      throw new Error(
        `Plan.record: launches on ${this.backend.device} and ${backend.device}; a plan runs on one device`,
      );
    }
    this.backend = backend;
    const buffer = (t: Tensor): RecordedBuffer => {
      const storage = t.storage;
      if (!this.createdSet.has(storage) && !this.external.has(storage)) {
        storage.retain();
        this.external.add(storage);
      }
      return { kind: "buffer", storage, byteOffset: t.offset * itemSize(t.dtype) };
    };
    const out: RecordedArg[] = args.map((a): RecordedArg => {
      if (typeof a === "number" || typeof a === "boolean") return { kind: "value", value: a };
      if (a instanceof Scalar) return { kind: "scalar", scalar: a };
      if (Array.isArray(a)) {
        return {
          kind: "list",
          items: a.map((x: number | Tensor) => (typeof x === "number" ? x : buffer(x))),
        };
      }
      return buffer(a as Tensor);
    });
    this.launches.push({ kernel: kernel.name, args: out });
  }
}

export class Plan {
  private disposed = false;

  private constructor(
    private readonly backend: Backend,
    private readonly names: string[],
    private readonly fns: KernelFn[],
    private readonly argv: KernelArg[][],
    private readonly patches: { step: number; index: number; scalar: Scalar }[],
    private readonly arena: Storage,
    /** Arena byte offset of each storage the step allocated and left alive (its outputs). */
    private readonly outputs: Map<Storage, number>,
    private readonly external: Set<Storage>,
    readonly stats: PlanStats,
    private readonly marks: readonly Mark[],
  ) {}

  /** Run `step` once (for real) while recording it, and compile the recording. */
  static record<T>(step: () => T): { plan: Plan; result: T } {
    const recorder = new Recorder();
    const prevLaunch = setLaunchObserver(recorder);
    if (prevLaunch instanceof Recorder) {
      setLaunchObserver(prevLaunch);
      throw new Error("Plan.record: already recording a step (plans do not nest)");
    }
    const prevStorage = setStorageObserver(recorder);
    const prevMarks = setMarkRecorder(recorder);
    let result: T;
    try {
      result = step();
    } catch (error) {
      for (const s of recorder.external) s.release();
      throw error;
    } finally {
      setLaunchObserver(prevLaunch);
      setStorageObserver(prevStorage);
      setMarkRecorder(prevMarks);
    }
    return { plan: Plan.compile(recorder), result };
  }

  private static compile(rec: Recorder): Plan {
    const backend = rec.backend;
    if (!backend) throw new Error("Plan.record: the step launched no kernels");
    const n = rec.launches.length;
    // Lifetime of each allocated buffer: first..last launch touching it. Buffers still alive at the
    // end are the step's outputs (loss, lazily created state): they span the whole plan, so their
    // contents survive from one run to the next.
    const first = new Map<Storage, number>();
    const last = new Map<Storage, number>();
    const touch = (a: RecordedBuffer, i: number): void => {
      if (!rec.createdSet.has(a.storage)) return;
      if (!first.has(a.storage)) first.set(a.storage, i);
      last.set(a.storage, i);
    };
    rec.launches.forEach((l, i) => {
      for (const a of l.args) {
        if (a.kind === "buffer") touch(a, i);
        else if (a.kind === "list") for (const x of a.items) if (typeof x !== "number") touch(x, i);
      }
    });
    const lifetimes: Lifetime[] = [];
    let unsharedBytes = 0;
    for (const s of rec.created) {
      const alive = !s.isFreed;
      if (!first.has(s) && !alive) continue;
      lifetimes.push({
        key: s.id,
        bytes: s.bytes,
        first: alive ? 0 : first.get(s)!,
        last: alive ? n : last.get(s)!,
      });
      unsharedBytes += s.bytes;
    }
    const layout = assignOffsets(lifetimes);
    const arena = StorageClass.allocate(backend, layout.bytes);
    arena.retain();
    const base = arena.address;
    const byId = new Map(rec.created.map((s) => [s.id, s]));

    const address = (a: RecordedBuffer): number => {
      const offset = layout.offsets.get(a.storage.id);
      return (offset === undefined ? a.storage.address : base + offset) + a.byteOffset;
    };
    const fns: KernelFn[] = [];
    const argv: KernelArg[][] = [];
    const patches: { step: number; index: number; scalar: Scalar }[] = [];
    rec.launches.forEach((l, step) => {
      fns.push(backend.kernel(l.kernel));
      argv.push(
        l.args.map((a, index): KernelArg => {
          if (a.kind === "value") return a.value;
          if (a.kind === "scalar") {
            patches.push({ step, index, scalar: a.scalar });
            return a.scalar.value;
          }
          if (a.kind === "list") return a.items.map((x) => (typeof x === "number" ? x : address(x)));
          return address(a);
        }),
      );
    });
    const outputs = new Map<Storage, number>();
    for (const [id, offset] of layout.offsets) {
      const s = byId.get(id)!;
      if (!s.isFreed) outputs.set(s, offset);
    }
    const stats: PlanStats = {
      launches: n,
      buffers: lifetimes.length,
      arenaBytes: layout.bytes,
      unsharedBytes,
    };
    const names = rec.launches.map((l) => l.kernel);
    return new Plan(backend, names, fns, argv, patches, arena, outputs, rec.external, stats, rec.marks);
  }

  /**
   * Replay the step. Allocates nothing. `onMark` receives the recorded host marks in their places
   * (without it they are skipped).
   */
  run(onMark?: MarkHandler): void {
    if (this.disposed) throw new Error("Plan.run: the plan was disposed");
    for (const p of this.patches) this.argv[p.step]![p.index] = p.scalar.value;
    const { fns, argv, marks } = this;
    if (!onMark || marks.length === 0) {
      for (let i = 0; i < fns.length; i++) fns[i]!.apply(null, argv[i]!);
      return;
    }
    let i = 0;
    for (const m of marks) {
      for (; i < m.at; i++) fns[i]!.apply(null, argv[i]!);
      onMark(m.label);
    }
    for (; i < fns.length; i++) fns[i]!.apply(null, argv[i]!);
  }

  /** The recorded host marks' labels, in order. */
  get markLabels(): number[] {
    return this.marks.map((m) => m.label);
  }

  /**
   * Diagnostics: replay once, attributing native allocation calls to the kernels that made them
   * (kernels should take scratch from a persistent workspace; any entry here is a kernel that
   * allocates per call).
   */
  allocationsByKernel(): Map<string, number> {
    if (this.disposed) throw new Error("Plan.allocationsByKernel: the plan was disposed");
    for (const p of this.patches) this.argv[p.step]![p.index] = p.scalar.value;
    const out = new Map<string, number>();
    for (let i = 0; i < this.fns.length; i++) {
      const before = this.backend.allocStats().calls;
      this.fns[i]!.apply(null, this.argv[i]!);
      const made = this.backend.allocStats().calls - before;
      if (made > 0) out.set(this.names[i]!, (out.get(this.names[i]!) ?? 0) + made);
    }
    return out;
  }

  /** Diagnostics: replay once, timing each kernel (ms per kernel name, with call counts). */
  profile(): Map<string, { calls: number; ms: number }> {
    if (this.disposed) throw new Error("Plan.profile: the plan was disposed");
    for (const p of this.patches) this.argv[p.step]![p.index] = p.scalar.value;
    const out = new Map<string, { calls: number; ms: number }>();
    for (let i = 0; i < this.fns.length; i++) {
      const t0 = performance.now();
      this.fns[i]!.apply(null, this.argv[i]!);
      this.backend.synchronize();
      const entry = out.get(this.names[i]!) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - t0;
      out.set(this.names[i]!, entry);
    }
    return out;
  }

  /**
   * The arena twin of a tensor the recorded step returned: same shape, reading the memory each
   * run() writes. Dispose it like any tensor (the arena stays with the plan).
   */
  tensor(recorded: Tensor): Tensor {
    const offset = this.outputs.get(recorded.storage);
    if (offset === undefined) {
      if (this.external.has(recorded.storage)) return recorded.alias();
      throw new Error(`Plan.tensor: ${recorded} is not an output of the recorded step (was it disposed?)`);
    }
    const borrowed = StorageClass.borrow(this.backend, this.arena.address + offset, recorded.storage.bytes);
    return new Tensor(borrowed, recorded.shape, recorded.dtype, recorded.strides, recorded.offset);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.arena.release();
    for (const s of this.external) s.release();
  }
}
