/**
 * `npm run bench`, figure `limits`: a map whose task runs carry a tag limited to 2 (`flowdeck limit set api
 * 2`), against the same map run two at a time by `map(…, { concurrency: 2 })` — the same work and the same
 * parallelism, without slots in the store. Each task run waits 5 ms. Wall and CPU of host and worker, rounds
 * interleaved. Before this figure, every waiting task run polled the store on its own (400 task runs: 7×
 * the wall time and 10× the CPU of the baseline); only the first in a tag's line polls now.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from '../src/engine/embeddedStore';
import { FlowRunner } from '../src/engine/runner';
import { median, spread } from './stats';

const LIMITS_FLOW = `import { flow, task } from 'flowdeck';
const wait = (i: number) => new Promise<number>((r) => setTimeout(() => r(i), 5));
const tagged = task({ name: 'tagged', tags: ['api'] }, wait);
const plain = task({ name: 'plain' }, wait);
const items = (n: number) => Array.from({ length: n }, (_, i) => i);
const cpu = (before: NodeJS.CpuUsage) => { const used = process.cpuUsage(before); return (used.user + used.system) / 1000; };
export const limited = flow({ name: 'limited' }, async ({ n }: { n: number }) => { const before = process.cpuUsage(); await tagged.map(items(n)); return cpu(before); });
export const paced = flow({ name: 'paced' }, async ({ n }: { n: number }) => { const before = process.cpuUsage(); await plain.map(items(n), { concurrency: 2 }); return cpu(before); });`;

export interface TagLimitFigures {
  tasks: number;
  limitedWallMs: number;
  limitedCpuMs: number;
  pacedWallMs: number;
  pacedCpuMs: number;
  wallRatio: number;
  wallSpread: string;
  cpuRatio: number;
  cpuSpread: string;
}

export async function tagLimitsBench(dist: string, rounds: number, tasks = 400): Promise<TagLimitFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdeck-bench-limits-'));
  writeFileSync(join(dir, 'limits.flow.ts'), LIMITS_FLOW);
  const store = await EmbeddedStore.open(join(dir, 'home'));
  await store.limits.set('api', 2);
  const runner = new FlowRunner(store, { workerPath: join(dist, 'worker.js'), builtinDir: join(dist, 'flows'), foldTasks: false });
  const round = async (flowName: string): Promise<{ wallMs: number; cpuMs: number }> => {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const detail = await (await runner.start({ source: { kind: 'file', path: join(dir, 'limits.flow.ts') }, flowName, parameters: { n: tasks } })).done;
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    if (detail.state.type !== 'COMPLETED') throw new Error(`the ${flowName} map ended ${detail.state.name}: ${detail.state.message ?? ''}`);
    const { deserialize } = await import('../src/engine/serializer');
    return { wallMs, cpuMs: (used.user + used.system) / 1000 + (deserialize(detail.result!.dv) as number) };
  };
  try {
    // A first run of each compiles the flow file and warms the caches.
    await round('limited');
    await round('paced');
    const limited: { wallMs: number; cpuMs: number }[] = [];
    const paced: { wallMs: number; cpuMs: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      limited.push(await round('limited'));
      paced.push(await round('paced'));
    }
    const wallRatios = limited.map((l, i) => l.wallMs / paced[i]!.wallMs);
    const cpuRatios = limited.map((l, i) => l.cpuMs / paced[i]!.cpuMs);
    return {
      tasks,
      limitedWallMs: median(limited.map((x) => x.wallMs)),
      limitedCpuMs: median(limited.map((x) => x.cpuMs)),
      pacedWallMs: median(paced.map((x) => x.wallMs)),
      pacedCpuMs: median(paced.map((x) => x.cpuMs)),
      wallRatio: median(wallRatios),
      wallSpread: spread(wallRatios),
      cpuRatio: median(cpuRatios),
      cpuSpread: spread(cpuRatios),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
