/**
 * The store folder (FLOWDECK_HOME): checked before anything is written, so an unusable folder is a
 * clear "bad input" (exit 2) naming the folder and why, instead of a stack trace or a busy loop; and
 * kept private to its user (folders 0700, files 0600), because it holds logs and results.
 */
import { access, chmod, constants, mkdir, open, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StoreHomeError, reasonOf } from './storeErrors';
import { makeDirs } from './makeDirs';

export const DIR_MODE = 0o700;

/**
 * FLOWDECK_HOME, `~` and `~/…` read as in the user's home folder, as the flowdeck.home setting reads them: given
 * where no shell expands them (a systemd EnvironmentFile, a quoted value), they made a folder named `~` below
 * the current one, a store of its own.
 */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLOWDECK_HOME && env.FLOWDECK_HOME.length > 0 ? expandHome(env.FLOWDECK_HOME) : join(homedir(), '.flowdeck');
}

/** `~` and `~/…` in the user's home folder; any other path as it is. */
export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/**
 * Makes sure `home` can hold a store: for writing, creates it (0700) and proves a file can be created
 * in it; for reading, accepts a folder that does not exist yet (an empty history). Returns whether the
 * folder exists.
 */
export async function prepareHome(home: string, mode: 'write' | 'read'): Promise<boolean> {
  let st;
  try {
    st = await stat(home);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new StoreHomeError(home, reasonOf(code));
    if (mode === 'read') return false;
    try {
      await makeDirs(home, DIR_MODE);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new StoreHomeError(home, code === 'ENOENT' ? 'it could not be created (the file system there does not allow new folders)' : `it could not be created (${reasonOf(code)})`);
    }
    st = await stat(home).catch(() => undefined);
    if (!st) throw new StoreHomeError(home, 'it could not be created');
  }
  if (!st.isDirectory()) throw new StoreHomeError(home, 'it is a file, not a folder');
  try {
    await access(home, mode === 'write' ? constants.R_OK | constants.W_OK | constants.X_OK : constants.R_OK | constants.X_OK);
  } catch (e) {
    throw new StoreHomeError(home, reasonOf((e as NodeJS.ErrnoException).code));
  }
  if (mode === 'write') {
    await proveWritable(home);
    await makePrivate(home);
  }
  return true;
}


/** Some folders pass every permission check and still refuse files (/sys, /proc): try one. */
async function proveWritable(home: string): Promise<void> {
  const probe = join(home, `.probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    const fh = await open(probe, 'wx', 0o600);
    await fh.close();
  } catch (e) {
    throw new StoreHomeError(home, `files cannot be created in it (${reasonOf((e as NodeJS.ErrnoException).code)})`);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

/** Folders made by older versions were 0755: close them (when this user owns them). */
export async function makePrivate(dir: string): Promise<void> {
  try {
    const st = await stat(dir);
    if ((st.mode & 0o077) !== 0 && (process.getuid === undefined || st.uid === process.getuid())) await chmod(dir, st.mode & ~0o077 & 0o7777);
  } catch {
    // Not ours to change, or gone: files inside are created 0600 anyway.
  }
}

/** Creates a folder of the store (0700), closing it if it already existed wider. */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  await makePrivate(dir);
}
