/**
 * A file or folder of the store that cannot be used as the store expects — a folder where a file goes
 * (`runs/index-….jsonl`), a file where a folder goes (`runs`), one this user may not read — is bad input
 * naming the file and why (exit 2), as an unusable FLOWDECK_HOME is: not a stack trace for a bug report.
 */
import { realpathSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { defaultHome } from '../engine/storeHome';
import { reasonOf } from '../engine/storeErrors';

/** What the file system says of a file in the way, or out of reach. */
const UNUSABLE = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EEXIST', 'ELOOP', 'EIO', 'ENAMETOOLONG', 'EROFS']);

function isWithin(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The message for `e` when it is a file-system error on a path in the store folder, else undefined. */
export function unusableStoreFile(e: unknown, env: NodeJS.ProcessEnv): string | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  // rm of a folder where a file goes: Node's SystemError, with the system's code in its info.
  const code = err?.code === 'ERR_FS_EISDIR' ? 'EISDIR' : err?.code;
  const path = err?.path;
  if (code === undefined || !UNUSABLE.has(code) || typeof path !== 'string') return undefined;
  const home = resolve(defaultHome(env));
  const at = resolve(path);
  if (!isWithin(home, at) && !isWithin(realOr(home), at)) return undefined;
  return `the store file ${at} cannot be used: ${reasonOf(code)} (${code}). It is in the store folder ${home} (FLOWDECK_HOME); move it aside or fix its permissions, then run the command again.`;
}
