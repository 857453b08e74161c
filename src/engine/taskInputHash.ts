/**
 * Prefect's `task_input_hash`, as a task's `cacheKey`: a key made of the call's arguments (and, added by
 * the engine, the task's own code), so equal calls share a cached result without a key written by hand.
 * Equal means equal data: objects with the same keys in another order, a Map with the same entries, a Date
 * of the same time. Arguments that cannot be kept (a function, a class instance) make no key: the call is
 * not cached, and says why.
 */
import { createHash } from 'node:crypto';
import { SerializeError, devalueText } from './serializer';

/** Marks `taskInputHash` across copies of this module (a flow file's own import and the worker's). */
export const TASK_INPUT_HASH = Symbol.for('flowdeck.taskInputHash');

/** Why the last call's arguments made no key (read by the engine, which logs it once per task). */
export class UnhashableArguments extends Error {
  override readonly name = 'UnhashableArguments';
}

const byOrder = (a: { order: string }, b: { order: string }): number => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0);

/** Plain objects with their keys in one order, inside arrays, Maps and Sets too; anything else as it is. */
function canonical(value: unknown, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(canonical(v, seen));
    return out;
  }
  if (value instanceof Map) {
    // Entries in the order of their keys' text: a Map built in another order is the same data.
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    const entries = [...value].map(([k, v]) => {
      const key = canonical(k, seen);
      return { order: devalueText(key), k: key, v: canonical(v, seen) };
    });
    for (const e of entries.sort(byOrder)) out.set(e.k, e.v);
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    seen.set(value, out);
    const items = [...value].map((v) => {
      const item = canonical(v, seen);
      return { order: devalueText(item), v: item };
    });
    for (const e of items.sort(byOrder)) out.add(e.v);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  // Defined, not assigned: `out['__proto__'] = v` would set the prototype (or, for a primitive, do nothing),
  // and the key would be lost from the hash — `{ "__proto__": 5, x: 1 }` keyed as `{ x: 1 }`.
  for (const k of Object.keys(value).sort()) Object.defineProperty(out, k, { value: canonical((value as Record<string, unknown>)[k], seen), enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * A cache key of the call's arguments: `cacheKey: taskInputHash`. Throws UnhashableArguments (which the
 * engine turns into "not cached", logged) when an argument cannot be kept.
 */
export function taskInputHash(...args: unknown[]): string {
  let text: string;
  try {
    text = devalueText(canonical(args, new Map()));
  } catch (e) {
    const where = e instanceof SerializeError && e.path !== '' ? ` (argument ${e.path.replace(/^\[(\d+)\]/, (_, i: string) => String(Number(i) + 1))})` : '';
    throw new UnhashableArguments(`its arguments cannot be hashed${where}: ${(e as Error).message}`);
  }
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
Object.defineProperty(taskInputHash, TASK_INPUT_HASH, { value: true });

/** Whether `fn` is a copy of `taskInputHash`. */
export function isTaskInputHash(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[TASK_INPUT_HASH] === true;
}

const sources = new WeakMap<(...args: never[]) => unknown, string>();

/** A short hash of a task function's code: a cached result of other code is not this code's. */
export function sourceHash(fn: (...args: never[]) => unknown): string {
  let h = sources.get(fn);
  if (h === undefined) {
    h = createHash('sha256').update(Function.prototype.toString.call(fn)).digest('base64url').slice(0, 10);
    sources.set(fn, h);
  }
  return h;
}
