/**
 * For the Postgres outage tests (test/engine/workers.outage*.test.ts): a store in a database of its own
 * (no other file's traffic reaches the processes timed), reached through a forwarder the test cuts and
 * restores as a network that went away, a worker on it, and the two outages they put it through: one
 * shorter than the worker's fence, and one past it, the run settled Crashed before the store answers again.
 */
import type { PgStore } from '../../src/engine/postgres/pgStore';
import { waitFor } from './engine';
import { describeRuns, effects, enqueue, setup } from './effectFlows';
import type { Forwarder } from './forwarder';
import { startForwarder } from './forwarder';
import type { Netns, WorkerProc } from './workers';
import { explainedBy, startWorker } from './workers';

export interface OutageStage {
  ws: string;
  schema: string;
  /** The database itself; `forwarder.url(url)` reaches it through the forwarder. */
  url: string;
  store: PgStore;
  effectsFile: string;
  forwarder: Forwarder;
}

/** A workspace of `files`, a store in a database of its own, an empty effects file, and a forwarder to the database. */
export async function outageStage(files: Record<string, string>): Promise<OutageStage> {
  const stage = await setup(files, { ownDatabase: true });
  const forwarder = await startForwarder('127.0.0.1', Number(new URL(stage.url).port));
  return { ...stage, forwarder };
}

/**
 * `body` with a worker `w1` (one run at a time, a heartbeat every 0.25 s, a lease of `leaseSeconds`) on a
 * fresh stage: through its forwarder, or `netns`, in a network namespace of its own. `link` is what cuts
 * the worker off. A failure's message ends with what the worker printed; the worker is stopped, the
 * forwarder and store closed after.
 */
export async function withOutageWorker(
  files: Record<string, string>,
  options: { leaseSeconds: number; netns?: boolean },
  body: (at: OutageStage & { worker: WorkerProc; link: Netns | Forwarder }) => Promise<void>,
): Promise<void> {
  const stage = await outageStage(files);
  const { ws, schema, url, store, effectsFile, forwarder } = stage;
  try {
    const spec = { schema, name: 'w1', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, heartbeatSeconds: 0.25, leaseSeconds: options.leaseSeconds };
    const worker = options.netns ? await startWorker({ ...spec, url, netns: true }) : await startWorker({ ...spec, url: forwarder.url(url) });
    try {
      await explainedBy(worker, () => body({ ...stage, worker, link: worker.netns ?? forwarder }));
    } finally {
      await worker.stop();
    }
  } finally {
    await forwarder.close();
    await store.close();
  }
}

/** Queues one run of `file` and waits until 5 of its effects are written: the run is partway through. */
export async function runPartway(at: OutageStage, file: string): Promise<string> {
  const [id] = await enqueue(at.store, at.ws, file, 1);
  await waitFor(() => effects(at.effectsFile).length >= 5, 'the run to be partway through', 120_000);
  return id!;
}

/** The forwarder cut for `ms`, then restored; waits (bounded) for run `id` to end, however it ends. */
export async function briefOutage(at: OutageStage, id: string, ms: number): Promise<void> {
  at.forwarder.cut();
  await new Promise((r) => setTimeout(r, ms));
  at.forwarder.restore();
  await waitFor(async () => ['COMPLETED', 'FAILED', 'CRASHED'].includes((await at.store.readRun(id))!.state.type), 'the run to end', 120_000);
}

/**
 * `link` cut until the worker has lost its lease and run `id` is settled Crashed, then restored; waits
 * (bounded) for the resumed run to end. The effects written when the cut came, and when the worker fenced itself.
 */
export async function outagePastFence(at: OutageStage & { worker: WorkerProc; link: Netns | Forwarder }, id: string): Promise<{ atCut: number; atFence: number }> {
  at.link.cut();
  const atCut = effects(at.effectsFile).length;
  await waitFor(() => /lost the lease on the store/.test(at.worker.output()), 'the worker to lose its lease', 30_000);
  const atFence = effects(at.effectsFile).length;
  await waitFor(async () => (await at.store.markCrashed()).includes(id), 'the run to be settled Crashed', 30_000);
  at.link.restore();
  await waitFor(async () => ['COMPLETED', 'FAILED'].includes((await at.store.readRun(id))!.state.type), 'the resumed run to end', 120_000).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${await describeRuns(at.store, [id])}`);
  });
  return { atCut, atFence };
}
