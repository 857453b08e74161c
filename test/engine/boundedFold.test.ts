import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BoundedFold, type FoldBounds } from '../../src/engine/boundedFold';
import type { RunRecord, TaskRunRecord } from '../../src/engine/records';
import { applyRecord, startFold, type RunFold } from '../../src/engine/runReducer';
import type { StateName } from '../../src/engine/states';
import { timelineTaskIds } from '../../src/extension/runDetails/detailsModel';
import { flowSource, makeRunner, tempDir, workspace } from '../support/engine';

const RUN = '00000000-0000-4000-8000-000000000001';

/**
 * A map's journal as the worker writes it: most task runs in one `trun` line, every `failEvery`th through
 * `tstate` lines ending Failed (with a retry), a log line now and then, and the last `unfinished` task runs
 * left Running when the flow run fails (its end settles them).
 */
function* mapJournal(tasks: number, failEvery: number, unfinished: number): Generator<RunRecord> {
  let ts = 1_000;
  yield { k: 'run', runId: RUN, name: 'huge-map', flowName: 'map', source: '/ws/map.flow.ts', parameters: { n: tasks }, created: ts, owner: { pid: 1, hostname: 'h' } };
  yield { k: 'state', runId: RUN, name: 'Running', ts: ++ts };
  for (let i = 0; i < tasks; i++) {
    const id = `task-${i}`;
    const name = `double-${i}`;
    if (i >= tasks - unfinished) {
      yield { k: 'task', runId: RUN, id, name, taskName: 'double', ts: ++ts };
      yield { k: 'tstate', runId: RUN, id, name: 'Running', ts: ++ts, attempt: 1 };
    } else if (i % failEvery === failEvery - 1) {
      yield { k: 'task', runId: RUN, id, name, taskName: 'double', ts: ++ts };
      yield { k: 'tstate', runId: RUN, id, name: 'Running', ts: ++ts, attempt: 1 };
      yield { k: 'tstate', runId: RUN, id, name: 'AwaitingRetry', ts: ++ts };
      yield { k: 'log', runId: RUN, taskRunId: id, ts: ++ts, level: 'ERROR', source: name, message: 'boom' };
      yield { k: 'tstate', runId: RUN, id, name: 'Running', ts: ++ts, attempt: 2 };
      yield { k: 'tstate', runId: RUN, id, name: 'Failed', ts: ++ts, message: `boom ${i}`, failure: { name: 'Error', message: `boom ${i}`, frame: { file: '/ws/map.flow.ts', line: 7, column: 3 } } };
    } else {
      yield { k: 'trun', runId: RUN, id, name, taskName: 'double', ts: ++ts, start: ts, end: ++ts, state: 'Completed', value: i * 2 };
    }
  }
  yield { k: 'state', runId: RUN, name: 'Failed', ts: ++ts, message: 'some task runs failed' };
}

function countsOf(tasks: Iterable<TaskRunRecord>): Partial<Record<StateName, number>> {
  const counts: Partial<Record<StateName, number>> = {};
  for (const t of tasks) counts[t.state.name] = (counts[t.state.name] ?? 0) + 1;
  return counts;
}

/** Folds the journal both ways: the reducer holding everything, and the bounded view of it; returns the most the bounded one held at any point. */
function foldBoth(records: Iterable<RunRecord>, bounds?: Partial<FoldBounds>): { full: RunFold; bounded: BoundedFold; mostHeld: number; letGo: number } {
  let full: RunFold | undefined;
  let bounded: BoundedFold | undefined;
  let mostHeld = 0;
  let letGo = 0;
  for (const r of records) {
    if (!full || !bounded) {
      full = startFold(r as Extract<RunRecord, { k: 'run' }>);
      bounded = new BoundedFold(startFold(r as Extract<RunRecord, { k: 'run' }>), bounds, () => letGo++);
      continue;
    }
    applyRecord(full, r);
    bounded.apply(r);
    mostHeld = Math.max(mostHeld, bounded.tasks.size);
  }
  return { full: full!, bounded: bounded!, mostHeld, letGo };
}

