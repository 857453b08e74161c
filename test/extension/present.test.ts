import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowRunSummary, TaskRunRecord } from '../../src/engine/records';
import { state, type StateName } from '../../src/engine/states';
import {
  describeFilter,
  filterSummary,
  isFiltered,
  escapeMarkdown,
  formatAge,
  formatDuration,
  flatRunDescription,
  flowGroupAccessibilityLabel,
  flowGroupDescription,
  runAccessibilityLabel,
  runContextValue,
  runDescription,
  pauseLeft,
  taskContextValue,
  runTooltip,
  runningText,
  pausedRunLine,
  runProgressLine,
  taskDescription,
  taskTooltip,
} from '../../src/extension/runs/present';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

function run(name: StateName, fields: Partial<FlowRunSummary> & { parameters?: Record<string, unknown> } = {}, stateAt = NOW - 2 * MINUTE): FlowRunSummary & { parameters?: Record<string, unknown> } {
  return {
    id: 'r1',
    name: 'light-potoo',
    flowName: 'hello',
    source: '/ws/flows/hello.flow.ts',
    parameters: { name: 'Ada' },
    state: state(name, undefined, stateAt),
    created: NOW - 2 * MINUTE - 1500,
    owner: { pid: 1, hostname: 'h' },
    attempt: 1,
    seq: 0,
    ...fields,
  };
}

test('durations read as seconds with a decimal below 10 s, then whole units', () => {
  assert.equal(formatDuration(0), '0 ms');
  assert.equal(formatDuration(430), '430 ms');
  assert.equal(formatDuration(999.6), '999 ms');
  assert.equal(formatDuration(1234), '1.2 s');
  assert.equal(formatDuration(9999), '9.9 s');
  assert.equal(formatDuration(12_300), '12 s');
  assert.equal(formatDuration(2 * MINUTE), '2 min');
  assert.equal(formatDuration(2 * MINUTE + 5 * SECOND), '2 min 5 s');
  assert.equal(formatDuration(63 * MINUTE), '1 h 3 min');
  assert.equal(formatDuration(-5), '0 ms');
});

test('ages read like "2 min ago"', () => {
  assert.equal(formatAge(1000), 'just now');
  assert.equal(formatAge(40 * SECOND), '40 s ago');
  assert.equal(formatAge(2 * MINUTE + 30 * SECOND), '2 min ago');
  assert.equal(formatAge(3 * 60 * MINUTE), '3 h ago');
  assert.equal(formatAge(24 * 60 * MINUTE), '1 day ago');
  assert.equal(formatAge(5 * 24 * 60 * MINUTE), '5 days ago');
});

test('a finished run reads "Completed · 1.2 s · 2 min ago", state name first', () => {
  const done = run('Completed', { startTime: NOW - 2 * MINUTE - 1200, endTime: NOW - 2 * MINUTE });
  assert.equal(runDescription(done, NOW), 'Completed · 1.2 s · 2 min ago');
  const failed = run('Failed', { startTime: NOW - 10 * MINUTE, endTime: NOW - 5 * MINUTE }, NOW - 5 * MINUTE);
  assert.match(runDescription(failed, NOW), /^Failed · 5 min · 5 min ago$/);
});

test('a run still going shows its time so far and no age', () => {
  const going = run('Running', { startTime: NOW - 12 * SECOND }, NOW - 12 * SECOND);
  assert.equal(runDescription(going, NOW), 'Running · 12 s');
});

test('a paused run says how long it still waits for a resume: "Paused · 3 min · 57 min left"', () => {
  const paused = run('Paused', { startTime: NOW - 3 * MINUTE }, NOW - 2 * MINUTE);
  paused.state.pause = { until: NOW + 57 * MINUTE - 20 * SECOND, input: { approve: { type: 'boolean' } } };
  assert.equal(runDescription(paused, NOW), 'Paused · 3 min · 57 min left');
  assert.equal(runDescription(paused, NOW + 57 * MINUTE - 60 * SECOND), 'Paused · 59 min · 40 s left');
  assert.equal(runDescription(paused, NOW + 58 * MINUTE), 'Paused · 1 h 1 min · time up');
  assert.equal(pauseLeft(2 * 3600_000 + 1), '2 h 1 min left');
});

