import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowRunDetail, FlowRunSummary, TaskRunRecord } from '../../src/engine/records';
import { state } from '../../src/engine/states';
import { absentRunOf, headerOf, parametersText, subflowItemOf, taskItemOf, timelineTaskIds, triggerLabel } from '../../src/extension/runDetails/detailsModel';
import { runDetailsHtml } from '../../src/extension/runDetails/html';
import { makeNonce } from '../../src/extension/dashboard/html';

const ctx = { cancelable: false, sourceLabel: 'flows/etl.flow.ts', pathLabel: (f: string) => f.replace('/ws/', ''), result: { kind: 'none' as const } };

function detail(fields: Partial<FlowRunDetail> = {}): FlowRunDetail {
  return {
    id: 'r1',
    name: 'light-potoo',
    flowName: 'etl',
    source: '/ws/flows/etl.flow.ts',
    state: state('Completed', undefined, 5000),
    created: 1000,
    startTime: 1100,
    endTime: 5000,
    owner: { pid: 1, hostname: 'h' },
    attempt: 1,
    seq: 3,
    parameters: { repo: 'a/b' },
    states: [],
    taskRuns: [],
    skippedRecords: 0,
    ...fields,
  };
}

test('the header carries what the panel shows and which actions fit the run', () => {
  const done = headerOf(detail(), ctx);
  assert.equal(done.trigger, 'manual');
  assert.equal(headerOf(detail({ refreshCache: true }), ctx).trigger, 'manual, refreshing the cache');
  assert.equal(headerOf(detail({ trigger: { kind: 'schedule', id: 'nightly', slot: 1 }, idempotencyKey: 'release-42' }), ctx).trigger, "schedule nightly, idempotency key 'release-42'");
  assert.equal(done.parameters, '{\n  "repo": "a/b"\n}');
  assert.equal(done.inputs, undefined, 'no pause, no inputs');
  assert.equal(done.tags, undefined, 'no tags, none shown');
  assert.equal(headerOf(detail({ tags: ['etl', 'nightly'] }), ctx).tags, 'etl, nightly');
  const inputs = { approval: { value: { approve: true }, attempt: 1, ts: 1 }, gate: { value: {}, attempt: 2, ts: 2, timedOut: true as const } };
  assert.equal(headerOf(detail({ inputs }), ctx).inputs, 'approval: {"approve":true} (attempt 1); gate: timed out (attempt 2)');
  const long = headerOf(detail({ inputs: { big: { value: { text: 'x'.repeat(1000) }, attempt: 1, ts: 1 } } }), ctx).inputs!;
  assert.equal(long.length, 400, 'bounded');
  assert.deepEqual(done.actions, { cancel: false, resume: false, retryFromFailure: false, rerun: true, openSource: true });
  const failed = headerOf(detail({ state: state('Failed', 'boom', 5000, { name: 'Error', message: 'boom', frame: { file: '/ws/flows/etl.flow.ts', line: 3, column: 5 } }) }), ctx);
  assert.deepEqual(failed.actions, { cancel: false, resume: false, retryFromFailure: true, rerun: true, openSource: true });
  assert.deepEqual(failed.failure, { name: 'Error', message: 'boom', causes: [], where: 'flows/etl.flow.ts:3:5' });
  const going = headerOf(detail({ state: state('Running', undefined, 2000), endTime: undefined }), { ...ctx, cancelable: true });
  assert.deepEqual(going.actions, { cancel: true, resume: false, retryFromFailure: false, rerun: false, openSource: true });
  const sub = headerOf(detail({ parentRunId: 'p', state: state('Failed', 'x', 5000) }), { ...ctx, parent: { id: 'p', name: 'big-owl' } });
  assert.equal(sub.actions.retryFromFailure, false, 'a subflow is retried with its top-level run');
  assert.deepEqual(sub.parent, { id: 'p', name: 'big-owl' });
  assert.equal(headerOf(detail({ source: 'builtin:github-repo-stats' }), ctx).actions.openSource, false);
  // Paused (pauseFlowRun): Resume, wherever it runs; Cancel only from the window running it; what it waits for.
  const pausedState = { ...state('Paused', 'Deploy?', 2000), pause: { until: 9000, input: { approve: { type: 'boolean', required: true }, replicas: { type: 'integer', default: 2 } } } } as const;
  const paused = headerOf(detail({ state: pausedState, endTime: undefined }), ctx);
  assert.deepEqual(paused.actions, { cancel: false, resume: true, retryFromFailure: false, rerun: false, openSource: true });
  assert.deepEqual(paused.pause, { until: 9000, inputs: ['approve (boolean, required)', 'replicas (integer, default 2)'] });
  assert.equal(done.pause, undefined);
  assert.deepEqual(headerOf(detail({ state: state('Paused', 'Deploy?', 2000), endTime: undefined }), { ...ctx, cancelable: true }).actions, { cancel: true, resume: true, retryFromFailure: false, rerun: false, openSource: true });
});

