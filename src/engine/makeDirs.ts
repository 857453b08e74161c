/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir spins forever on paths it cannot create in some
 * file systems (`/proc/compiled`, `/proc/nope` on Node 20): here each missing level is tried once and its
 * error is the answer.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const isMissing = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'ENOENT';
const isThere = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'EEXIST';

/** What `mkdir -p` says of a path that is there and not a folder. */
function notAFolder(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR', path });
}

export function makeDirsSync(dir: string, mode: number): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      if (!isMissing(e) || dirname(d) === d) throw e;
      missing.unshift(d);
      continue;
    }
    if (!isDir) throw notAFolder(d);
    break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode });
    } catch (e) {
      if (!isThere(e)) throw e;
    }
  }
}

export async function makeDirs(dir: string, mode: number): Promise<void> {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = (await stat(d)).isDirectory();
    } catch (e) {
      if (!isMissing(e) || dirname(d) === d) throw e;
      missing.unshift(d);
      continue;
    }
    if (!isDir) throw notAFolder(d);
    break;
  }
  for (const d of missing) {
    try {
      await mkdir(d, { mode });
    } catch (e) {
      if (!isThere(e)) throw e;
    }
  }
}
