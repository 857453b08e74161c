import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowRunDetail, TaskRunRecord } from '../../src/engine/records';
import { state, type Failure, type StateName } from '../../src/engine/states';
import { FailureBook, failedSubflowOf, failureMessage, failureSiteOf } from '../../src/extension/failures/failureSite';

const FILE = '/ws/flows/etl.flow.ts';
const frame = (line: number) => ({ file: FILE, line, column: 9 });

function detail(name: StateName, fields: Partial<FlowRunDetail> = {}, failure?: Failure): FlowRunDetail {
  return {
    id: `r-${Math.random().toString(36).slice(2, 8)}`,
    name: 'light-potoo',
    flowName: 'etl',
    source: FILE,
    state: state(name, failure?.message, 5000, failure),
    created: 1000,
    endTime: 5000,
    owner: { pid: 1, hostname: 'h' },
    attempt: 1,
    seq: 1,
    parameters: {},
    states: [],
    taskRuns: [],
    skippedRecords: 0,
    ...fields,
  };
}

function failedTask(id: string, failure: Failure): TaskRunRecord {
  return { id, flowRunId: 'r', name: `${id}-0`, taskName: id, state: state('Failed', failure.message, 4000, failure), attempts: 1, flowAttempt: 1, endTime: 4000 };
}

test('the site is the flow run\'s own failure frame: 1-based line and column, the error with its causes', () => {
  const d = detail('Failed', {}, { name: 'TypeError', message: 'rows is not iterable', causes: ['fetch failed', 'connect ECONNREFUSED 127.0.0.1:9'], frame: frame(14) });
  const site = failureSiteOf(d)!;
  assert.deepEqual([site.file, site.line, site.column], [FILE, 14, 9]);
  assert.equal(site.message, 'TypeError: rows is not iterable ← fetch failed ← connect ECONNREFUSED 127.0.0.1:9');
  assert.equal(site.runName, 'light-potoo');
  assert.equal(site.taskRunName, undefined);
});

test('without a frame of its own, a failed run points at its first failed task run\'s line', () => {
  const d = detail('Failed', { taskRuns: [failedTask('load', { name: 'Error', message: 'quota exceeded', frame: frame(22) })] }, { name: 'Error', message: 'quota exceeded' });
  const site = failureSiteOf(d)!;
  assert.equal(site.line, 22);
  assert.equal(site.taskRunName, 'load-0');
  assert.equal(site.message, 'quota exceeded', 'an Error goes without its name');
  assert.equal(failureSiteOf(d, 'load')!.line, 22, "a task run's own site");
  assert.equal(failureSiteOf(d, 'nope'), undefined);
});

test('nothing to point at: a crash, or a failure with no user frame', () => {
  assert.equal(failureSiteOf(detail('Crashed')), undefined);
  assert.equal(failureSiteOf(detail('Failed', {}, { name: 'Error', message: 'in Flowdeck code' })), undefined);
});

test("a crash with a line of its own — process.exit() or an uncaught exception in the flow's code — points at it", () => {
  const d = detail('Crashed', {}, { name: 'Error', message: 'process.exit(3) was called', frame: frame(7) });
  const site = failureSiteOf(d)!;
  assert.deepEqual([site.file, site.line, site.column, site.message], [FILE, 7, 9, 'process.exit(3) was called']);
});

test('long messages are cut', () => {
  assert.ok(failureMessage({ name: 'Error', message: 'x'.repeat(5000) }).length <= 501);
});

/** As the adapter calls it: a failed or crashed run with its detail, any other with its index line only. */
function record(book: FailureBook, d: FlowRunDetail): string[] {
  return d.state.type === 'FAILED' || d.state.type === 'CRASHED' ? book.record(d, d) : book.record({ source: d.source, flowName: d.flowName, created: d.created, state: d.state });
}

