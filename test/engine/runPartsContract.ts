/**
 * `RunStore.readRunParts` against `readRun`, for every backend (registered by embeddedStore.contract.test.ts
 * and pgStore.contract.test.ts): a run read in parts — with windows from 1 record up, so task runs come out
 * both in their window and late — is the very detail `readRun` folds, and `runs --json` prints the very
 * text it printed from `readRun`. The journals are seeded mixes of what workers write: compact and long task
 * runs, retries, slot waits, failures, reuse after a resume, task runs the flow's end settles, records after
 * a task run ended, second creation records, records about unknown task runs, a crash marked in the index only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRunDetail, RunRecord } from '../../src/engine/records';
import type { RunHandle, RunStore } from '../../src/engine/runStore';
import type { RunPartsOptions } from '../../src/engine/runTaskStream';
import { state, type StateName } from '../../src/engine/states';
import { runJson } from '../../src/cli/runJson';
import { writeRunJson } from '../../src/cli/runJsonStream';
import { eachRunParts } from '../../src/engine/eachRunParts';
import { seeded } from '../support/seeded';
import { withSpace, type StoreBackend } from './storeContract';

const T = { timeout: 120_000 };
const WINDOWS = [1, 2, 3, 8, 64, undefined];

/** A run's journal as a worker (and a resume) could have written it: two attempts of `n` task runs each. */
function journal(runId: string, seed: number, n: number): RunRecord[] {
  const rand = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let ts = 1_000_000;
  const tick = (): number => (ts += 1 + Math.floor(rand() * 5));
  const out: RunRecord[] = [];
  /** Each open task run's records still to come. */
  const open = new Map<string, (() => RunRecord)[]>();
  const step = (id: string): void => {
    const plan = open.get(id)!;
    out.push(plan.shift()!());
    if (plan.length === 0) open.delete(id);
  };
  const firstAttempt: string[] = [];
  /** Creation records of compact task runs, to say again later (the reducer ignores a second one). */
  const compact: RunRecord[] = [];
  // A record about a task run before its creation record: the reducer ignores it.
  out.push({ k: 'state', runId, name: 'Running', ts: tick(), attempt: 1 }, { k: 'tstate', runId, id: 'early', name: 'Running', ts: tick() });
  let next = 0;
  for (let attempt = 1; attempt <= 2; attempt++) {
    if (attempt === 2) out.push({ k: 'state', runId, name: 'AwaitingRetry', ts: tick(), message: 'Resumed (attempt 2)', attempt: 2 }, { k: 'state', runId, name: 'Running', ts: tick(), attempt: 2 });
    for (let i = 0; i < n; i++) {
      const id = next === 5 ? 'early' : `t${next}`;
      next++;
      if (attempt === 1) firstAttempt.push(id);
      const reusedFrom = attempt === 2 && rand() < 0.5 ? { attempt: 1, taskRunId: pick(firstAttempt) } : undefined;
      const base = { runId, id, name: `work-${i}`, taskName: 'work', call: { key: `work#${i}`, argsHash: 'h' }, ...(reusedFrom ? { reusedFrom } : {}), ...(rand() < 0.2 ? { tags: ['api'] } : {}) };
      const tstate = (name: StateName, extra: { message?: string; attempt?: number } = {}) => (): RunRecord => ({ k: 'tstate', runId, id, name, ts: tick(), ...extra });
      if (rand() < 0.35) {
        const start = tick();
        compact.push({ k: 'task', ...base, ts: start });
        out.push({ k: 'trun', ...base, ts: start, start, end: tick(), state: reusedFrom ? 'Cached' : pick(['Completed', 'Completed', 'Cached', 'Failed'] as const), ...(rand() < 0.1 ? { attempt: 2 } : {}), ...(rand() < 0.5 ? { value: i } : {}) });
      } else {
        out.push({ k: 'task', ...base, ts: tick() });
        const plan: (() => RunRecord)[] = [];
        if (rand() < 0.25) plan.push(tstate('AwaitingConcurrencySlot'));
        plan.push(tstate('Running', { attempt: 1 }));
        if (rand() < 0.25) plan.push(tstate('AwaitingRetry', { message: 'Retry 1/2 in 0 s' }), tstate('Retrying', { attempt: 2 }));
        if (rand() < 0.2) plan.push(() => ({ k: 'log', runId, taskRunId: id, ts: tick(), level: 'INFO', source: 's', message: 'working' }));
        if (rand() < 0.05) plan.push(() => ({ k: 'task', ...base, ts: tick() }));
        const fate = rand();
        if (fate < 0.15) plan.push(tstate('Failed', { message: 'boom' }));
        else if (fate < 0.25) plan.push(() => ({ k: 'trun', ...base, ts: ts, start: ts, end: tick(), state: 'Completed', value: i }));
        else if (fate < 0.9) plan.push(() => ({ k: 'result', runId, taskRunId: id, value: [i] }), tstate(rand() < 0.2 ? 'Cached' : 'Completed'));
        // Else it never ends: the flow's end settles it (also while it waits for a slot).
        if (rand() < 0.05) plan.push(tstate('Crashed', { message: 'after the end' }));
        open.set(id, plan);
      }
      while (open.size > 0 && rand() < 0.6) step(pick([...open.keys()]));
      if (rand() < 0.03) out.push({ k: 'tstate', runId, id: `ghost${i}`, name: 'Running', ts: tick() });
      if (rand() < 0.03) out.push(pick(compact));
      if (rand() < 0.03) out.push({ k: 'log', runId, ts: tick(), level: 'INFO', source: 's', message: 'flow says' });
    }
    for (const id of [...open.keys()]) if (rand() < 0.5) while (open.has(id)) step(id);
    if (attempt === 1) {
      out.push({ k: 'state', runId, name: 'Failed', ts: tick(), message: 'work failed' });
      // Stragglers after the flow run's end change the task runs it settled.
      for (const id of [...open.keys()]) if (rand() < 0.5) step(id);
      open.clear();
    }
  }
  return out;
}