test('a suspended run says how long its attempt took and how long it may still be resumed: "Suspended · 2 s · 57 min left"', () => {
  const suspended = run('Suspended', { startTime: NOW - 3 * MINUTE, endTime: NOW - 3 * MINUTE + 2 * SECOND }, NOW - 3 * MINUTE + 2 * SECOND);
  suspended.state.pause = { until: NOW + 57 * MINUTE - 20 * SECOND, key: 'pause-1' };
  assert.equal(runDescription(suspended, NOW), 'Suspended · 2.0 s · 57 min left');
  assert.equal(runDescription(suspended, NOW + 58 * MINUTE), 'Suspended · 2.0 s · time up');
});

test('a suspended run offers Resume Run and Cancel Run wherever it was suspended (nothing runs it)', () => {
  const value = runContextValue(run('Suspended'), { cancelable: true, subflow: false });
  assert.deepEqual(commandsFor(value), ['flowdeck.cancelRun', 'flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.resumePausedRun', 'flowdeck.showRunLogs']);
});

test('a schedule\'s run waiting for its slot reads "Scheduled · in 4 min"; once due, "Scheduled · due"', () => {
  const waiting = run('Scheduled', { created: NOW - MINUTE, trigger: { kind: 'schedule', id: 'abcdef0123', slot: NOW + 4 * MINUTE } }, NOW - MINUTE);
  assert.equal(runDescription(waiting, NOW), 'Scheduled · in 4 min');
  assert.equal(runDescription(waiting, NOW + 4 * MINUTE - 200), 'Scheduled · in 1.0 s');
  assert.equal(runDescription(waiting, NOW + 4 * MINUTE + 10), 'Scheduled · due');
  assert.match(runTooltip(waiting, NOW), /Run of schedule `abcdef0123`, for its slot at /);
});

test('a run that crashed before starting measures from its creation', () => {
  const crashed = run('Crashed', { created: NOW - 3000 }, NOW - 1000);
  assert.equal(runDescription(crashed, NOW), 'Crashed · 2.0 s · just now');
});

test('task runs show state, duration, and attempts when retried', () => {
  const task = (fields: Partial<TaskRunRecord>): TaskRunRecord => ({
    id: 't1',
    flowRunId: 'r1',
    name: 'greet-0',
    taskName: 'greet',
    state: state('Completed', undefined, NOW),
    attempts: 1,
    flowAttempt: 1,
    startTime: NOW - 300,
    endTime: NOW,
    ...fields,
  });
  assert.equal(taskDescription(task({}), NOW), 'Completed · 300 ms');
  assert.equal(taskDescription(task({ state: state('Failed', 'boom', NOW), attempts: 3 }), NOW), 'Failed · 300 ms · 3 attempts');
  assert.equal(taskDescription(task({ state: state('Pending', undefined, NOW), startTime: undefined, endTime: undefined, attempts: 0 }), NOW), 'Pending');
  const tip = taskTooltip(task({ attempts: 2, cacheKey: 'k1' }), NOW);
  assert.match(tip, /Attempts: 2/);
  assert.match(tip, /Cache key: `k1`/);
});

/** The `when` regular expressions of package.json's view/item/context menus, by command. */
function runMenus(): Map<string, RegExp[]> {
  const pkg = require('../../package.json') as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
  const out = new Map<string, RegExp[]>();
  for (const item of pkg.contributes.menus['view/item/context']!) {
    if (!item.when?.includes('view == flowdeck.runs')) continue;
    const m = /viewItem =~ \/(.+)\//.exec(item.when);
    assert.ok(m, `${item.command}: expected a viewItem regex in "${item.when}"`);
    out.set(item.command, [...(out.get(item.command) ?? []), new RegExp(m[1]!)]);
  }
  return out;
}

function commandsFor(contextValue: string): string[] {
  return [...runMenus()].filter(([, res]) => res.some((re) => re.test(contextValue))).map(([c]) => c).sort();
}

