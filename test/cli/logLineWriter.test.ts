/**
 * Log lines for the terminal go out together — one write for the lines of one turn of the event loop —
 * and in order: a flush before anything else is written, and no line held past a flush.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { LogLineWriter } from '../../src/cli/logLineWriter';

function recording(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, writes };
}

describe('LogLineWriter', { timeout: 10_000 }, () => {
  it('writes the lines of one turn in one write, after it', async () => {
    const { stream, writes } = recording();
    const lines = new LogLineWriter(stream);
    for (let i = 0; i < 1000; i++) lines.line(`line ${i}`);
    assert.deepEqual(writes, [], 'nothing yet, within the turn');
    await turn();
    assert.equal(writes.length, 1);
    assert.equal(writes[0], Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join(''));
    lines.line('next');
    await turn();
    assert.deepEqual(writes.slice(1), ['next\n']);
  });

  it('writes what is pending on flush, so what the caller writes next comes after it', async () => {
    const { stream, writes } = recording();
    const lines = new LogLineWriter(stream);
    lines.line('a');
    lines.line('b');
    lines.flush();
    stream.write('flowdeck: something else\n');
    lines.line('c');
    await turn();
    assert.deepEqual(writes, ['a\nb\n', 'flowdeck: something else\n', 'c\n']);
  });

  it('writes at once past a megabyte held', () => {
    const { stream, writes } = recording();
    const lines = new LogLineWriter(stream);
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 1100; i++) lines.line(long);
    assert.equal(writes.length, 1, 'written within the turn, once past the bound');
    assert.ok(writes[0]!.length >= 1 << 20);
    lines.flush();
    assert.equal(writes.join('').length, 1100 * 1001);
  });
});
