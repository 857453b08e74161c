/**
 * One file of the store's `compiled` folders (compiled flow sources, code caches): written whole or not
 * at all, private to its user.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { makeDirsSync } from './makeDirs';

/**
 * Writes `data` to `path` in the folder `dir` (0700; the file 0600), whole or not at all: a reader sees
 * the old file or the new one. False when the store cannot keep it (read-only, full).
 */
export function writeCompiledFile(dir: string, path: string, data: string | Uint8Array): boolean {
  let tmp: string | undefined;
  try {
    makeDirsSync(dir, 0o700);
    chmodSync(dir, 0o700);
    tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    return true;
  } catch {
    try {
      if (tmp !== undefined) rmSync(tmp, { force: true });
    } catch {
      // Not there to remove (its folder is not one).
    }
    return false;
  }
}