test('a running run of this window offers Cancel, Open Run, Show Logs and Open in Dashboard', () => {
  const value = runContextValue(run('Running'), { cancelable: true, subflow: false });
  assert.deepEqual(commandsFor(value), ['flowdeck.cancelRun', 'flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.showRunLogs']);
});

test('a paused run offers Resume Run, wherever it runs (and Cancel from the window running it); so does a paused subflow run', () => {
  const here = runContextValue(run('Paused'), { cancelable: true, subflow: false });
  assert.deepEqual(commandsFor(here), ['flowdeck.cancelRun', 'flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.resumePausedRun', 'flowdeck.showRunLogs']);
  const elsewhere = runContextValue(run('Paused', { parentRunId: 'p' }), { cancelable: false, subflow: true });
  assert.deepEqual(commandsFor(elsewhere), ['flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.resumePausedRun', 'flowdeck.showRunLogs']);
});

test('a running run of another process cannot be cancelled from here', () => {
  const value = runContextValue(run('Running'), { cancelable: false, subflow: false });
  assert.deepEqual(commandsFor(value), ['flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.showRunLogs']);
});

test('a finished run offers Rerun and Delete; a finished subflow run offers neither', () => {
  const value = runContextValue(run('Completed'), { cancelable: false, subflow: false });
  assert.deepEqual(commandsFor(value), ['flowdeck.deleteRun', 'flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.rerunRun', 'flowdeck.showRunLogs']);
  const sub = runContextValue(run('Completed', { parentRunId: 'p' }), { cancelable: false, subflow: true });
  assert.deepEqual(commandsFor(sub), ['flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.showRunLogs']);
});

test('a run that did not complete can be retried from its failure, here or on workers; a failed one also goes to its failure', () => {
  // (Retry on Workers… also needs a Postgres store, the `flowdeck.sharedStore` context key: not matched here.)
  for (const name of ['Crashed', 'Cancelled'] as const) {
    const value = runContextValue(run(name), { cancelable: false, subflow: false });
    assert.deepEqual(commandsFor(value), ['flowdeck.deleteRun', 'flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.rerunRun', 'flowdeck.retryFromFailure', 'flowdeck.retryOnWorkers', 'flowdeck.showRunLogs'], name);
  }
  for (const name of ['Failed', 'TimedOut'] as const) {
    const value = runContextValue(run(name), { cancelable: false, subflow: false });
    assert.deepEqual(commandsFor(value), ['flowdeck.deleteRun', 'flowdeck.goToFailure', 'flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.rerunRun', 'flowdeck.retryFromFailure', 'flowdeck.retryOnWorkers', 'flowdeck.showRunLogs'], name);
  }
  // A subflow is retried with its top-level run, but its failure is still a place to go to.
  const sub = runContextValue(run('Failed', { parentRunId: 'p' }), { cancelable: false, subflow: true });
  assert.deepEqual(commandsFor(sub), ['flowdeck.goToFailure', 'flowdeck.openRun', 'flowdeck.openRunInDashboard', 'flowdeck.showRunLogs']);
  assert.equal(taskContextValue({ state: state('Failed', 'boom') }), 'taskrun failure');
  assert.equal(taskContextValue({ state: state('Completed') }), 'taskrun');
});

test('a flow\'s row in the grouped view reads "12 runs · last Failed 2 h ago"; flat rows put the flow first', () => {
  const last = run('Failed', { endTime: NOW - 2 * 60 * MINUTE }, NOW - 2 * 60 * MINUTE);
  assert.equal(flowGroupDescription({ runs: 12, last }, NOW), '12 runs · last Failed 2 h ago');
  assert.equal(flowGroupDescription({ runs: 12, matching: 3, last }, NOW), '3 of 12 runs · last Failed 2 h ago');
  assert.equal(flowGroupDescription({ runs: 1, last: run('Running', { startTime: NOW - SECOND }, NOW - SECOND) }, NOW), '1 run · last Running');
  const done = run('Completed', { startTime: NOW - 2 * MINUTE - 1800, endTime: NOW - 2 * MINUTE });
  assert.equal(flatRunDescription(done, NOW), 'hello · Completed · 1.8 s · 2 min ago');
});