test("a finished run read for the first time shows the index's state and times, never the Running its journal starts with", () => {
  // Part-way through the journal: the run's last state and result are read last.
  const partWay = detail({ state: state('Running', undefined, 1100), endTime: undefined, states: [state('Running', undefined, 1100)] });
  const index: FlowRunSummary = { id: 'r1', name: 'light-potoo', flowName: 'etl', source: '/ws/flows/etl.flow.ts', state: state('Failed', 'boom', 5000), created: 1000, startTime: 1100, endTime: 5000, owner: { pid: 1, hostname: 'h' }, attempt: 1, seq: 3 };
  const h = headerOf(partWay, { ...ctx, cancelable: true, reading: index });
  assert.deepEqual([h.state.name, h.state.message, h.endTime], ['Failed', 'boom', 5000]);
  assert.deepEqual(h.actions, { cancel: false, resume: false, retryFromFailure: true, rerun: true, openSource: true }, 'a finished run is not cancelled');
  assert.equal(h.failure, undefined, 'no failure card until the task runs it points at are read');
  const going = headerOf(partWay, { ...ctx, cancelable: true });
  assert.deepEqual([going.state.name, going.endTime, going.actions.cancel], ['Running', undefined, true], 'without the index: what the journal says so far');
});

test("a failed run whose own failure has no line shows its task run's failure, naming the task run", () => {
  const task: TaskRunRecord = { id: 't1', flowRunId: 'r1', name: 'load-0', taskName: 'load', state: state('Failed', 'quota', 4000, { name: 'QuotaError', message: 'quota', causes: ['429'], frame: { file: '/ws/flows/etl.flow.ts', line: 20, column: 3 } }), attempts: 3, flowAttempt: 1 };
  const h = headerOf(detail({ state: state('Failed', 'quota', 5000, { name: 'QuotaError', message: 'quota' }), taskRuns: [task] }), ctx);
  assert.deepEqual(h.failure, { name: 'QuotaError', message: 'quota', causes: ['429'], where: 'flows/etl.flow.ts:20:3', taskRunId: 't1', taskRunName: 'load-0' });
});

test("a crashed run shows a failure card only when it knows the line its worker was ended from", () => {
  const where = { name: 'Error', message: 'process.exit(3) was called', stack: 'Error: process.exit(3) was called', frame: { file: '/ws/flows/etl.flow.ts', line: 7, column: 29 } };
  const crashed = headerOf(detail({ state: state('Crashed', 'Worker process exited unexpectedly (exit code 3) after process.exit(3) in the flow\'s code', 5000, where) }), ctx);
  assert.deepEqual(crashed.failure, { crashed: true, name: 'Error', message: 'process.exit(3) was called', causes: [], stack: 'Error: process.exit(3) was called', where: 'flows/etl.flow.ts:7:29' });
  assert.equal(headerOf(detail({ state: state('Crashed', 'host process ended', 5000) }), ctx).failure, undefined);
});

