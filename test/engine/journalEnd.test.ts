import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JOURNAL_END_BYTES, finalStateInJournal, journalTail } from '../../src/engine/journalEnd';
import { tempDir } from '../support/engine';

const T = { timeout: 60_000 };
const ID = '11111111-2222-4333-8444-555555555555';

const line = (r: unknown): string => `${JSON.stringify(r)}\n`;
const created = line({ k: 'run', runId: ID, name: 'n', flowName: 'f', source: '/f.ts', parameters: {}, created: 1, owner: { pid: 1, hostname: 'h' } });
const st = (name: string, ts: number, extra: Record<string, unknown> = {}): string => line({ k: 'state', runId: ID, name, ts, ...extra });
/** A log line of `bytes` bytes or a little more. */
const logLine = (ts: number, bytes: number): string => line({ k: 'log', runId: ID, ts, level: 'INFO', source: 's', message: 'x'.repeat(bytes) });

function journal(text: string): string {
  const path = join(tempDir(), `${ID}.jsonl`);
  writeFileSync(path, text);
  return path;
}

describe("how a run's journal ends (journalEnd.ts)", T, () => {
  it("gives its host's last sign of life: the file's last change, or a later time its last records hold", async () => {
    const path = journal(created + st('Running', 2_000) + logLine(3_000, 10));
    utimesSync(path, 5, 5);
    assert.deepEqual(await journalTail(path, ID), { lastSign: 5_000 });
    // A file time a tick behind the clock: the records' later time counts.
    utimesSync(path, 2, 2);
    assert.deepEqual(await journalTail(path, ID), { lastSign: 3_000 });
    const ended = journal(created + st('Completed', 4_000));
    utimesSync(ended, 9, 9);
    const tail = await journalTail(ended, ID);
    assert.deepEqual([tail.end?.state.name, tail.lastSign], ['Completed', 9_000]);
    assert.deepEqual(await journalTail(join(tempDir(), 'missing.jsonl'), ID), {});
  });

  it('finds the final state at the end of a journal far longer than what it reads, with what the exit handlers logged after it', async () => {
    let text = created + st('Running', 2);
    while (text.length < 3 * JOURNAL_END_BYTES) text += logLine(3, 5000);
    text += st('Failed', 4, { message: 'boom' }) + logLine(4, 100) + logLine(5, 100);
    const end = await finalStateInJournal(journal(text), ID);
    assert.equal(end?.state.name, 'Failed');
    assert.equal(end?.state.message, 'boom');
    assert.equal(end?.endTime, 4);
  });

  it('takes a final state only as the reducer does: a new attempt after it leaves the run unfinished, a stray state after it changes nothing', async () => {
    assert.equal(await finalStateInJournal(journal(created + st('Running', 2) + st('Completed', 3) + st('AwaitingRetry', 4, { attempt: 2 })), ID), undefined);
    assert.equal((await finalStateInJournal(journal(created + st('Completed', 3) + st('Running', 4)), ID))?.state.name, 'Completed');
    assert.equal(await finalStateInJournal(journal(created + st('Running', 2) + logLine(3, 10)), ID), undefined);
    assert.equal(await finalStateInJournal(join(tempDir(), 'missing.jsonl'), ID), undefined);
  });

  it("never takes the cut end of a line for a record, even one whose value holds a final state's very text", async () => {
    // The read starts mid-line, right where a result's value, shaped like a Completed state, begins.
    const state = JSON.stringify({ k: 'state', runId: ID, name: 'Completed', ts: 9 });
    const result = line({ k: 'result', runId: ID, value: JSON.parse(state) });
    const filler = logLine(2, 100);
    let after = '';
    let left = JOURNAL_END_BYTES - (result.length - result.indexOf(state));
    const overhead = logLine(10, 0).length;
    while (left > 0) {
      const l = logLine(10, Math.min(1000, left - overhead));
      after += l;
      left -= l.length;
    }
    assert.equal(left, 0);
    const text = created + st('Running', 2) + filler.repeat(Math.ceil(JOURNAL_END_BYTES / filler.length)) + result + after;
    assert.equal(text.slice(text.length - JOURNAL_END_BYTES).startsWith(state), true);
    assert.equal(await finalStateInJournal(journal(text), ID), undefined);
  });
});
