// Lazily bound native functions for the typed op wrappers: the addon is loaded on the first call,
// not at import, so importing @neox/kernels never fails on a machine without the build.
import { nativeFunction } from "../loader";

/** A native function's address-and-size arguments (see kernels/cpu/<op>.h for each). */
// biome-ignore lint/suspicious/noExplicitAny: native functions take numbers, booleans and arrays
type NativeFn = (...args: any[]) => any;

export function bindNative<F extends NativeFn>(name: string): F {
  let fn: F | undefined;
  return ((...args: Parameters<F>) => {
    fn ??= nativeFunction<F>(name);
    return fn(...args);
  }) as F;
}

/** A native address (the pointer value as a JS number); 0 is the null address. */
export type Address = number;