test('timeline items: a task run with its whole history, a subflow from its index line', () => {
  const task: TaskRunRecord = { id: 't1', flowRunId: 'r1', name: 'fetch-0', taskName: 'fetch', state: state('Completed', undefined, 300), attempts: 2, flowAttempt: 1, startTime: 110, endTime: 300 };
  const history = [{ name: 'Pending' as const, ts: 100 }, { name: 'Running' as const, ts: 110, attempt: 1 }, { name: 'AwaitingRetry' as const, ts: 150, message: 'Retry 1/1' }, { name: 'Retrying' as const, ts: 200, attempt: 2 }, { name: 'Completed' as const, ts: 300 }];
  assert.deepEqual(taskItemOf(task, history).states.map((s) => s.name), ['Pending', 'Running', 'AwaitingRetry', 'Retrying', 'Completed']);
  assert.deepEqual(taskItemOf(task, undefined).states, [{ name: 'Running', ts: 110, attempt: 2 }, { name: 'Completed', ts: 300 }], 'without a history, what the record says');
  const sub: FlowRunSummary = { id: 's1', name: 'tiny-wren', flowName: 'child', source: '/ws/c.flow.ts', state: state('Failed', 'x', 900), created: 500, startTime: 510, endTime: 900, owner: { pid: 1, hostname: 'h' }, attempt: 1, seq: 2 };
  assert.deepEqual(subflowItemOf(sub), { id: 's1', name: 'tiny-wren', kind: 'subflow', group: 'child', states: [{ name: 'Pending', ts: 500 }, { name: 'Running', ts: 510, attempt: 1 }, { name: 'Failed', ts: 900 }] });
});

test('triggers and parameters read plainly, bounded', () => {
  assert.equal(triggerLabel({ kind: 'schedule', id: 'nightly', slot: 3 }), 'schedule nightly');
  assert.equal(triggerLabel({ kind: 'resume' }), 'resume');
  assert.equal(parametersText({}), 'none');
  assert.ok(parametersText({ big: 'x'.repeat(10_000) }).length <= 4001);
});