/** Appends records in batches of varied size, as a worker's buffer would. */
async function appendAll(h: RunHandle, records: readonly RunRecord[], seed: number): Promise<void> {
  const rand = seeded(seed + 1000);
  for (let i = 0; i < records.length; ) {
    const size = 1 + Math.floor(rand() * 40);
    await h.append(records.slice(i, i + size));
    i += size;
  }
}

async function inParts(store: RunStore, id: string, options?: RunPartsOptions): Promise<FlowRunDetail> {
  const parts = (await store.readRunParts(id, options))!;
  assert.deepEqual(parts.detail.taskRuns, []);
  const taskRuns: FlowRunDetail['taskRuns'] = [];
  await parts.readTaskRuns((batch) => void taskRuns.push(...batch));
  return { ...parts.detail, taskRuns };
}

/** What `runs --json` printed for a run before it was streamed. */
async function printedBefore(store: RunStore, id: string, indent: string): Promise<string> {
  const text = JSON.stringify(await runJson((await store.readRun(id))!, store, { loadResultFiles: false }), null, 2);
  return `${indent}${text.replace(/\n/g, `\n${indent}`)}`;
}

async function printedNow(store: RunStore, id: string, indent: string, options?: RunPartsOptions): Promise<string> {
  let text = '';
  await writeRunJson((await store.readRunParts(id, options))!, store, async (s) => void (text += s), { loadResultFiles: false, nested: indent !== '' });
  return text;
}

