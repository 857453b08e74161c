/**
 * A cross-process lock made of a directory (mkdir is atomic). A lock whose owner died is taken over.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcess, isAlive } from './processIdentity';
import type { ProcessIdentity } from './records';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function withLock<T>(lockDir: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (ownerIsGone(lockDir)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the store lock ${lockDir}; if no Flowdeck process is running, delete that folder`);
      Atomics.wait(sleeper, 0, 0, wait);
    }
  }
  try {
    writeFileSync(join(lockDir, 'owner.json'), JSON.stringify(currentProcess()));
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function ownerIsGone(lockDir: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(lockDir, 'owner.json'), 'utf8')) as ProcessIdentity;
    return !isAlive(owner);
  } catch {
    // No owner file: being created right now, or left by a crash between mkdir and write.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 5_000;
    } catch {
      return true;
    }
  }
}
