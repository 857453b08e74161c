import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants, readFileSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JournalFile } from '../../src/engine/journalFile';
import { ROOT, tempDir } from '../support/engine';

const T = { timeout: 120_000 };

describe('journal file: a batch', T, () => {
  it('holds every entry appended in one turn, byte for byte and in order, whatever characters they hold', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const journal = await JournalFile.open(path, { durable: true });
    const texts = ['noop', 'é', '😀', '\u2028', '漢字', 'a'.repeat(70_000)];
    const entries: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // Each entry a chain of lines, as the host queues a chunk of a worker's output.
      let entry = '';
      for (let j = 0; j < 1 + (i % 3); j++) entry += `${JSON.stringify({ i, j, t: texts[(i + j) % texts.length] })}\n`;
      entries.push(entry);
    }
    // A lone surrogate goes out as UTF-8's replacement character, as Buffer.from writes it.
    entries.push(`${JSON.stringify({ lone: 'x' })}\n`.replace('x', '\ud800'));
    await Promise.all(entries.map((e) => journal.append(e)));
    await journal.close();
    assert.deepEqual(readFileSync(path), Buffer.from(`\n${entries.join('')}`, 'utf8'), 'one batch: a newline, then every entry as given');
  });
});

describe('journal file: text and bytes passed through (the worker\'s own lines)', T, () => {
  it('are written in the order given, byte for byte, in one batch; many pieces as well as few', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const journal = await JournalFile.open(path, { durable: true });
    const expected: Buffer[] = [Buffer.from('\n')];
    const appends: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const read = Buffer.from(`{"read":${i},"t":"é😀"}\n{"read":${i},"n":2}\n`, 'utf8');
      // Text alone, bytes alone, and both in one entry (a run's pending lines), with a piece of a read.
      const text = i % 3 === 0 ? `{"text":${i},"t":"漢字"}\n` : [`{"text":${i}}\n`, read.subarray(0, read.indexOf(0x0a) + 1), `{"after":${i}}\n`];
      appends.push(journal.append(i % 5 === 0 ? [read] : text));
      const pieces = i % 5 === 0 ? [read] : typeof text === 'string' ? [text] : text;
      for (const p of pieces) expected.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
    }
    await Promise.all(appends);
    // A batch of a few pieces (each written from where it is), after the one of many.
    await journal.append(['{"x":1}\n', Buffer.from('{"y":2}\n{"z":3}\n').subarray(8)]);
    expected.push(Buffer.from('\n{"x":1}\n{"z":3}\n'));
    await journal.close();
    assert.deepEqual(readFileSync(path), Buffer.concat(expected));
  });
});

describe('journal file: what must come after all before it (a run\'s final state)', T, () => {
  it('starts a batch of its own, after the lines before it are written and synced; lines after it may join it', async () => {
    const path = join(tempDir(), 'run.jsonl');
    const journal = await JournalFile.open(path, { durable: true });
    const order: string[] = [];
    await journal.append('{"n":1}\n').then(() => order.push('first'));
    const last = journal.append('{"n":2}\n').then(() => order.push('last'));
    const final = journal.appendAfterAll('{"n":3}\n').then(() => order.push('final'));
    const after = journal.append('{"n":4}\n').then(() => order.push('after'));
    await Promise.all([last, final, after]);
    assert.deepEqual(order, ['first', 'last', 'final', 'after'], 'each resolves in the order it came');
    // Every batch starts on a fresh line: the first went alone, the last alone (queued with the final, which
    // must not share its write), the final with what came after it.
    assert.equal(readFileSync(path, 'utf8'), '\n{"n":1}\n\n{"n":2}\n\n{"n":3}\n{"n":4}\n');
    await journal.close();
  });

  it('is never written after a write before it failed (a full disk), even once there is room again; a plain line still is', async (t) => {
    const probe = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && echo ok'], { encoding: 'utf8' });
    if (probe.stdout.trim() !== 'ok') return t.skip(`a private tmpfs cannot be mounted here (unshare -rm: ${probe.stderr.trim() || probe.status})`);
    const dir = tempDir();
    const script = join(dir, 'script.ts');
    // A 128 KB file system with 64 KB taken: a 100 KB line fails (ENOSPC), the final lines queued behind it
    // are refused; the filler goes, and a final after the failure is refused too, while a plain line is written.
    writeFileSync(
      script,
      `import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { JournalFile } from ${JSON.stringify(join(ROOT, 'src/engine/journalFile'))};
(async () => {
  writeFileSync('/mnt/filler', Buffer.alloc(64 * 1024));
  const journal = await JournalFile.open('/mnt/run.jsonl', { durable: true });
  const outcome = (p: Promise<void>) => p.then(() => 'written', (e: Error) => e.message);
  const big = outcome(journal.append('{"big":"' + 'x'.repeat(100_000) + '"}\\n'));
  const queued = outcome(journal.appendAfterAll('{"final":"queued"}\\n'));
  const results = [await big, await queued];
  rmSync('/mnt/filler');
  results.push(await outcome(journal.appendAfterAll('{"final":"later"}\\n')), await outcome(journal.append('{"plain":"later"}\\n')));
  console.log(JSON.stringify({ results, text: readFileSync('/mnt/run.jsonl', 'utf8').replace(/x+/, 'x…') }));
  process.exit(0);
})();`,
    );
    const mount = `mount -t tmpfs -o size=128k tmpfs /mnt && exec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(script)}`;
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', mount], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    const { results, text } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: string[]; text: string };
    const [big, queued, later, plain] = results;
    assert.match(big!, /no space left on the device \(ENOSPC\)/);
    assert.equal(queued, big, 'the final lines queued behind the failed write are refused with its reason');
    assert.equal(later, big, 'and so are final lines appended once there is room again');
    assert.equal(plain, 'written', 'a plain line is written once there is room');
    assert.doesNotMatch(text, /final/);
    assert.match(text, /\{"plain":"later"\}/);
  });
});

describe('journal file: durability', T, () => {
  it('is written synchronously to disk when durable (O_DSYNC: each write returns once on disk), and not when not', async (t) => {
    if (process.platform !== 'linux') return t.skip('reads the open flags from /proc/self/fdinfo');
    // How the kernel shows an open file's flags: octal, O_DSYNC is 010000 on Linux.
    const flagsOf = (path: string): number => {
      const fd = readdirSync('/proc/self/fd').find((n) => {
        try {
          return readlinkSync(`/proc/self/fd/${n}`) === path;
        } catch {
          return false;
        }
      });
      assert.ok(fd !== undefined, `${path} is open`);
      return Number.parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    };
    const dir = realpathSync(tempDir());
    const durable = await JournalFile.open(join(dir, 'durable.jsonl'), { durable: true });
    const loose = await JournalFile.open(join(dir, 'loose.jsonl'), { durable: false });
    assert.equal(flagsOf(join(dir, 'durable.jsonl')) & constants.O_DSYNC, constants.O_DSYNC);
    assert.equal(flagsOf(join(dir, 'loose.jsonl')) & constants.O_DSYNC, 0);
    await durable.append('{"n":1}\n');
    await loose.append('{"n":1}\n');
    await durable.close();
    await loose.close();
    assert.equal(readFileSync(join(dir, 'durable.jsonl'), 'utf8'), '\n{"n":1}\n');
  });
});