test('the panel page has the dashboard\'s strict policy: one nonce\'d script, nothing inline, names escaped', () => {
  const nonce = makeNonce();
  const html = runDetailsHtml({ cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x/runDetails.js', styleUris: ['https://x/a.css', 'https://x/b.css'], nonce, runName: '<img onerror=1>' });
  assert.match(html, new RegExp(`script-src 'nonce-${nonce}'`));
  assert.match(html, /default-src 'none'/);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
  assert.equal(html.match(/<script/g)?.length, 1);
  assert.equal(html.match(/<link rel="stylesheet"/g)?.length, 2);
  assert.doesNotMatch(html, /<img/);
  assert.throws(() => runDetailsHtml({ cspSource: "'unsafe-inline'", scriptUri: 's', styleUris: [], nonce, runName: 'r' }), /not a list of CSP host sources/);
});

test("a huge run's timeline draws a bounded number of task runs: every failed one first, then the first to start", () => {
  const task = (i: number, name: 'Completed' | 'Failed' | 'Crashed' | 'Running'): TaskRunRecord => ({ id: `t${i}`, flowRunId: 'r1', name: `step-${i}`, taskName: 'step', state: state(name, undefined, 1000 + i), attempts: 1, flowAttempt: 1 });
  const small = new Map([0, 1, 2].map((i) => [`t${i}`, task(i, i === 1 ? 'Failed' : 'Completed')] as const));
  assert.deepEqual(timelineTaskIds(small, 10), ['t0', 't1', 't2'], 'a run within the bound: all of them, in order');
  const big = new Map(Array.from({ length: 100 }, (_, i) => [`t${i}`, task(i, i === 70 ? 'Failed' : i === 95 ? 'Crashed' : i === 3 ? 'Running' : 'Completed')] as const));
  const ids = timelineTaskIds(big, 10);
  assert.equal(ids.length, 10);
  assert.deepEqual(ids.slice(0, 2), ['t70', 't95']);
  assert.deepEqual(ids.slice(2), ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
  // More failed task runs than the bound: the first of them.
  const failing = new Map(Array.from({ length: 30 }, (_, i) => [`t${i}`, task(i, 'Failed')] as const));
  assert.deepEqual(timelineTaskIds(failing, 5), ['t0', 't1', 't2', 't3', 't4']);
});

test("a run failed with no error of its own code shows its state's message once; a subflow run's failure names and links that run", () => {
  const failedBySub = detail({ state: state('Failed', "Subflow run 'humming-toucan' ended in state Failed('child broke')", 5000) });
  assert.deepEqual(headerOf(failedBySub, ctx).failure, { name: '', message: "Subflow run 'humming-toucan' ended in state Failed('child broke')", causes: [] }, 'not "Failed: …" under the Failed heading');
  const child: FlowRunSummary = { id: 'c1', name: 'humming-toucan', flowName: 'child', source: '/ws/flows/etl.flow.ts', state: state('Failed', 'child broke', 4000), created: 1000, owner: { pid: 1, hostname: 'h' }, attempt: 1, seq: 2, parentRunId: 'r1' };
  const childDetail = detail({ id: 'c1', name: 'humming-toucan', state: state('Failed', 'child broke', 4000, { name: 'Error', message: 'child broke', frame: { file: '/ws/flows/etl.flow.ts', line: 4, column: 9 } }) });
  assert.deepEqual(headerOf(failedBySub, { ...ctx, subflowFailure: { run: child, failed: childDetail } }).failure, { name: 'Error', message: 'child broke', causes: [], where: 'flows/etl.flow.ts:4:9', subflowRunId: 'c1', subflowRunName: 'humming-toucan' });
  // Its journal not read: the link to it, with the run's own words.
  assert.deepEqual(headerOf(failedBySub, { ...ctx, subflowFailure: { run: child } }).failure, { name: '', message: "Subflow run 'humming-toucan' ended in state Failed('child broke')", causes: [], subflowRunId: 'c1', subflowRunName: 'humming-toucan' });
});

test("a terminal's escapes in a failure are removed from the card and the state line; other controls are shown escaped", () => {
  const esc = '\u001b[31mRED\u001b[0m line\nline\u0007';
  const h = headerOf(detail({ state: state('Failed', esc, 5000, { name: 'Error', message: esc, causes: ['\u001b[1mbold\u001b[22m cause'], stack: `Error: ${esc}\n    at x`, frame: { file: '/ws/flows/etl.flow.ts', line: 3, column: 5 } }) }), ctx);
  assert.equal(h.state.message, 'RED line\nline\\x07');
  assert.equal(h.failure!.message, 'RED line\nline\\x07');
  assert.deepEqual(h.failure!.causes, ['bold cause']);
  assert.ok(!h.failure!.stack!.includes('\u001b'));
  assert.equal(headerOf(detail({ state: state('Failed', esc, 5000) }), ctx).failure!.message, 'RED line\nline\\x07', 'a failure without an error of its own code too');
});

test('a run deleted while its details are shown has no action left: each needs the run in the store', () => {
  const h = headerOf(detail(), { ...ctx, deleted: true });
  assert.equal(h.deleted, true);
  assert.deepEqual(h.actions, { cancel: false, resume: false, retryFromFailure: false, rerun: false, openSource: false });
  assert.equal(headerOf(detail(), { ...ctx, deleted: false }).deleted, undefined);
});

test('a run not in the store the window switched to is not said deleted, and has no action left there', () => {
  const h = headerOf(detail(), { ...ctx, otherStore: true });
  assert.equal(h.otherStore, true);
  assert.equal(h.deleted, undefined, 'it was not deleted: it is in the other store');
  assert.deepEqual(h.actions, { cancel: false, resume: false, retryFromFailure: false, rerun: false, openSource: false });
  assert.equal(headerOf(detail(), { ...ctx, otherStore: false }).otherStore, undefined);
});

test("a panel shown again whose run is not in the store in use says it is in another store, not deleted, when it read the run from another", () => {
  // flowdeck.home changed (while the panel was shown, or hidden): the run is in the store it was read from.
  const elsewhere = absentRunOf({ deleted: false, readFrom: '/home/u/.flowdeck' }, '/work/relstore');
  assert.equal(elsewhere.otherStore, true);
  assert.match(elsewhere.message, /not in the run store now in use/);
  assert.doesNotMatch(elsewhere.message, /deleted/);
  // The same store: it was deleted from it. Never read (a panel restored after a reload), or seen deleted before the switch: deleted.
  for (const seen of [{ deleted: false, readFrom: '/work/relstore' }, { deleted: false, readFrom: undefined }, { deleted: true, readFrom: '/home/u/.flowdeck' }]) {
    const gone = absentRunOf(seen, '/work/relstore');
    assert.equal(gone.otherStore, false, JSON.stringify(seen));
    assert.match(gone.message, /deleted/);
  }
});
