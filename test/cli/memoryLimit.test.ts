/**
 * A task that asks for more memory than the process may have (`ulimit -v`): V8 throws RangeError "Array
 * buffer allocation failed", which names no memory, and the run ended Failed saying only that. It says
 * the process ran out of memory and what to do, as a worker whose heap fills up does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allocationFailure } from '../../src/engine/outOfMemory';
import { DIST, flowSource, tempDir, workspace } from '../support/engine';

describe('a buffer the system refuses memory for', () => {
  it('fails its task run and run saying the process ran out of memory (a real `ulimit -v`)', { timeout: 120_000 }, () => {
    const ws = workspace({
      'grow.flow.ts': flowSource(`const hold = task({ name: 'hold' }, async () => {
  const held: Buffer[] = [];
  for (let i = 0; i < 64; i++) held.push(Buffer.alloc(256 * 1024 * 1024));
  return held.length;
});
export default flow({ name: 'grow' }, async () => hold());`),
    });
    // ~2.9 GB of address space: Node and the flow's compile fit, 64 buffers of 256 MiB (16 GiB) cannot.
    const r = spawnSync('bash', ['-c', 'ulimit -v 3000000 && exec "$0" "$1" run grow.flow.ts --json', process.execPath, join(DIST, 'cli.js')], {
      cwd: ws,
      env: { ...process.env, FLOWDECK_HOME: tempDir() },
      encoding: 'utf8',
      timeout: 90_000,
      killSignal: 'SIGKILL',
    });
    assert.equal(r.status, 1, r.stderr.slice(-3000));
    const doc = JSON.parse(r.stdout) as { state: { type: string; message: string; failure: { message: string } }; taskRuns: { state: { message: string } }[] };
    assert.equal(doc.state.type, 'FAILED');
    for (const message of [doc.state.message, doc.taskRuns[0]!.state.message, doc.state.failure.message]) {
      assert.match(message, /Array buffer allocation failed/);
      assert.match(message, /ran out of memory/);
      assert.match(message, /ulimit -v/);
    }
  });

  it("V8's own RangeError is told from another RangeError, and another error, by what it is", () => {
    let refused: unknown;
    try {
      // More than any machine gives one buffer: refused at once, nothing allocated.
      new ArrayBuffer(2 ** 46);
    } catch (e) {
      refused = e;
    }
    assert.ok(refused instanceof RangeError, 'V8 refused the buffer');
    assert.match(allocationFailure(refused) ?? '', /ran out of memory/);
    assert.equal(allocationFailure(new RangeError('Invalid array length')), undefined);
    assert.equal(allocationFailure(new Error('Array buffer allocation failed')), undefined);
    assert.equal(allocationFailure('Array buffer allocation failed'), undefined);
  });
});
