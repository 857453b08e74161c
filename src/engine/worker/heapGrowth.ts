/**
 * How far V8 lets the old space grow between full collections while a big map runs. By default it goes
 * up to 4× what survived the last one: a 1,000,000-task map's short-lived task state then peaked at ~165 MB
 * of heap over ~35 MB live; at 1.5× the worker peaks ~80 MB lower. Only during big maps: a flow that builds a
 * large heap of its own pays up to half again its GC time at a fixed 1.5× (measured: 3,000,000 objects kept,
 * 1.3 s → 2.0 s CPU), and V8's own choice (0) suits it better.
 */
import { setFlagsFromString } from 'node:v8';

let holders = 0;

export async function withBoundedHeapGrowth<T>(fn: () => Promise<T>): Promise<T> {
  if (holders++ === 0) setFlagsFromString('--heap-growing-percent=50');
  try {
    return await fn();
  } finally {
    if (--holders === 0) setFlagsFromString('--heap-growing-percent=0');
  }
}