test('the book shows the latest failure of each workspace flow and clears it when a later run completes', () => {
  const book = new FailureBook((file) => file.startsWith('/ws/'));
  const failed = detail('Failed', { created: 1000 }, { name: 'Error', message: 'boom', frame: frame(7) });
  assert.deepEqual(record(book, failed), [FILE]);
  assert.deepEqual(book.sitesIn(FILE).map((s) => s.line), [7]);

  // An older run finishing late changes nothing.
  assert.deepEqual(record(book, detail('Completed', { created: 500 })), []);
  assert.equal(book.sitesIn(FILE).length, 1);

  // A cancelled run says nothing about the code.
  assert.deepEqual(record(book, detail('Cancelled', { created: 1500 })), []);
  assert.equal(book.sitesIn(FILE).length, 1);

  // Neither does a crash of its host (no line of the flow's code).
  assert.deepEqual(record(book, detail('Crashed', { created: 1600 })), []);
  assert.deepEqual(book.sitesIn(FILE).map((s) => s.line), [7]);

  // A crash the flow's code caused (process.exit(), an uncaught exception) moves the problem to its line.
  assert.deepEqual(record(book, detail('Crashed', { created: 1700 }, { name: 'Error', message: 'process.exit(3) was called', frame: frame(4) })), [FILE]);
  assert.deepEqual(book.sitesIn(FILE).map((s) => [s.line, s.message]), [[4, 'process.exit(3) was called']]);

  // A later failure moves the problem to its line.
  record(book, detail('Failed', { created: 2000 }, { name: 'Error', message: 'boom again', frame: frame(9) }));
  assert.deepEqual(book.sitesIn(FILE).map((s) => [s.line, s.message]), [[9, 'boom again']]);

  // A later completed run clears it.
  assert.deepEqual(record(book, detail('Completed', { created: 3000 })), [FILE]);
  assert.deepEqual(book.sitesIn(FILE), []);
  assert.deepEqual(book.files(), []);
});

test('two flows of one file keep their own problems; a file outside the workspace gets none', () => {
  const book = new FailureBook((file) => file.startsWith('/ws/'));
  record(book, detail('Failed', { flowName: 'a' }, { name: 'Error', message: 'a', frame: frame(3) }));
  record(book, detail('Failed', { flowName: 'b' }, { name: 'Error', message: 'b', frame: frame(30) }));
  assert.deepEqual(book.sitesIn(FILE).map((s) => s.flowName), ['a', 'b']);
  record(book, detail('Completed', { flowName: 'a', created: 9000 }));
  assert.deepEqual(book.sitesIn(FILE).map((s) => s.flowName), ['b']);
  const elsewhere = { file: '/tmp/other.flow.ts', line: 2, column: 1 };
  assert.deepEqual(record(book, detail('Failed', { source: '/tmp/other.flow.ts' }, { name: 'Error', message: 'x', frame: elsewhere })), []);
});

// Found on review: the subflow run was picked by the name in the parent's message (`Subflow run 'x' ended…`),
// the first of that name not Completed in the list — two subflow runs can share a name.
test('the subflow run that failed a run is the one its state names by id, not the first of the name its message gives', { timeout: 10_000 }, () => {
  const sub = (id: string, name: StateName) => ({ id, name: 'same', state: state(name, undefined, 4000) });
  const subflows = [sub('s-1', 'Failed'), sub('s-2', 'Failed'), sub('s-3', 'Completed')];
  const parent = detail('Failed', { state: { ...state('Failed', "Subflow run 'same' ended in state Failed('broke')", 5000), subflowRunId: 's-2' } });
  assert.equal(failedSubflowOf(parent, subflows)?.id, 's-2');
  // A subflow run not among those given is not guessed from the name.
  assert.equal(failedSubflowOf(parent, [subflows[0]!, subflows[2]!]), undefined);
  // A run recorded before states named the subflow run: its message, as before.
  const old = detail('Failed', { state: state('Failed', "Subflow run 'same' ended in state Failed('broke')", 5000) });
  assert.equal(failedSubflowOf(old, subflows)?.id, 's-1');
  assert.equal(failedSubflowOf(detail('Failed', {}, { name: 'Error', message: 'own' }), subflows), undefined, 'a failure of its own code');
});
