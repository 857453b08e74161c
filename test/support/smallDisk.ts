/**
 * A real full disk for a test, without root: a small tmpfs mounted at /mnt in a private user and mount
 * namespace (`unshare -rm`). The mount is the namespace's own, so it goes when the command ends: nothing to
 * unmount, nothing seen by other processes. Where namespaces are not allowed the test is skipped.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './engine';

/** Why a private tmpfs cannot be mounted here, or undefined when it can. */
export function noSmallDisk(): string | undefined {
  const probe = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && echo ok'], { encoding: 'utf8' });
  return probe.stdout?.trim() === 'ok' ? undefined : `a private tmpfs cannot be mounted here (unshare -rm: ${probe.stderr?.trim() || probe.status})`;
}

/** Fills the disk of /mnt to its last byte with `/mnt/filler` (removed to give the room back). For scripts run on it. */
export function fillDisk(): void {
  for (const piece of [4096, 1]) {
    try {
      for (;;) appendFileSync('/mnt/filler', Buffer.alloc(piece));
    } catch {
      // Full, to within a piece.
    }
  }
}

/** fillDisk as a shell command, for scripts given to onSmallDisk: it empties /mnt/filler first. */
export const FILL_DISK_SH = `rm -f /mnt/filler; "$NODE" -e "const { appendFileSync: a } = require('node:fs'); for (const n of [4096, 1]) { try { for (;;) a('/mnt/filler', Buffer.alloc(n)); } catch {} }"`;

/**
 * Runs the shell `script` on a tmpfs of `sizeKb` mounted at /mnt (a private one, see above), in `cwd`.
 * `script` runs with `set -e` off; `$NODE` and `$CLI` name this Node and the built CLI.
 */
export function onSmallDisk(sizeKb: number, script: string, options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const mount = `mount -t tmpfs -o size=${sizeKb}k tmpfs /mnt || exit 99\n${script}`;
  return spawnSync('unshare', ['-rm', 'sh', '-c', mount], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...options.env, NODE: process.execPath },
    timeout: options.timeoutMs ?? 90_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs the TypeScript `source` (with tsx) on a tmpfs of `sizeKb` at /mnt; see onSmallDisk. */
export function tsOnSmallDisk(sizeKb: number, source: string, options: { timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const file = join(tempDir(), 'script.ts');
  writeFileSync(file, source);
  return onSmallDisk(sizeKb, `exec "$NODE" --import tsx ${JSON.stringify(file)}`, options);
}

/** The last line a script printed, parsed (its JSON report). */
export function lastJson<T>(r: SpawnSyncReturns<string>): T {
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}
