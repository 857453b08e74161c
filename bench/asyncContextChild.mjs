// What Node's async context costs a task (bench/run.ts): `n` no-op async calls, at most 256 going at a
// time, each followed by one `then` — a quick mapped task run's two promises — either plainly or each in
// its own AsyncLocalStorage context, as the worker runs a task. Once a process has entered a context, Node
// 20 runs its async hooks for every promise, so each mode runs in a fresh process. Prints the CPU (user +
// system, all threads: the JIT and the collector's helpers included) of the calls alone.
import { AsyncLocalStorage } from 'node:async_hooks';

const [mode, count] = process.argv.slice(2);
const n = Number(count);
const storage = new AsyncLocalStorage();
const noop = async (i) => i;

const before = process.cpuUsage();
let started = 0;
let ended = 0;
await new Promise((resolve) => {
  const next = () => {
    const i = started++;
    const p = mode === 'context' ? storage.run({ task: i }, noop, i) : noop(i);
    p.then(() => {
      if (++ended === n) resolve();
      else if (started < n) next();
    });
  };
  while (started < Math.min(256, n)) next();
});
const used = process.cpuUsage(before);
process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000 }));