test('a run of 100,000 task runs folds holding at most the bound, with exact counts and every failed one', { timeout: 120_000 }, () => {
  const tasks = 100_000;
  const unfinished = 300;
  const bounds = { first: 20_000, failed: 20_000, window: 4096 };
  const { full, bounded, mostHeld, letGo } = foldBoth(mapJournal(tasks, 1000, unfinished), bounds);
  const failed = full.detail.taskRuns.filter((t) => t.state.type === 'FAILED');
  console.log(`100,000 task runs: held at most ${mostHeld}, ${bounded.tasks.size} at the end (${failed.length} failed), let go of ${letGo}`);

  assert.equal(bounded.total, tasks);
  assert.deepEqual(bounded.counts(), countsOf(full.detail.taskRuns), 'counts by state are exact');
  assert.equal(bounded.counts().Completed, tasks - failed.length);
  assert.equal(failed.filter((t) => t.state.message === 'flow run ended in state Failed').length, unfinished, 'the run end settled the unfinished ones');
  assert.equal(bounded.counts().Failed, failed.length);
  // While it goes: the first ones, the failed ones, the unfinished ones and a window of records' worth.
  assert.ok(mostHeld <= bounds.first + bounds.failed + bounds.window + unfinished, `held ${mostHeld}`);
  // Finished: the first ones and the failed ones, nothing else.
  assert.equal(bounded.tasks.size, bounds.first + failed.filter((t) => Number(t.id.slice(5)) >= bounds.first).length);
  assert.equal(letGo, tasks - bounded.tasks.size);
  for (const t of failed) assert.deepEqual(bounded.tasks.get(t.id), t, `failed ${t.id} is held as the reducer folds it`);
  assert.deepEqual(bounded.detail().taskRuns, [...bounded.tasks.values()]);
  assert.deepEqual({ ...bounded.detail(), taskRuns: [] }, { ...full.detail, taskRuns: [] }, 'the flow run itself is the same');
  assert.deepEqual(timelineTaskIds(bounded.tasks), timelineTaskIds(full.tasks), 'the timeline draws the same task runs');
  assert.equal(bounded.total - timelineTaskIds(bounded.tasks).length, 80_000, 'and knows how many it leaves out');
});

test('more failed task runs than the bound: the first of them are held, all are counted', { timeout: 60_000 }, () => {
  const bounds = { first: 100, failed: 50, window: 64 };
  const { full, bounded, mostHeld } = foldBoth(mapJournal(5000, 10, 0), bounds);
  const failed = full.detail.taskRuns.filter((t) => t.state.type === 'FAILED');
  assert.equal(failed.length, 500);
  assert.deepEqual(bounded.counts(), countsOf(full.detail.taskRuns));
  const heldFailed = [...bounded.tasks.values()].filter((t) => t.state.type === 'FAILED');
  assert.equal(heldFailed.length, 10 + 50, 'ten among the first hundred, and fifty more');
  assert.deepEqual(heldFailed.map((t) => t.id), failed.slice(0, 60).map((t) => t.id), 'the first to fail');
  assert.ok(mostHeld <= 100 + 50 + 64, `held ${mostHeld}`);
});

test('a run within the bound is held whole, as the reducer folds it', { timeout: 30_000 }, () => {
  const { full, bounded } = foldBoth(mapJournal(500, 7, 5));
  assert.deepEqual(bounded.detail(), full.detail);
  assert.deepEqual([...bounded.tasks.keys()], [...full.tasks.keys()]);
});

test('a resumed run taken over with its earlier attempts holds only what the bound keeps', { timeout: 30_000 }, () => {
  const { full } = foldBoth(mapJournal(3000, 100, 0));
  const earlier = full.detail;
  const taken = new BoundedFold({ detail: { ...earlier, taskRuns: [...earlier.taskRuns] }, tasks: new Map(earlier.taskRuns.map((t) => [t.id, t])) }, { first: 1000, failed: 5, window: 64 });
  assert.equal(taken.total, 3000);
  assert.equal(taken.tasks.size, 1000 + 5);
  assert.deepEqual(taken.counts(), countsOf(earlier.taskRuns));
  assert.equal(taken.run.taskRuns.length, 0);
});

test("the editor's runner tells of every task run of a 25,000-task map but holds only the bound's: its done detail lists the first 20,000 and the failed ones", { timeout: 180_000 }, async () => {
  const ws = workspace({
    'big.flow.ts': flowSource(`const step = task({ name: 'step' }, async (i: number) => { if (i === 24_000) throw new Error('item ' + i + ' failed'); return i; });
export default flow({ name: 'big' }, async () => (await step.map(Array.from({ length: 25_000 }, (_, i) => i))).length);`),
  });
  const { store, runner } = await makeRunner(tempDir(), { foldTasks: 'bounded' });
  const told = new Set<string>();
  runner.on('task', (_runId, t) => told.add(t.id));
  const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'big.flow.ts') } })).done;
  await runner.dispose();
  const stored = (await store.readRun(detail.id))!;
  const storedFailed = stored.taskRuns.filter((t) => t.state.type === 'FAILED');
  console.log(`25,000 task runs: told of ${told.size}, done lists ${detail.taskRuns.length}, ${storedFailed.length} failed in the store`);
  assert.equal(detail.state.name, 'Failed', detail.state.message);
  assert.equal(stored.taskRuns.length, 25_000);
  assert.equal(told.size, 25_000, "'task' listeners hear of every task run");
  assert.deepEqual(detail.taskRuns.slice(0, 20_000).map((t) => t.id), stored.taskRuns.slice(0, 20_000).map((t) => t.id), 'the first 20,000');
  assert.deepEqual(detail.taskRuns.slice(20_000).map((t) => t.id), storedFailed.filter((t) => stored.taskRuns.indexOf(t) >= 20_000).map((t) => t.id), 'then only the failed ones');
  assert.ok(detail.taskRuns.some((t) => t.state.failure?.message === 'item 24000 failed'), 'the failing item is held');
  assert.ok(detail.taskRuns.length < 25_000);
});
