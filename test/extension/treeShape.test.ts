import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedFold } from '../../src/engine/boundedFold';
import type { FlowRunSummary, TaskRunRecord } from '../../src/engine/records';
import { startFold } from '../../src/engine/runReducer';
import { state, type StateName } from '../../src/engine/states';
import { countTasks, shapeFlowGroups, shapeRunChildren, SUMMARY_MIN_TASKS, TaskDigest, taskSummaryAccessibilityLabel, taskSummaryLabel } from '../../src/extension/runs/treeShape';

function task(i: number, name: StateName = 'Completed'): TaskRunRecord {
  return { id: `t${i}`, flowRunId: 'r', name: `work-${i}`, taskName: 'work', state: state(name, undefined, 1000 + i), attempts: 1, flowAttempt: 1 };
}

function run(id: string, fields: Partial<FlowRunSummary> = {}): FlowRunSummary {
  return { id, name: id, flowName: 'hello', source: '/ws/hello.flow.ts', state: state('Completed', undefined, 1), created: 1, owner: { pid: 1, hostname: 'h' }, attempt: 1, seq: 0, ...fields };
}

test('a run with a few task runs lists them in order, each subflow after the task run that started it', () => {
  const tasks = [task(0), task(1, 'Failed'), task(2)];
  const children = shapeRunChildren(TaskDigest.of(tasks, 500), [run('s1', { parentTaskRunId: 't1' }), run('s2')], 500);
  assert.deepEqual(
    children.map((c) => (c.kind === 'task' ? c.task.id : c.kind === 'subflow' ? c.run.id : c.kind)),
    ['t0', 't1', 's1', 't2', 's2'],
    'no summary below the threshold, order kept even for failed ones',
  );
});

test('500 task runs: a summary first ("500 task runs: 497 ✓ 3 ✗"), then the failed ones, then the rest in order', () => {
  const tasks = Array.from({ length: 500 }, (_, i) => task(i, i === 10 || i === 250 ? 'Failed' : i === 499 ? 'Crashed' : 'Completed'));
  const children = shapeRunChildren(TaskDigest.of(tasks, 500), [], 500);
  assert.equal(children[0]!.kind, 'summary');
  assert.equal(taskSummaryLabel((children[0] as { counts: ReturnType<typeof countTasks> }).counts), '500 task runs: 497 ✓ 3 ✗');
  const ids = children.slice(1).map((c) => (c.kind === 'task' ? c.task.id : c.kind));
  assert.deepEqual(ids.slice(0, 4), ['t10', 't250', 't499', 't0']);
  assert.equal(ids.length, 500);
});

test('past the page, a "more" entry counts the task runs left out; failed ones are never the ones left out', () => {
  const tasks = Array.from({ length: 1200 }, (_, i) => task(i, i === 1199 ? 'Failed' : 'Completed'));
  const children = shapeRunChildren(TaskDigest.of(tasks, 500), [], 500);
  assert.equal(children.length, 1 + 500 + 1);
  assert.deepEqual(children.at(-1), { kind: 'more', remaining: 700 });
  assert.equal((children[1] as { task: TaskRunRecord }).task.id, 't1199');
});

test("a run's task runs taken a batch at a time keep only what is listed, and shape the same children as all at once", () => {
  const N = 100_000;
  const failedAt = new Set([3, 40_000, 99_999]);
  const all = (): Generator<TaskRunRecord> =>
    (function* () {
      for (let i = 0; i < N; i++) yield task(i, failedAt.has(i) ? 'Failed' : i % 1000 === 7 ? 'Cancelled' : 'Completed');
    })();
  const batched = new TaskDigest(500);
  let batch: TaskRunRecord[] = [];
  for (const t of all()) {
    batch.push(t);
    if (batch.length === 4096) batched.add(batch.splice(0));
  }
  batched.add(batch);
  const children = shapeRunChildren(batched, [], 500);
  assert.deepEqual(children[0], { kind: 'summary', counts: { total: N, completed: N - 3 - 100, failed: 3, cancelled: 100, going: 0 } });
  const ids = children.slice(1, -1).map((c) => (c.kind === 'task' ? c.task.id : c.kind));
  assert.deepEqual(ids.slice(0, 5), ['t3', 't40000', 't99999', 't0', 't1']);
  assert.equal(ids.length, 500);
  assert.deepEqual(children.at(-1), { kind: 'more', remaining: N - 500 });
  // "Load more": a digest with a larger limit lists more, the same way.
  const more = shapeRunChildren(TaskDigest.of(all(), 1000), [], 1000);
  assert.deepEqual(more.slice(1, 501), children.slice(1, 501));
  assert.deepEqual(more.at(-1), { kind: 'more', remaining: N - 1000 });
  // A few task runs, in batches: no summary, in the order they started.
  const few = new TaskDigest(500);
  few.add([task(0), task(1, 'Failed')]);
  few.add([task(2)]);
  assert.deepEqual(shapeRunChildren(few, [], 500).map((c) => (c.kind === 'task' ? c.task.id : c.kind)), ['t0', 't1', 't2']);
});

