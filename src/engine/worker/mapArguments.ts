/**
 * What `task.map(...)` was given, turned into the argument list of each call: every argument is a list
 * to map over (all of one length) or `unmapped(value)`, passed whole to every call; map options may
 * follow. The types (types.ts, MapArguments) say the same, so a two-argument task mapped with one list
 * does not compile; this is the check for code that is not type-checked.
 */
import { checkMapOptions } from '../options';
import type { MapOptions } from '../types';

/** What `unmapped(value)` makes (typed as `Unmapped<T>`, whose brand only exists in the types). */
export class UnmappedValue<T> {
  constructor(readonly value: T) {}
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && value !== undefined && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** A trailing plain object that is neither a list nor `unmapped(...)`: the map options. */
function isOptions(value: unknown): value is MapOptions {
  return value !== null && typeof value === 'object' && !isIterable(value) && !(value instanceof UnmappedValue);
}

export interface MapCalls {
  count: number;
  /** The arguments of call `i`, made when it starts: a big map never holds every call's list at once. */
  argsAt(i: number): unknown[];
  options: MapOptions;
}

export function mapCalls(taskName: string, given: readonly unknown[]): MapCalls {
  const what = `task '${taskName}'.map`;
  const last = given.at(-1);
  const options = given.length > 1 && isOptions(last) ? last : {};
  checkMapOptions(taskName, options);
  const args = options === last ? given.slice(0, -1) : given;
  let length: number | undefined;
  const columns = args.map((arg, i): { items: unknown[] } | { same: unknown } => {
    if (arg instanceof UnmappedValue) return { same: arg.value };
    if (typeof arg === 'string' || !isIterable(arg)) {
      const kind = typeof arg === 'string' ? 'a string' : arg === null ? 'null' : typeof arg;
      throw new TypeError(`${what}: argument ${i + 1} is ${kind}, not a list; pass a list (an array or any iterable) to map over, or unmapped(value) to pass the same value to every call`);
    }
    const items = Array.from(arg);
    if (length !== undefined && items.length !== length) {
      throw new TypeError(`${what}: the lists have different lengths (${length} and ${items.length}); call i gets item i of each list, so they must be equally long`);
    }
    length = items.length;
    return { items };
  });
  if (length === undefined) throw new TypeError(`${what} needs a list to map over; unmapped(...) arguments are passed to each call of it`);
  return { count: length, argsAt: argsOf(columns), options };
}

/** Call `i`'s argument list, made without a callback per call: a big map makes one per item. */
function argsOf(columns: ({ items: unknown[] } | { same: unknown })[]): (i: number) => unknown[] {
  const only = columns.length === 1 ? columns[0]! : undefined;
  if (only && 'items' in only) {
    const items = only.items;
    return (i) => [items[i]];
  }
  return (i) => {
    const args: unknown[] = [];
    for (const column of columns) args.push('items' in column ? column.items[i] : column.same);
    return args;
  };
}
