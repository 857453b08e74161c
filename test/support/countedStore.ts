/** A store with each call of its methods counted by name (the store itself does the work): work against the store, counted (not timed). */
import type { RunStore } from '../../src/engine/runStore';

export function counted(store: RunStore): { store: RunStore; calls: Map<string, number>; asked(): number } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls, asked: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}
