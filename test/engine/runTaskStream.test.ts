/**
 * A run read in parts hands a map's one-line task runs on as it reads them, not a window of records later:
 * a task run final at its creation that no later record is about cannot change. One a record is about long
 * after is folded apart (late); one records were about soon after its creation waits (and those after it, to
 * keep the order); either comes out as the whole journal folds it.
 * (runPartsContract.ts checks the folded task runs against `readRun` for every backend and window.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRunSummary, RunRecord, TaskRunRecord } from '../../src/engine/records';
import { JournalReplay } from '../../src/engine/runReducer';
import { readRunParts, type JournalReader } from '../../src/engine/runTaskStream';
import { state } from '../../src/engine/states';

const RUN = 'run-1';
const summary: FlowRunSummary = {
  id: RUN,
  name: 'quick-map',
  flowName: 'map',
  source: '/map.flow.ts',
  state: state('Completed', undefined, 9_000),
  created: 1_000,
  owner: { pid: 1, hostname: 'test' },
  attempt: 1,
  seq: 2,
};

/** A map of `n` one-line task runs; `after` adds records once they are all written. */
function journal(n: number, after: RunRecord[] = []): RunRecord[] {
  const records: RunRecord[] = [
    { k: 'run', runId: RUN, name: summary.name, flowName: summary.flowName, source: summary.source, parameters: {}, created: 1_000, owner: summary.owner },
    { k: 'state', runId: RUN, name: 'Running', ts: 1_001, attempt: 1 },
  ];
  for (let i = 0; i < n; i++) records.push({ k: 'trun', runId: RUN, id: `t${i}`, name: `noop-${i}`, taskName: 'noop', ts: 2_000 + i, start: 2_000 + i, end: 2_001 + i, state: 'Completed' });
  return [...records, ...after, { k: 'state', runId: RUN, name: 'Completed', ts: 9_000 }];
}

/**
 * Reads `records` in batches of 10, as a store hands a journal on, and notes before each batch of the last
 * read (the one that hands task runs on; a run with late task runs is read three times) how many were
 * handed on.
 */
async function readInBatches(records: RunRecord[]): Promise<{ taskRuns: TaskRunRecord[]; handedBeforeBatch: number[] }> {
  let reads = 0;
  const taskRuns: TaskRunRecord[] = [];
  const handedBeforeBatch: number[] = [];
  const read: JournalReader = async (onRecords) => {
    reads++;
    // Each read but the first may be the last: what an earlier one noted goes.
    handedBeforeBatch.length = 0;
    for (let i = 0; i < records.length; i += 10) {
      if (reads >= 2) handedBeforeBatch.push(taskRuns.length);
      await onRecords(records.slice(i, i + 10));
    }
    return { skipped: 0 };
  };
  const parts = await readRunParts(summary, read);
  await parts.readTaskRuns((batch) => void taskRuns.push(...batch));
  return { taskRuns, handedBeforeBatch };
}

function folded(records: RunRecord[]): TaskRunRecord[] {
  const replay = new JournalReplay(summary);
  for (const r of records) replay.add(r);
  return replay.detail().taskRuns;
}

/** Reads the journal in parts: its task runs as the whole journal folds them, in order, t5 ending `t5State`. */
async function readAsFolded(records: RunRecord[], t5State: string): Promise<number[]> {
  const { taskRuns, handedBeforeBatch } = await readInBatches(records);
  assert.deepEqual(taskRuns, folded(records));
  assert.equal(taskRuns[5]!.state.name, t5State);
  assert.deepEqual(
    taskRuns.map((t) => t.id),
    Array.from({ length: taskRuns.length }, (_, i) => `t${i}`),
  );
  return handedBeforeBatch;
}

test("a map's one-line task runs are handed on as they are read", { timeout: 30_000 }, async () => {
  const records = journal(100);
  const { taskRuns, handedBeforeBatch } = await readInBatches(records);
  assert.deepEqual(taskRuns, folded(records));
  // Before the last batch is read, all but the task runs of the batch before it have been handed on
  // (the window, 16,384 records by default, would hold every one of them to the end).
  const beforeLast = handedBeforeBatch.at(-1)!;
  assert.ok(beforeLast >= 90, `task runs handed on before the last batch: ${beforeLast} (${handedBeforeBatch.join(', ')})`);
});

test('a one-line task run a record is about long after is folded apart, and holds none of the others back', { timeout: 30_000 }, async () => {
  const records = journal(100, [{ k: 'tstate', runId: RUN, id: 't5', name: 'Crashed', ts: 8_000, message: 'after the end' }]);
  const handedBeforeBatch = await readAsFolded(records, 'Crashed');
  // Late (a record about it came after it left the first read's fold), so folded apart before the hand-on
  // read, and handed on in its place as that fold has it, with the others as they are read.
  assert.ok(handedBeforeBatch.at(-1)! >= 90, `task runs handed on before the last batch: ${handedBeforeBatch.join(', ')}`);
});

test('a task run records were about after its creation waits, with those after it, and comes out as the journal ends it', { timeout: 30_000 }, async () => {
  const records = journal(100);
  // t5 written the long way: created, then running, then completed — each record after the first is about it.
  const at = records.findIndex((r) => r.k === 'trun' && r.id === 't5');
  records.splice(
    at,
    1,
    { k: 'task', runId: RUN, id: 't5', name: 'noop-5', taskName: 'noop', ts: 2_005 },
    { k: 'tstate', runId: RUN, id: 't5', name: 'Running', ts: 2_005, attempt: 1 },
    { k: 'tstate', runId: RUN, id: 't5', name: 'Completed', ts: 2_006 },
  );
  const handedBeforeBatch = await readAsFolded(records, 'Completed');
  // t0–t4 went out as they were read; t5 waited out its window (here, the journal's end), and the rest behind it.
  assert.equal(handedBeforeBatch.at(-1), 5);
});
