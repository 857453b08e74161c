import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileFlows } from '../../src/engine/flowDiscovery';
import type { ScheduleView } from '../../src/engine/schedules/scheduleEntries';
import { flowKey, flowsViewChanges, type FlowsViewData } from '../../src/extension/flows/flowsViewChanges';

const BUILTINS = [{ source: 'builtin:github-repo-stats', flowName: 'github-repo-stats' }];

function file(path: string, flows: [name: string, line: number][], problems = 0): FileFlows {
  return {
    file: path,
    flows: flows.map(([name, line]) => ({ name, line, column: 1, exportName: name })),
    problems: Array.from({ length: problems }, (_, i) => ({ line: 10 + i, column: 1, message: 'not a literal name' })),
  };
}

function every(source: string, flowName: string, seconds: number, next: number | undefined, paused = false): ScheduleView {
  const view: ScheduleView = { entry: { id: `${flowName}-${seconds}`, flowName, source, schedule: { intervalSeconds: seconds }, origin: 'store' }, paused };
  if (next !== undefined) view.next = next;
  return view;
}

const HELLO = '/ws/hello.flow.ts';
const REPORT = '/ws/report.flow.ts';

function data(files: FileFlows[], schedules: ScheduleView[] = []): FlowsViewData {
  return { files, schedules };
}

test('nothing changed: nothing is redrawn', () => {
  const before = data([file(HELLO, [['hello', 3]])], [every(HELLO, 'hello', 5, 10_000)]);
  const after = data([file(HELLO, [['hello', 3]])], [every(HELLO, 'hello', 5, 10_000)]);
  assert.deepEqual(flowsViewChanges(before, after, BUILTINS), { all: false, files: [], flows: [] });
});

test("a schedule's next time redraws its flow's row alone — a file's or a built-in's — and no other row", () => {
  const files = [file(HELLO, [['hello', 3], ['bye', 9]]), file(REPORT, [['report', 1]])];
  const before = data(files, [every(HELLO, 'hello', 5, 10_000), every('builtin:github-repo-stats', 'github-repo-stats', 60, 60_000), every(REPORT, 'report', 5, 10_000)]);
  const after = data(files, [every(HELLO, 'hello', 5, 15_000), every('builtin:github-repo-stats', 'github-repo-stats', 60, 120_000), every(REPORT, 'report', 5, 10_000)]);
  assert.deepEqual(flowsViewChanges(before, after, BUILTINS), { all: false, files: [], flows: [flowKey('builtin:github-repo-stats', 'github-repo-stats'), flowKey(HELLO, 'hello')] });
});

test('a schedule added, paused or removed redraws its flow only', () => {
  const files = [file(HELLO, [['hello', 3], ['bye', 9]])];
  const none = data(files);
  const added = data(files, [every(HELLO, 'bye', 5, 10_000)]);
  const paused = data(files, [every(HELLO, 'bye', 5, undefined, true)]);
  const bye = { all: false, files: [], flows: [flowKey(HELLO, 'bye')] };
  assert.deepEqual(flowsViewChanges(none, added, BUILTINS), bye);
  assert.deepEqual(flowsViewChanges(added, paused, BUILTINS), bye);
  assert.deepEqual(flowsViewChanges(paused, none, BUILTINS), bye);
});

test("a file whose flows changed has its rows read again (its flows' schedules with them); the others stay", () => {
  const before = data([file(HELLO, [['hello', 3]]), file(REPORT, [['report', 1]])], [every(HELLO, 'hello', 5, 10_000)]);
  const moved = data([file(HELLO, [['hello', 4]]), file(REPORT, [['report', 1]])], [every(HELLO, 'hello', 5, 15_000)]);
  assert.deepEqual(flowsViewChanges(before, moved, BUILTINS), { all: false, files: [HELLO], flows: [] }, 'a flow moved a line: the file, not its flow again');
  const problem = data([file(HELLO, [['hello', 3]], 1), file(REPORT, [['report', 1]])], [every(HELLO, 'hello', 5, 10_000)]);
  assert.deepEqual(flowsViewChanges(before, problem, BUILTINS), { all: false, files: [HELLO], flows: [] }, 'a problem listed below it');
});

test('files coming, going, failing to parse or gaining their first flow redraw the whole view', () => {
  const one = data([file(HELLO, [['hello', 3]])]);
  const two = data([file(HELLO, [['hello', 3]]), file(REPORT, [['report', 1]])]);
  assert.deepEqual(flowsViewChanges(one, two, BUILTINS), { all: true }, 'a file came');
  assert.deepEqual(flowsViewChanges(two, one, BUILTINS), { all: true }, 'a file went');
  const renamed = data([file('/ws/hi.flow.ts', [['hello', 3]])]);
  assert.deepEqual(flowsViewChanges(one, renamed, BUILTINS), { all: true }, 'another file in its place');
  const broken = data([{ ...file(HELLO, []), error: { kind: 'syntax', message: 'Unexpected token', line: 3, column: 7 } }]);
  assert.deepEqual(flowsViewChanges(one, broken, BUILTINS), { all: true }, 'it no longer parses');
  assert.deepEqual(flowsViewChanges(broken, one, BUILTINS), { all: true }, 'it parses again');
  const empty = data([file(HELLO, [])]);
  assert.deepEqual(flowsViewChanges(empty, one, BUILTINS), { all: true }, 'its first flow: its row opens');
  assert.deepEqual(flowsViewChanges(one, empty, BUILTINS), { all: true }, 'its last flow gone: it says it has none');
});

test("a schedule becoming refused (or no longer: a secret's account signed out) redraws its flow's row, paused or not", { timeout: 10_000 }, () => {
  const files = [file(HELLO, [['hello', 3]])];
  const refused = (paused: boolean): ScheduleView => ({ ...every(HELLO, 'hello', 5, undefined, paused), refused: '{"token":"***"}' });
  for (const paused of [false, true]) {
    const redrawn = { all: false, files: [], flows: [flowKey(HELLO, 'hello')] };
    assert.deepEqual(flowsViewChanges(data(files, [every(HELLO, 'hello', 5, paused ? undefined : 10_000, paused)]), data(files, [refused(paused)]), BUILTINS), redrawn);
    assert.deepEqual(flowsViewChanges(data(files, [refused(paused)]), data(files, [every(HELLO, 'hello', 5, paused ? undefined : 10_000, paused)]), BUILTINS), redrawn);
  }
});
