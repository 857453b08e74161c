import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MAX_SCAN_BYTES } from '../../src/engine/scanLimit';
import { DiscoveryClient } from '../../src/extension/flows/discoveryClient';
import { DIST, tempDir } from '../support/engine';

const T = 120_000;

const WORKER = join(DIST, 'discovery-worker.js');

/** Counts event-loop turns of this thread until `work` settles: a blocked thread counts none. */
async function turnsWhile<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const value = await work;
  done = true;
  return { value, turns };
}

describe("the Flows view's discovery client", () => {
  const client = new DiscoveryClient(WORKER);
  after(() => client.dispose());

  it('parses on a worker thread: this thread keeps turning while a large flow file is parsed', { timeout: T }, async () => {
    const dir = tempDir();
    const file = join(dir, 'many.flow.ts');
    const count = 3000;
    const body = Array.from({ length: count }, (_, i) => `export const f${i}: unknown = flow({ name: 'f${i}' }, async () => ${i});`).join('\n');
    writeFileSync(file, `import { flow } from 'flowdeck';\n${body}\n`);
    const { value, turns } = await turnsWhile(client.file(file));
    assert.equal(value.error, undefined);
    assert.equal(value.flows.length, count);
    assert.deepEqual(value.flows.at(-1), { name: `f${count - 1}`, exportName: `f${count - 1}`, line: count + 1, column: 31 });
    console.log(`${count} flows parsed while this thread turned its event loop ${turns} times`);
    assert.ok(turns >= 10, `the event loop turned ${turns} times while parsing`);
  });

  it('lists a 10 MB flow file as too large, with its size and the limit, answering asynchronously', { timeout: T }, async () => {
    const file = join(tempDir(), 'huge.flow.ts');
    writeFileSync(file, `import { flow } from 'flowdeck';\nexport default flow({ name: 'huge' }, async () => 1);\n${'x'.repeat(10 * 1024 * 1024)}\n`);
    let settled = false;
    const pending = client.file(file).finally(() => (settled = true));
    assert.equal(settled, false, 'nothing is read or parsed on the calling thread before the call returns');
    const value = await pending;
    assert.deepEqual(value.flows, []);
    assert.deepEqual(value.error, { kind: 'too-large', message: 'too large to scan for flows: 10.0 MiB, over the 1.0 MiB limit' });
  });

  it("scans an editor's unsaved text, and does not send text over the limit", { timeout: T }, async () => {
    const text = `import { flow } from 'flowdeck';\n\nexport default flow({ name: 'unsaved' }, async () => 1);\n`;
    const found = await client.text('/ws/unsaved.flow.ts', text);
    assert.deepEqual(found.flows.map((f) => [f.name, f.line]), [['unsaved', 3]]);
    const big = await client.text('/ws/big.flow.ts', 'x'.repeat(MAX_SCAN_BYTES + 1));
    assert.equal(big.error?.kind, 'too-large');
  });

  it('lists a named pipe or a link to a device with a flow file name as not a file, reading neither', { skip: process.platform === 'win32', timeout: T }, async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'pipe.flow.ts')]);
    symlinkSync('/dev/zero', join(dir, 'zero.flow.ts'));
    // A read of either would not end (the pipe has no writer; /dev/zero has no end): the timeout would answer instead.
    const quick = new DiscoveryClient(WORKER, 20_000);
    try {
      const pipe = await quick.file(join(dir, 'pipe.flow.ts'));
      assert.deepEqual(pipe.error, { kind: 'not-a-file', message: 'not a file (a named pipe); only regular files, or links to them, are flow files' });
      const zero = await quick.file(join(dir, 'zero.flow.ts'));
      assert.deepEqual(zero.error, { kind: 'not-a-file', message: 'not a file (a character device); only regular files, or links to them, are flow files' });
    } finally {
      quick.dispose();
    }
  });

  it('answers a request the worker never answers with an error after the timeout, and starts a fresh worker for the next', { timeout: T }, async () => {
    const silent = join(tempDir(), 'silent-worker.js');
    // A worker that receives and never replies, as a parser stuck on a pathological file would.
    writeFileSync(silent, `require('node:worker_threads').parentPort.on('message', () => {});\n`);
    const stuck = new DiscoveryClient(silent, 300);
    try {
      const [first, second] = await Promise.all([stuck.file('/ws/a.flow.ts'), stuck.file('/ws/b.flow.ts')]);
      for (const r of [first, second]) assert.deepEqual(r.error, { kind: 'scan-failed', message: 'could not be scanned: scanning took longer than 0 s' });
      const third = await stuck.file('/ws/c.flow.ts');
      assert.equal(third.error?.kind, 'scan-failed');
    } finally {
      stuck.dispose();
    }
  });
});
