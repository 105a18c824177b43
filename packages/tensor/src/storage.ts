// A block of device memory shared by a tensor and its views. Each Tensor holding it takes one
// reference; the memory is freed the moment the last holder is disposed, never by the JS GC.

import type { Backend } from "./backend/backend";

/** Observes allocations and frees; the planner installs one while it records a step. */
export interface StorageObserver {
  allocated(storage: Storage): void;
  released(storage: Storage): void;
  /** The host wrote into this storage (a plan cannot replay host writes). */
  hostWrite(storage: Storage): void;
}

let observer: StorageObserver | null = null;
let nextId = 1;

export function setStorageObserver(next: StorageObserver | null): StorageObserver | null {
  const previous = observer;
  observer = next;
  return previous;
}

export class Storage {
  readonly id = nextId++;
  private refs = 0;
  private freed = false;

  private constructor(
    readonly backend: Backend,
    private addr: number,
    readonly bytes: number,
    /** Borrowed storage points into memory someone else frees (a plan's arena). */
    readonly owned: boolean,
  ) {}

  static allocate(backend: Backend, bytes: number): Storage {
    const storage = new Storage(backend, backend.allocate(Math.max(bytes, 1)), bytes, true);
    observer?.allocated(storage);
    return storage;
  }

  static borrow(backend: Backend, address: number, bytes: number): Storage {
    return new Storage(backend, address, bytes, false);
  }

  get address(): number {
    if (this.freed) throw new Error(`storage #${this.id} (${this.bytes} bytes) was used after it was freed`);
    return this.addr;
  }

  /** Number of tensors holding this memory. */
  get refCount(): number {
    return this.refs;
  }

  get isFreed(): boolean {
    return this.freed;
  }

  /** Copy host bytes in (tests, inputs, weights); a recording planner refuses it for intermediates. */
  write(byteOffset: number, src: ArrayBufferView): void {
    if (byteOffset < 0 || byteOffset + src.byteLength > this.bytes) {
      throw new Error(
        `storage #${this.id}: write of ${src.byteLength} bytes at ${byteOffset} overruns ${this.bytes}`,
      );
    }
    observer?.hostWrite(this);
    this.backend.write(this.address + byteOffset, src);
  }

  read(byteOffset: number, dst: ArrayBufferView): void {
    if (byteOffset < 0 || byteOffset + dst.byteLength > this.bytes) {
      throw new Error(
        `storage #${this.id}: read of ${dst.byteLength} bytes at ${byteOffset} overruns ${this.bytes}`,
      );
    }
    this.backend.read(this.address + byteOffset, dst);
  }

  retain(): void {
    if (this.freed) throw new Error(`storage #${this.id} was retained after it was freed`);
    this.refs++;
  }

  release(): void {
    if (this.freed) return;
    if (--this.refs > 0) return;
    this.freed = true;
    if (this.owned) {
      observer?.released(this);
      this.backend.free(this.addr);
    }
  }
}
