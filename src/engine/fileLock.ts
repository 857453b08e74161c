/**
 * A cross-process lock for small read-modify-write updates (the CLI's credentials file): an O_EXCL lock
 * file naming its owner. A lock whose owner is dead is taken over safely: only a process holding the
 * takeover lock (a second O_EXCL file) may remove the main lock, and it checks right before removing it
 * that the lock still names the same dead owner — a live process's lock is never removed. Used only off
 * the extension host thread (the editor keeps credentials in SecretStorage).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcess, isAlive } from './processIdentity';
import { readTextFile } from './readTextFile';
import type { ProcessIdentity } from './records';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** A takeover lock left by a process that died in the middle of a takeover is cleared after this long. */
const STALE_TAKEOVER_MS = 10_000;

interface LockContent {
  owner: ProcessIdentity;
  nonce: string;
}

function tryCreate(path: string): string | undefined {
  const content = JSON.stringify({ owner: currentProcess(), nonce: randomBytes(8).toString('hex') } satisfies LockContent);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return content;
}

function ownerOf(content: string | undefined): ProcessIdentity | undefined {
  try {
    return content ? (JSON.parse(content) as LockContent).owner : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `path` only if it still holds `content` (ours, or the dead owner's we judged). */
function removeIf(path: string, content: string): void {
  if (readTextFile(path) === content) unlinkSync(path);
}

/** Takes over a lock whose owner is dead, if it still is that owner's. */
function takeOverDead(lockPath: string, judged: string): void {
  const takeover = `${lockPath}.takeover`;
  const mine = tryCreate(takeover);
  if (!mine) {
    const other = readTextFile(takeover);
    const owner = ownerOf(other);
    let age = 0;
    try {
      age = Date.now() - statSync(takeover).mtimeMs;
    } catch {
      return;
    }
    if (other && (!owner || !isAlive(owner)) && age > STALE_TAKEOVER_MS) removeIf(takeover, other);
    return;
  }
  try {
    if (readTextFile(lockPath) === judged) unlinkSync(lockPath);
  } finally {
    removeIf(takeover, mine);
  }
}

/** Flowdeck 0.1.0 locked with a directory; one left behind by a crash is removed once its owner is dead. */
function isLegacyLockDir(lockPath: string): boolean {
  try {
    if (!statSync(lockPath).isDirectory()) return false;
  } catch {
    return false;
  }
  const owner = ownerOf(JSON.stringify({ owner: JSON.parse(readTextFile(join(lockPath, 'owner.json')) ?? 'null') as unknown }));
  if (!owner || !isAlive(owner)) rmSync(lockPath, { recursive: true, force: true });
  return true;
}

export function withLock<T>(lockPath: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  let mine: string | undefined;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    mine = tryCreate(lockPath);
    if (mine) break;
    if (isLegacyLockDir(lockPath)) continue;
    const content = readTextFile(lockPath);
    const owner = ownerOf(content);
    if (content !== undefined && owner && !isAlive(owner)) {
      takeOverDead(lockPath, content);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for the lock ${lockPath}${owner ? ` held by process ${owner.pid}` : ''}; if no Flowdeck process is running, delete that file`);
    }
    Atomics.wait(sleeper, 0, 0, wait);
  }
  try {
    return fn();
  } finally {
    removeIf(lockPath, mine);
  }
}
