/** Who owns a run (processIdentity.ts): a process that ended is gone, also while its PID still answers. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { currentProcess, isAlive } from '../../src/engine/processIdentity';
import { waitFor } from '../support/engine';

const LINUX = process.platform === 'linux' ? {} : { skip: 'reads /proc (Linux)' };

function stateOf(pid: number): { state: string; startTicks: number } | undefined {
  try {
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { state: rest[0]!, startTicks: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

describe('process identity', { timeout: 60_000 }, () => {
  it('this process and a live child are alive; an exited one, or its PID with another start time, is not', () => {
    assert.equal(isAlive(currentProcess()), true);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    assert.equal(isAlive({ ...currentProcess(), pid: dead, startTicks: 1 }), false);
  });

  it('a zombie — killed, its exit not yet collected by its parent — is gone, though its PID still answers', LINUX, async () => {
    // sh starts a child that ends at once, then becomes `sleep`, which never collects it: a zombie while it sleeps.
    const parent = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e 0 & echo $!; exec sleep 30`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = await new Promise<number>((res, rej) => {
        parent.stdout!.setEncoding('utf8').once('data', (c: string) => res(Number(c.trim())));
        parent.once('exit', () => rej(new Error('sh ended first')));
      });
      await waitFor(() => stateOf(pid)?.state === 'Z', `process ${pid} to be a zombie`, 20_000);
      process.kill(pid, 0); // Its PID still answers a signal 0.
      const owner = { ...currentProcess(), pid, startTicks: stateOf(pid)!.startTicks };
      assert.equal(isAlive(owner), false);
      // The same check of a live process (the sleeping parent) says alive.
      assert.equal(isAlive({ ...currentProcess(), pid: parent.pid!, startTicks: stateOf(parent.pid!)!.startTicks }), true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