test('screen readers hear flow, run, state, duration and time in words, not the tooltip', () => {
  const done = run('Completed', { startTime: NOW - 2 * MINUTE - 1800, endTime: NOW - 2 * MINUTE });
  assert.equal(runAccessibilityLabel(done, NOW), 'Flow hello, run light-potoo, Completed, took 1.8 seconds, 2 minutes ago');
  const going = run('Running', { startTime: NOW - 12 * SECOND }, NOW - 12 * SECOND);
  assert.equal(runAccessibilityLabel(going, NOW), 'Flow hello, run light-potoo, Running, running for 12 seconds');
  assert.equal(flowGroupAccessibilityLabel('hello', '12 runs · last Failed 2 h ago'), 'Flow hello, 12 runs, last Failed 2 hours ago');
  assert.ok(runAccessibilityLabel(done, NOW).length < 100, 'short');
});

test('context value tokens are never part of one another', () => {
  const tokens = new Set(
    [runContextValue(run('Running'), { cancelable: true, subflow: false }), runContextValue(run('Completed'), { cancelable: false, subflow: true }), runContextValue(run('Completed'), { cancelable: false, subflow: false })]
      .join(' ')
      .split(' '),
  );
  for (const a of tokens) for (const b of tokens) if (a !== b) assert.ok(!b.includes(a), `'${a}' is part of '${b}'`);
});

