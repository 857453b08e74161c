import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogRecord } from '../../src/engine/records';
import { RunLogText } from '../../src/extension/logs/runLogText';

const DAY1 = new Date(2026, 10, 26, 23, 59, 58, 5).getTime();
const log = (ts: number, message: string, taskRunId?: string): LogRecord => ({ k: 'log', runId: 'r', ts, level: 'INFO', source: taskRunId ? `Task run '${taskRunId}'` : "Flow run 'light-potoo'", message, ...(taskRunId ? { taskRunId } : {}) });

test('the first line names the run and its date; lines follow in Prefect\'s format; a new day gets a line of its own', () => {
  const text = new RunLogText({ runName: 'light-potoo', flowName: 'etl', created: DAY1, status: 'Running' });
  text.append([log(DAY1, 'Beginning flow run'), log(DAY1 + 5000, 'after midnight')]);
  const lines = text.text().split('\n');
  assert.equal(lines[0], "Flow run 'light-potoo' of flow 'etl' · 2026-11-26 (local times) · Running");
  assert.equal(lines[1], "23:59:58.005 | INFO    | Flow run 'light-potoo' - Beginning flow run");
  assert.equal(lines[2], '── 2026-11-27 ──');
  assert.match(lines[3]!, /^00:00:03\.005 \| INFO {4}\| Flow run 'light-potoo' - after midnight$/);
  text.setHead({ runName: 'light-potoo', flowName: 'etl', created: DAY1, status: 'Completed · 5.0 s' });
  assert.match(text.text().split('\n')[0]!, /· Completed · 5\.0 s$/);
});

test("each task run's stretch of lines folds; a multi-line message stays in its task run's fold", () => {
  const t = DAY1 - 60_000;
  const text = new RunLogText({ runName: 'r', flowName: 'f', created: t, status: 'Completed' });
  text.append([log(t, 'start'), log(t + 1, 'a1', 'a'), log(t + 2, 'a2\n  at x.ts:3', 'a'), log(t + 3, 'b1', 'b'), log(t + 4, 'a3', 'a'), log(t + 5, 'a4', 'a'), log(t + 6, 'end')]);
  // Document lines: 0 head, 1 start, 2 a1, 3 a2, 4 at x.ts, 5 b1, 6 a3, 7 a4, 8 end.
  assert.deepEqual(text.foldingRanges(), [
    { start: 2, end: 4 },
    { start: 6, end: 7 },
  ]);
  assert.equal(text.lineCount, 9);
});

test('a huge log keeps its first and last lines, with one line saying how many were left out and where they all are', { timeout: 30_000 }, () => {
  const t = DAY1 - 60_000;
  const limits = { first: 3, last: 4 };
  const text = new RunLogText({ runName: 'loud-lark', flowName: 'f', created: t, status: 'Running' }, limits);
  // 20 records of task run 'a', one line each: 3 kept first, 13 left out, 4 kept last.
  text.append(Array.from({ length: 20 }, (_, i) => log(t + i, `line ${i}`, 'a')));
  const lines = text.text().split('\n');
  assert.equal(lines.at(-1), '', 'the text ends with a newline');
  const body = lines.slice(1, -1).map((l) => l.replace(/^.* - /, ''));
  assert.deepEqual(body.slice(0, 3), ['line 0', 'line 1', 'line 2']);
  assert.equal(lines[4], '… 13 lines left out here: this document keeps the first 3 and the last 4. The run\'s details (Save as .log) and `flowdeck logs loud-lark` have them all.');
  assert.deepEqual(body.slice(4), ['line 16', 'line 17', 'line 18', 'line 19']);
  assert.equal(text.lineCount, lines.length - 1);
  // A task run's lines fold on each side of the gap, never across it.
  assert.deepEqual(text.foldingRanges(), [
    { start: 1, end: 3 },
    { start: 5, end: 8 },
  ]);
  // Going on, the gap grows and the last lines follow, however many go by (what is left out is let go of).
  for (let round = 0; round < 50; round++) text.append(Array.from({ length: 1000 }, (_, i) => log(t + 20 + round * 1000 + i, `more ${round * 1000 + i}`)));
  const after = text.text().split('\n');
  assert.equal(after.length - 1, 1 + 3 + 1 + 4);
  assert.match(after[4]!, /^… 50,013 lines left out here/);
  assert.deepEqual(after.slice(5, -1).map((l) => l.replace(/^.* - /, '')), ['more 49996', 'more 49997', 'more 49998', 'more 49999']);
});

test('a log within the limits is every line, as written', () => {
  const t = DAY1 - 60_000;
  const text = new RunLogText({ runName: 'r', flowName: 'f', created: t, status: 'Completed' }, { first: 5, last: 5 });
  text.append(Array.from({ length: 10 }, (_, i) => log(t + i, `line ${i}`)));
  assert.deepEqual(text.text().split('\n').slice(1, -1).map((l) => l.replace(/^.* - /, '')), Array.from({ length: 10 }, (_, i) => `line ${i}`));
  assert.equal(text.lineCount, 11);
});

test("a log of long lines opens: each line of the document is cut, saying where it is whole, not one text too long to exist", () => {
  // 600 lines of a megabyte (FLOWDECK_MAX_LOG_LINE_KB's default) are within the lines a document keeps, and
  // were joined into one string longer than a string may be: Show Logs failed with 'Invalid string length'.
  const text = new RunLogText({ runName: 'loud-otter', flowName: 'verbose', created: Date.UTC(2026, 0, 1), status: 'Completed' });
  const long = 'x'.repeat(1024 * 1024);
  for (let i = 0; i < 600; i++) text.append([{ k: 'log', runId: 'r', ts: Date.UTC(2026, 0, 1) + i, level: 'INFO', source: 's', message: `${i} ${long}` }]);
  const lines = text.text().split('\n');
  assert.equal(lines.length, 1 + 600 + 1);
  assert.ok(lines.every((l) => l.length < 20_000), 'each line is cut');
  assert.match(lines[1]!, /\| s - 0 x+… 1,038,\d{3} more characters: the run's details \(Save as \.log\) and `flowdeck logs loud-otter` have the line whole$/);
  assert.match(lines[600]!, /\| s - 599 x+…/);
  // A line within the bound is whole.
  text.append([{ k: 'log', runId: 'r', ts: Date.UTC(2026, 0, 1) + 601, level: 'INFO', source: 's', message: 'short' }]);
  assert.match(text.text().split('\n').at(-2)!, /\| s - short$/);
});
