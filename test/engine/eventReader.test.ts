import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { readEvents } from '../../src/engine/eventReader';
import { PendingLines } from '../../src/engine/pendingLines';
import { flowSource, makeRunner, tempDir, valueOf, workspace } from '../support/engine';

const T = { timeout: 120_000 };

/** Feeds `chunks` to readEvents one read at a time; what it gave, in order. `R` lines are taken raw. */
async function readAll(chunks: Buffer[]): Promise<{ given: string[]; reads: number }> {
  const stream = new PassThrough();
  const given: string[] = [];
  let reads = 0;
  const done = readEvents(stream, {
    raw: (chunk, start, end) => {
      if (chunk[start] !== 0x52) return false;
      given.push(`raw:${chunk.toString('utf8', start, end)}`);
      return true;
    },
    line: (line) => given.push(`line:${line}`),
    read: () => reads++,
  });
  for (const c of chunks) {
    stream.write(c);
    await new Promise((r) => setImmediate(r));
  }
  stream.end();
  await done;
  return { given, reads };
}

describe('event reader: the worker pipe read as bytes', T, () => {
  it('gives lines in the order written, raw lines as their bytes with the newline, others decoded; lines and characters cut across reads come whole', async () => {
    const text = 'Rfirst\nplain é\n\nR😀 spans\nlog 漢字 😀\nRlast\ntorn';
    const bytes = Buffer.from(text, 'utf8');
    const emoji = bytes.indexOf(Buffer.from('😀', 'utf8'), bytes.indexOf('log'));
    // Cut inside both emoji (raw and decoded line), inside a raw line, and at a newline.
    const cuts = [3, bytes.indexOf(Buffer.from('😀', 'utf8')) + 2, emoji + 1, emoji + 3, bytes.indexOf('Rlast') + 2];
    const chunks: Buffer[] = [];
    let from = 0;
    for (const c of cuts) {
      chunks.push(bytes.subarray(from, c));
      from = c;
    }
    chunks.push(bytes.subarray(from));
    const { given, reads } = await readAll(chunks);
    assert.deepEqual(given, ['raw:Rfirst\n', 'line:plain é', 'raw:R😀 spans\n', 'line:log 漢字 😀', 'raw:Rlast\n', 'line:torn']);
    assert.equal(reads, chunks.length + 1, 'told after every read, and after the torn last line');
  });

  it('drops a line over the limit and goes on with the next', async () => {
    const { MAX_EVENT_LINE } = await import('../../src/engine/eventReader');
    const piece = Buffer.alloc(16 * 1024 * 1024, 0x61);
    const chunks = [Buffer.from('Rbefore\nxx')];
    for (let n = 0; n <= MAX_EVENT_LINE / piece.length; n++) chunks.push(piece);
    chunks.push(Buffer.from('yy\nRafter\n'));
    const { given } = await readAll(chunks);
    assert.deepEqual(given, ['raw:Rbefore\n', 'raw:Rafter\n']);
  });
});

describe('pending lines of a run', T, () => {
  it('keeps text and passed-through bytes in the order they came; neighbouring bytes of one read are one piece', () => {
    const read = Buffer.from('A\nB\nC\nD\n');
    const p = new PendingLines();
    assert.equal(p.isEmpty, true);
    p.add('t1\n');
    p.addBytes(read, 0, 2);
    p.addBytes(read, 2, 4);
    p.add('t2\n');
    p.addBytes(read, 6, 8);
    const taken = p.take();
    assert.ok(Array.isArray(taken));
    assert.deepEqual(
      taken.map((x) => (typeof x === 'string' ? `s:${x}` : `b:${x.toString()}`)),
      ['s:t1\n', 'b:A\nB\n', 's:t2\n', 'b:D\n'],
    );
    assert.equal(p.isEmpty, true);
    p.add('only text\n');
    assert.equal(p.take(), 'only text\n', 'plain text when no bytes came');
  });
});

describe('a map whose lines the host keeps as they came (no task runs folded: the CLI)', T, () => {
  it('journals every task run and every line around them in order, masked, and a task line longer than a read whole', async () => {
    const secret = 'pass-through-secret-4711';
    const ws = workspace({
      'm.flow.ts': flowSource(`
const step = task({ name: 'step' }, async (i: number) => {
  if (i % 250 === 0) getRunLogger().info('step ' + i + ' says ${secret}');
  return i === 1234 ? 'x'.repeat(200_000) + '${secret}' : i;
});
export default flow({ name: 'm' }, async () => {
  getRunContext().registerSecret('${secret}');
  getRunLogger().info('before the map');
  const out = await step.map(Array.from({ length: 3000 }, (_, i) => i));
  getRunLogger().info('after the map');
  return out.length;
});`),
    });
    const home = tempDir();
    const { runner, store } = await makeRunner(home, { foldTasks: false });
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'm.flow.ts') }, cwd: ws })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(valueOf(detail), 3000);
    const journal = readFileSync(join(home, 'runs', `${detail.id}.jsonl`), 'utf8');
    assert.ok(!journal.includes(secret), 'the secret is masked in every line');
    const records = journal
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { k: string; id?: string; taskRunId?: string; name?: string; message?: string; value?: unknown });
    const seen = new Set<string>();
    const ended = new Set<string>();
    for (const r of records) {
      if (r.k === 'trun' || r.k === 'task') seen.add(r.id!);
      if (r.k === 'trun' || (r.k === 'tstate' && r.name === 'Completed')) ended.add(r.id!);
      if (r.k === 'log' && r.taskRunId !== undefined) {
        assert.ok(seen.has(r.taskRunId), 'a task run is created before its log line');
        assert.ok(!ended.has(r.taskRunId), 'a task run logs before it ends');
      }
    }
    assert.equal(ended.size, 3000);
    // In the order they were sent: a task run starts (and logs) before the next one starts, let alone ends.
    const at = (test: (r: (typeof records)[number]) => boolean): number => records.findIndex(test);
    const taskLines = records.flatMap((r, i) => (r.k === 'trun' || r.k === 'task' ? [i] : []));
    assert.ok(at((r) => r.message === 'before the map') < taskLines[0]!);
    assert.ok(at((r) => r.message === 'after the map') > taskLines[taskLines.length - 1]!);
    for (let n = 0; n < 3000; n += 250) {
      const next = at((r) => (r.k === 'trun' || r.k === 'task') && r.name === `step-${n + 1}`);
      assert.ok(at((r) => r.message === `step ${n} says ***`) < next, `step ${n} logs before step-${n + 1} is journaled`);
    }
    assert.equal(records.filter((r) => r.k === 'log' && r.message?.endsWith('says ***')).length, 12);
    // One line as a quick task run ends (`trun`), or its `result` when it went out before it ended (a task
    // that turned slow meanwhile on a loaded machine lets those held back before it go out first).
    const big = records.find((r) => (r.k === 'trun' || r.k === 'result') && JSON.stringify(r.value ?? '').length > 200_000);
    assert.ok(big, 'the long task line is whole');
    assert.ok(JSON.stringify(big.value).includes('***'));
    const stored = await store.readRun(detail.id);
    assert.equal(stored?.taskRuns.filter((t) => t.state.name === 'Completed').length, 3000);
  });
});
