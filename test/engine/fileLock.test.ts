import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withLock } from '../../src/engine/fileLock';
import { currentProcess } from '../../src/engine/processIdentity';
import { ROOT, tempDir, waitFor } from '../support/engine';

const LOCK = join(ROOT, 'src/engine/fileLock.ts');

describe('the cross-process file lock', { timeout: 120_000 }, () => {
  it('serializes read-modify-write updates from 8 processes: no update lost', async () => {
    const dir = tempDir();
    const file = join(dir, 'counter.json');
    writeFileSync(file, JSON.stringify({ n: 0, by: [] }));
    const script = `const { withLock } = require(${JSON.stringify(LOCK)});
const fs = require('fs');
for (let i = 0; i < 25; i++) withLock(${JSON.stringify(`${file}.lock`)}, () => {
  const v = JSON.parse(fs.readFileSync(${JSON.stringify(file)}, 'utf8'));
  v.n++; v.by.push(process.pid);
  fs.writeFileSync(${JSON.stringify(file)}, JSON.stringify(v));
}, 60000);`;
    const procs = Array.from({ length: 8 }, () => spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }));
    const codes = await Promise.all(procs.map((p) => new Promise<number | null>((r) => p.on('exit', r))));
    assert.deepEqual(codes, Array(8).fill(0));
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { n: number }).n, 200);
  });

  it("takes over a lock whose owner is dead, and never a live owner's", async () => {
    const dir = tempDir();
    const lock = join(dir, 'x.lock');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(lock, JSON.stringify({ owner: { ...currentProcess(), pid: dead, startTicks: 1 }, nonce: 'n' }));
    assert.equal(withLock(lock, () => 'taken over', 5000), 'taken over');

    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `require(${JSON.stringify(LOCK)}).withLock(${JSON.stringify(lock)}, () => { require('fs').writeFileSync(${JSON.stringify(`${lock}.held`)}, ''); const t = Date.now(); while (Date.now() - t < 4000) {} })`], { cwd: ROOT, stdio: 'ignore' });
    await waitFor(() => { try { readFileSync(`${lock}.held`); return true; } catch { return false; } }, 'the other process to hold the lock');
    assert.throws(() => withLock(lock, () => 'stolen', 500), /Timed out waiting for the lock/);
    await new Promise((r) => holder.on('exit', r));
    assert.equal(withLock(lock, () => 'after release', 5000), 'after release');
  });
});