test('the tooltip names the flow, the state with its message, the parameters and the times', () => {
  const tip = runTooltip(run('Failed', { startTime: NOW - 3 * SECOND, endTime: NOW - SECOND, parameters: { repo: 'a/b' } }, NOW - SECOND), NOW);
  assert.match(tip, /\*\*light-potoo\*\* — flow `hello`/);
  assert.match(tip, /State: \*\*Failed\*\*/);
  assert.match(tip, /"repo": "a\/b"/);
  assert.match(tip, /took 2\.0 s/);
  const withMessage = runTooltip({ ...run('Failed'), state: state('Failed', 'ValueError: ``` oops', NOW) }, NOW);
  assert.match(withMessage, /````\nValueError: ``` oops\n````/, 'a fence longer than any backtick run inside the message');
  assert.match(runTooltip(run('Completed', { parameters: {} }), NOW), /Parameters: none/);
  // A terminal's colours mean nothing in a tooltip (an ESC showed as a box): removed.
  const coloured = runTooltip({ ...run('Failed'), state: state('Failed', '\u001b[31mRED\u001b[0m went wrong', NOW) }, NOW);
  assert.match(coloured, /```\nRED went wrong\n```/);
  assert.ok(!coloured.includes('\u001b'));
});

test('markdown escaping keeps names literal', () => {
  assert.equal(escapeMarkdown('a_b*[c](d)'), 'a\\_b\\*\\[c\\]\\(d\\)');
});

test('the filter reads as its states, flows and search text, with how many runs it keeps', () => {
  assert.equal(describeFilter({}), undefined);
  assert.equal(describeFilter({ flowNames: ['hello'] }), 'hello');
  assert.equal(describeFilter({ stateTypes: ['FAILED', 'CRASHED'] }), 'Failed, Crashed');
  assert.equal(describeFilter({ flowNames: ['hello', 'burst'], stateTypes: ['COMPLETED'], search: 'potoo' }), 'Completed · hello, burst · “potoo”');
  assert.equal(describeFilter({ flowNames: ['hello'], tags: ['etl', 'nightly'], search: 'potoo' }), 'hello · #etl #nightly · “potoo”');
  assert.equal(isFiltered({ tags: ['etl'] }), true);
  assert.equal(isFiltered({ tags: [] }), false);
  assert.equal(filterSummary({ stateTypes: ['FAILED'] }, 12, 2000), 'Failed — 12 of 2,000 runs');
  assert.equal(filterSummary({}, 5, 5), undefined);
  assert.equal(isFiltered({ flowNames: [] }), false);
  assert.equal(isFiltered({ search: 'x' }), true);
});

test("the status bar counts running flows in the singular and plural, with the run's progress when it reports any", () => {
  assert.equal(runningText(1), '$(sync~spin) 1 flow running');
  assert.equal(runningText(2), '$(sync~spin) 2 flows running');
  assert.equal(runningText(1, 45.4), '$(sync~spin) 1 flow running · 45%');
  assert.equal(runningText(1, 99.96), '$(sync~spin) 1 flow running · 99.9%');
  // Paused runs wait for the user: said instead of progress, alone when every run is paused.
  assert.equal(runningText(1, 45, 1), '$(debug-pause) 1 flow paused');
  assert.equal(runningText(3, undefined, 1), '$(sync~spin) 3 flows running · 1 paused');
  assert.equal(runningText(2, undefined, 2), '$(debug-pause) 2 flows paused');
  assert.equal(pausedRunLine({ runName: 'deploy-7', message: 'Deploy v7?' }), 'deploy-7 · paused: Deploy v7? — Resume Run on its row');
  assert.equal(runProgressLine({ runName: 'stats-acme', key: 'import', progress: 45, description: 'Imported 450 of 1,000 files' }), 'stats-acme · import 45%: Imported 450 of 1,000 files');
  assert.equal(runProgressLine({ runName: 'light-potoo', key: 'steps', progress: 100 }), 'light-potoo · steps 100%');
  // The run's row: its progress while it goes, none once it ended.
  const going = { state: { type: 'RUNNING' as const, name: 'Running' as const, timestamp: 1000 }, created: 0, startTime: 1000 };
  assert.equal(runDescription(going, 13_000, 45), 'Running · 12 s · 45%');
  assert.equal(flatRunDescription({ ...going, flowName: 'stats' }, 13_000, 45), 'stats · Running · 12 s · 45%');
  assert.doesNotMatch(runDescription({ ...going, state: { type: 'COMPLETED', name: 'Completed', timestamp: 2000 }, endTime: 2000 }, 13_000, 100), /%/);
});

test("a run's tooltip names its tags, and says nothing of tags for a run without", () => {
  const tagged = run('Completed', { startTime: NOW - 3 * SECOND, endTime: NOW - SECOND, tags: ['etl', 'team:data'] }, NOW - SECOND);
  assert.match(runTooltip(tagged, NOW), /\n\nTags: `etl`, `team:data`\n/);
  assert.doesNotMatch(runTooltip(run('Completed', {}, NOW - SECOND), NOW), /Tags:/);
});

test('a run with huge parameters gets a bounded tooltip, and backticks in them do not break it', () => {
  const big = runTooltip(run('Completed', { parameters: { text: 'a'.repeat(900_000) } }), NOW);
  assert.ok(big.length < 10_000, `the tooltip holds ${big.length} characters`);
  assert.match(big, /"text": "a+…\n```/, 'cut, and said to be cut');
  // Half a million backtick runs: the fence was measured with Math.max(...runs), which overflowed the stack.
  const ticks = runTooltip(run('Completed', { parameters: { text: '` '.repeat(450_000) } }), NOW);
  assert.match(ticks, /Parameters:/);
  assert.ok(ticks.length < 10_000);
  const message = runTooltip({ ...run('Failed'), state: state('Failed', '` '.repeat(450_000), NOW) }, NOW);
  assert.match(message, /State: \*\*Failed\*\*/);
});

test("a task run's tooltip cuts a huge cache key", () => {
  const task: TaskRunRecord = { id: 't1', flowRunId: 'r1', name: 'fetch-0', taskName: 'fetch', state: state('Completed', undefined, NOW), attempts: 1, flowAttempt: 1, cacheKey: `fetch:${'k'.repeat(500_000)}` };
  const tip = taskTooltip(task, NOW);
  assert.ok(tip.length < 2_000, `the tooltip holds ${tip.length} characters`);
  assert.match(tip, /Cache key: `fetch:k+…`/);
});