/** Seeded runs: ended in the journal (Completed), still running, and crashed with the mark in the index only. */
async function seededRuns(store: RunStore): Promise<{ id: string; what: string }[]> {
  const runs: { id: string; what: string }[] = [];
  for (const [seed, end] of [[1, 'Completed'], [2, 'running'], [3, 'Crashed']] as const) {
    const h = await store.createRun({ flowName: 'mix', source: '/mix.flow.ts', parameters: { seed } });
    const records = journal(h.id, seed, 120);
    await h.setState(state('Running'));
    await appendAll(h, records, seed);
    if (end === 'Completed') {
      await h.append([{ k: 'result', runId: h.id, value: 'done' }, { k: 'state', runId: h.id, name: 'Completed', ts: 2_000_000 }]);
      await h.setState(state('Completed', undefined, 2_000_000), { endTime: 2_000_000, attempt: 2 });
    } else if (end === 'Crashed') {
      await h.setState(state('Crashed', 'host process ended', 2_000_000), { endTime: 2_000_000 });
    }
    await h.close();
    runs.push({ id: h.id, what: `seed ${seed} (${end})` });
  }
  return runs;
}

export function runPartsContract(backend: StoreBackend): void {
  const opts = { ...T, ...(backend.skip !== undefined ? { skip: backend.skip } : {}) };

  describe(`run read in parts: ${backend.name}`, opts, () => {
    it('folds every task run as readRun does, in its order, with any window (retries, reuse, failures, slot waits, late records)', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        for (const { id, what } of await seededRuns(store)) {
          const want = (await store.readRun(id))!;
          assert.ok(want.taskRuns.length >= 240, what);
          // The mix holds what the test is about.
          const names = new Set(want.taskRuns.map((t) => t.state.name));
          for (const name of ['Completed', 'Cached', 'Failed'] as const) assert.ok(names.has(name), `${what}: a task run ${name}`);
          assert.ok(want.taskRuns.some((t) => t.reusedFrom !== undefined), `${what}: a reused task run`);
          assert.ok(want.taskRuns.some((t) => (t.slotWaitMs ?? 0) > 0), `${what}: a task run that waited for a slot`);
          assert.ok(want.taskRuns.some((t) => t.attempts === 2), `${what}: a retried task run`);
          assert.ok(want.taskRuns.some((t) => t.state.message === 'flow run ended in state Failed'), `${what}: a task run the flow's end settled`);
          for (const window of WINDOWS) assert.deepEqual(await inParts(store, id, window === undefined ? {} : { window }), want, `${what}, window ${window}`);
        }
        assert.equal(await store.readRunParts('no-such-run'), undefined);
      });
    });

    it('prints runs --json byte for byte as it did from readRun, task runs or none', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const empty = await store.createRun({ flowName: 'empty', source: '/e.flow.ts', parameters: { list: [1, { taskRuns: [] }], text: '\n  "taskRuns": []' } });
        await empty.append([{ k: 'state', runId: empty.id, name: 'Running', ts: 5 }, { k: 'result', runId: empty.id, value: { taskRuns: [] } }]);
        await empty.close();
        for (const { id, what } of [...(await seededRuns(store)), { id: empty.id, what: 'no task runs' }]) {
          for (const indent of ['', '  ']) {
            const before = await printedBefore(store, id, indent);
            for (const window of [1, undefined]) assert.equal(await printedNow(store, id, indent, window === undefined ? {} : { window }), before, `${what}, indent '${indent}', window ${window}`);
          }
        }
      });
    });

    it('reads artifacts without their data when asked: key, kind, task run and time as readRun has them, the rest the same', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const h = await store.createRun({ flowName: 'arts', source: '/arts.flow.ts', parameters: {} });
        const runId = h.id;
        const tricky = 'a,"data":{"kind":"link"} { \u0000 \ud800 }}';
        await h.setState(state('Running'));
        await h.append([
          { k: 'state', runId, name: 'Running', ts: 1 },
          { k: 'artifact', runId, key: 'report', ts: 2, data: { kind: 'markdown', markdown: tricky } },
          { k: 'task', runId, id: 't1', name: 'work-0', taskName: 'work', call: { key: 'work#0', argsHash: 'h' }, ts: 3 },
          { k: 'artifact', runId, taskRunId: 't1', key: 'rows', ts: 4, data: { kind: 'table', columns: ['a'], rows: [[tricky], [1], [null]] } },
          { k: 'trun', runId, id: 't2', name: 'work-1', taskName: 'work', call: { key: 'work#1', argsHash: 'h' }, ts: 5, start: 5, end: 6, state: 'Completed' },
          // Laid out otherwise than a worker writes them: the data before the key, a task run after the data.
          { k: 'artifact', runId, data: { kind: 'progress', progress: 40 }, key: 'odd', ts: 7 } as RunRecord,
          { k: 'artifact', runId, key: 'after', ts: 8, data: { kind: 'chart', chart: { kind: 'bar', x: [1], series: [{ name: 's', values: [2] }] } }, taskRunId: 't2' },
          { k: 'artifact', runId, key: 'report', ts: 9, data: { kind: 'link', url: 'https://example.com/', label: tricky } },
          { k: 'state', runId, name: 'Completed', ts: 10 },
        ]);
        await h.setState(state('Completed', undefined, 10), { endTime: 10 });
        await h.close();
        const want = (await store.readRun(runId))!;
        assert.deepEqual(
          want.artifacts?.map((a) => [a.key, a.data.kind, a.taskRunId]),
          [['report', 'link', undefined], ['rows', 'table', 't1'], ['odd', 'progress', undefined], ['after', 'chart', 't2']],
        );
        for (const window of [1, undefined]) {
          const parts = (await store.readRunParts(runId, { artifactData: false, ...(window === undefined ? {} : { window }) }))!;
          const taskRuns: FlowRunDetail['taskRuns'] = [];
          await parts.readTaskRuns((batch) => void taskRuns.push(...batch));
          assert.deepEqual({ ...parts.detail, taskRuns }, { ...want, artifacts: want.artifacts!.map(({ data, ...a }) => ({ ...a, kind: data.kind })) }, `window ${window}`);
        }
      });
    });

    it('reads many runs together (eachRunParts) as each is read alone, a run no longer there as undefined', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const ids = [...(await seededRuns(store)).map((r) => r.id), 'no-such-run'];
        const empty = await store.createRun({ flowName: 'empty', source: '/e.flow.ts', parameters: {} });
        await empty.close();
        ids.push(empty.id);
        let i = 0;
        for await (const parts of eachRunParts(store, ids, { window: 2 })) {
          const alone = await store.readRunParts(ids[i]!, { artifactData: false, window: 2 });
          if (!alone) assert.equal(parts, undefined, ids[i]);
          else {
            assert.ok(parts, ids[i]);
            const [got, want] = [parts, alone].map(async (p) => {
              const taskRuns: FlowRunDetail['taskRuns'] = [];
              await p.readTaskRuns((batch) => void taskRuns.push(...batch));
              // Read twice: every read sees the same records.
              const again: FlowRunDetail['taskRuns'] = [];
              await p.readTaskRuns((batch) => void again.push(...batch));
              assert.deepEqual(again, taskRuns);
              return { ...p.detail, taskRuns };
            });
            assert.deepEqual(await got, await want, ids[i]);
          }
          i++;
        }
        assert.equal(i, ids.length);
      });
    });

    it('reads the journal as it was when the read began, while the run goes on', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const h = await store.createRun({ flowName: 'live', source: '/live.flow.ts', parameters: {} });
        const records = journal(h.id, 7, 60);
        await h.setState(state('Running'));
        await h.append(records);
        const want = (await store.readRun(h.id))!;
        const parts = (await store.readRunParts(h.id, { window: 4 }))!;
        // More task runs, and the flow's end (which would settle the open ones), after the first read.
        await h.append([...journal(h.id, 8, 30).slice(2), { k: 'state', runId: h.id, name: 'Failed', ts: 3_000_000 }]);
        const taskRuns: FlowRunDetail['taskRuns'] = [];
        await parts.readTaskRuns((batch) => void taskRuns.push(...batch));
        assert.deepEqual({ ...parts.detail, taskRuns }, want);
        await h.close();
      });
    });
  });
}
