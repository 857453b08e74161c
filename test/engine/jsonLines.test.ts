import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanJsonLines } from '../../src/engine/jsonLines';
import { isLogLine, isOtherThanLogLine, isTaskLine } from '../../src/engine/records';
import { tempDir } from '../support/engine';

const T = { timeout: 60_000 };

async function scan(text: string, options: { maxLineBytes: number; chunkBytes: number; passOver?: (bytes: Buffer, from: number, to: number) => boolean }) {
  const path = join(tempDir(), 'lines.jsonl');
  writeFileSync(path, text);
  const records: unknown[] = [];
  const result = await scanJsonLines(path, 0, (v) => v, (batch) => void records.push(...batch), options);
  return { records, result, bytes: Buffer.byteLength(text) };
}

describe('reading JSON lines in chunks', T, () => {
  it("passes over a run's task runs, results and artifacts for a reader of its logs and its own state", async () => {
    const lines = ['{"k":"run","n":1}', '{"k":"task","n":2}', '{"k":"trun","n":3}', '{"k":"tstate","n":4}', '{"k":"result","n":5}', '{"k":"artifact","n":6}', '{"k":"state","n":7}', '{"k":"log","n":8}', '{"k":"tasks","n":9}', '{"n":10,"k":"trun"}'];
    const { records, result } = await scan(`${lines.join('\n')}\n`, { maxLineBytes: 1000, chunkBytes: 16, passOver: isTaskLine });
    assert.deepEqual(records, [{ k: 'run', n: 1 }, { k: 'state', n: 7 }, { k: 'log', n: 8 }, { k: 'tasks', n: 9 }, { n: 10, k: 'trun' }]);
    assert.equal(result.skipped, 0);
  });

  it('passes over, unparsed and uncounted, the lines it is told to: log lines for a read of a run state, the others for a read of its logs', async () => {
    const lines = ['{"k":"run","n":1}', '{"k":"log","m":"a"}', '{"k":"log","m":', '{"k":"logs","n":2}', '{"k":"log",', '{"k":"state","n":3}', ` {"k":"log","m":"b"}`, '{"m":"c","k":"log"}', '{"k":"lo'];
    for (const chunkBytes of [5, 64, 1 << 16]) {
      const state = await scan(`${lines.join('\n')}\n`, { maxLineBytes: 1000, chunkBytes, passOver: isLogLine });
      // A torn log line is passed over too; a line that begins otherwise is read as ever.
      assert.deepEqual(state.records, [{ k: 'run', n: 1 }, { k: 'logs', n: 2 }, { k: 'state', n: 3 }, { k: 'log', m: 'b' }, { m: 'c', k: 'log' }], `chunks of ${chunkBytes}`);
      assert.equal(state.result.skipped, 1, 'the torn line of no kind it can tell');
      const logs = await scan(`${lines.join('\n')}\n`, { maxLineBytes: 1000, chunkBytes, passOver: isOtherThanLogLine });
      // Every line that may be a log's is read: those of its kind, and those written otherwise.
      assert.deepEqual(logs.records, [{ k: 'log', m: 'a' }, { k: 'log', m: 'b' }, { m: 'c', k: 'log' }], `chunks of ${chunkBytes}`);
      assert.equal(logs.result.skipped, 2, "the torn log lines (a torn line cut inside its kind is passed over: it cannot be read either way)");
    }
  });

  it('reads lines that span many chunks whole, skips and counts one over the limit, and keeps reading after it', async () => {
    const long = { s: 'é'.repeat(400) };
    const tooLong = { s: 'x'.repeat(5000) };
    const text = `${JSON.stringify({ n: 1 })}\n${JSON.stringify(long)}\n${JSON.stringify(tooLong)}\n${JSON.stringify({ n: 2 })}\nnot json\n{"torn":`;
    for (const chunkBytes of [7, 64, 1000, 1 << 16]) {
      const { records, result, bytes } = await scan(text, { maxLineBytes: 1000, chunkBytes });
      assert.deepEqual(records, [{ n: 1 }, long, { n: 2 }], `chunks of ${chunkBytes}`);
      assert.equal(result.tooLarge, 1);
      assert.equal(result.tooLargeBytes, JSON.stringify(tooLong).length, `its size, chunks of ${chunkBytes}`);
      assert.equal(result.skipped, 2);
      assert.equal(result.tail, '{"torn":'.length);
      assert.equal(result.end, bytes - result.tail);
    }
  });

  it('reads a line over the limit without joining it: a 16 MB line in 1 KB chunks', async () => {
    const text = `{"a":1}\n{"b":"${'y'.repeat(16 * 1024 * 1024)}"}\n{"c":3}\n`;
    const { records, result, bytes } = await scan(text, { maxLineBytes: 1024 * 1024, chunkBytes: 1024 });
    assert.deepEqual(records, [{ a: 1 }, { c: 3 }]);
    assert.equal(result.tooLarge, 1);
    assert.equal(result.tooLargeBytes, 16 * 1024 * 1024 + '{"b":""}'.length);
    assert.equal(result.end, bytes);
    assert.equal(result.tail, 0);
  });

  it('counts the bytes of a line over the limit torn at the end of the file, as far as it goes', async () => {
    for (const chunkBytes of [7, 64, 1 << 16]) {
      const { result } = await scan(`{"a":1}\n{"b":"${'y'.repeat(3000)}`, { maxLineBytes: 1000, chunkBytes });
      assert.equal(result.tooLarge, 1, `chunks of ${chunkBytes}`);
      assert.equal(result.tooLargeBytes, 3006, `chunks of ${chunkBytes}`);
    }
  });

  it('reads a long line under the limit in many small chunks (joined once, not at every read)', async () => {
    const value = 'z'.repeat(8 * 1024 * 1024);
    const { records, result } = await scan(`{"v":"${value}"}\n`, { maxLineBytes: 64 * 1024 * 1024, chunkBytes: 4096 });
    assert.equal((records[0] as { v: string }).v.length, value.length);
    assert.equal(result.skipped, 0);
  });
});
