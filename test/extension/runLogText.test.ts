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