test('the summary counts cancelled and unfinished task runs too, and reads in words for a screen reader', () => {
  const tasks = [...Array.from({ length: SUMMARY_MIN_TASKS }, (_, i) => task(i)), task(90, 'Cancelled'), task(91, 'Running'), task(92, 'Cached')];
  const counts = countTasks(tasks);
  assert.deepEqual(counts, { total: SUMMARY_MIN_TASKS + 3, completed: SUMMARY_MIN_TASKS + 1, failed: 0, cancelled: 1, going: 1 });
  assert.equal(taskSummaryLabel(counts), `${SUMMARY_MIN_TASKS + 3} task runs: ${SUMMARY_MIN_TASKS + 1} ✓ 0 ✗ · 1 cancelled · 1 going`);
  assert.equal(taskSummaryAccessibilityLabel(counts), `${SUMMARY_MIN_TASKS + 3} task runs, ${SUMMARY_MIN_TASKS + 1} completed, 0 failed, 1 cancelled, 1 not finished`);
});

test('flow groups: newest activity first; a filter keeps the flows it names and those with matching runs, with their counts', () => {
  const flows = [
    { flowName: 'hello', runs: 12, last: run('a', { created: 100 }) },
    { flowName: 'burst', runs: 3, last: run('b', { created: 300, flowName: 'burst' }) },
    { flowName: 'failing', runs: 5, last: run('c', { created: 200, flowName: 'failing' }) },
  ];
  assert.deepEqual(shapeFlowGroups(flows, {}).map((g) => g.flowName), ['burst', 'failing', 'hello']);
  const matching = new Map([['hello', 2], ['burst', 0], ['failing', 5]]);
  assert.deepEqual(shapeFlowGroups(flows, {}, matching).map((g) => [g.flowName, g.matching]), [['failing', 5], ['hello', 2]]);
  assert.deepEqual(shapeFlowGroups(flows, { flowNames: ['hello', 'burst'] }, matching).map((g) => g.flowName), ['hello']);
});

test("a run going in this window is listed from its runner's bounded fold: the counts of every task run, the first of those held", () => {
  const fold = new BoundedFold(startFold({ k: 'run', runId: 'r', name: 'r', flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {}, created: 1, owner: { pid: 1, hostname: 'h' } }), { first: 100, failed: 10, window: 16 });
  for (let i = 0; i < 5000; i++) {
    const name: StateName = i === 4321 ? 'Failed' : i === 4999 ? 'Running' : i % 1000 === 7 ? 'Cancelled' : 'Completed';
    fold.apply({ k: 'trun', runId: 'r', id: `t${i}`, name: `work-${i}`, taskName: 'work', ts: 1000 + i, start: 1000 + i, end: 1001 + i, state: name });
  }
  assert.ok(fold.tasks.size < 200, `the fold holds ${fold.tasks.size}`);
  const children = shapeRunChildren(TaskDigest.ofFold(fold, 50), [], 50);
  assert.deepEqual(children[0], { kind: 'summary', counts: { total: 5000, completed: 5000 - 1 - 1 - 5, failed: 1, cancelled: 5, going: 1 } });
  const ids = children.slice(1, -1).map((c) => (c.kind === 'task' ? c.task.id : c.kind));
  assert.deepEqual(ids.slice(0, 3), ['t4321', 't0', 't1'], 'failed first, then the first to start');
  assert.equal(ids.length, 50);
  assert.deepEqual(children.at(-1), { kind: 'more', remaining: 5000 - 50 });
});
