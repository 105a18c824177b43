// Deterministic lifetimes: `scope(fn)` disposes every tensor created inside `fn` except those it
// returns (which move to the enclosing scope) and those passed to `keep`. Tensors created outside
// any scope belong to the caller, who disposes them.

/** Anything a scope can own. Tensor implements it. */
export interface Scoped {
  dispose(): void;
}

const stack: Set<Scoped>[] = [];

/** Called by every tensor constructor: the innermost open scope takes ownership. */
export function track(item: Scoped): void {
  stack[stack.length - 1]?.add(item);
}

/** Remove `item` from every open scope: the caller now owns it. */
export function keep<T extends Scoped>(item: T): T {
  for (const owned of stack) owned.delete(item);
  return item;
}

export function scopeDepth(): number {
  return stack.length;
}

export function scope<T>(fn: () => T): T {
  const owned = new Set<Scoped>();
  stack.push(owned);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new Error(
        "scope(fn): fn returned a Promise; scopes are synchronous (await outside, scope inside)",
      );
    }
  } catch (error) {
    stack.pop();
    for (const item of owned) item.dispose();
    throw error;
  }
  stack.pop();
  const survivors = new Set<Scoped>();
  collect(result, survivors, 0);
  const parent = stack[stack.length - 1];
  for (const item of owned) {
    if (survivors.has(item)) parent?.add(item);
    else item.dispose();
  }
  return result;
}

// Returned tensors may sit inside arrays or plain objects (`{ loss, logits }`).
function collect(value: unknown, out: Set<Scoped>, depth: number): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  if (typeof (value as Scoped).dispose === "function") {
    out.add(value as Scoped);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}
