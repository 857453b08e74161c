/** What goes wrong with the store, in words a user can act on. */
import { shareErrorClass } from './sharedErrorClass';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'a file is there, where a folder should be',
  ELOOP: 'too many links, or a link that leads to itself',
  ENOENT: 'it does not exist',
  EIO: 'an input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the path is too long',
};

export function reasonOf(code: string | undefined): string {
  return (code && REASONS[code]) ?? code ?? 'an unknown error';
}

/** A read's error names no file (a folder opened where a file was expected: EISDIR): it names `path`, as an open's does. */
export function withPath(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && err.code !== undefined && err.path === undefined) err.path = path;
  return e;
}

/** A write to the store failed: the run it belongs to ends Failed with this message; the host lives on. */
/**
 * A run deleted (a prune, Delete Run) between two reads of its journal: what the first read gave stands,
 * the rest is gone. Told apart by its name (each bundle has its own copy of the class).
 */
export class RunDeletedWhileReadError extends Error {
  override readonly name = 'RunDeletedWhileReadError';
}
shareErrorClass(RunDeletedWhileReadError, 'RunDeletedWhileReadError');

export function isRunDeletedWhileRead(e: unknown): boolean {
  return e instanceof RunDeletedWhileReadError;
}

export class StoreWriteError extends Error {
  override readonly name = 'StoreWriteError';
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
  ) {
    super(message);
  }

  static from(e: unknown, path: string): StoreWriteError {
    if (e instanceof StoreWriteError) return e;
    const code = (e as NodeJS.ErrnoException).code;
    return new StoreWriteError(`Could not write ${path}: ${reasonOf(code)}${code ? ` (${code})` : ''}`, path, code);
  }
}
shareErrorClass(StoreWriteError, 'StoreWriteError');

/** FLOWDECK_HOME (or the flowdeck.home setting) cannot hold a store: bad input, exit code 2. */
export class StoreHomeError extends Error {
  override readonly name = 'StoreHomeError';
  constructor(
    readonly home: string,
    readonly reason: string,
  ) {
    super(`The Flowdeck store folder ${home} cannot be used: ${reason}. Set FLOWDECK_HOME (or the flowdeck.home setting) to a folder you can write, or leave it unset for ~/.flowdeck.`);
  }
}
shareErrorClass(StoreHomeError, 'StoreHomeError');

/** FLOWDECK_STORE (or --store, or the flowdeck.store setting) names no store this version can open: bad input, exit code 2. */
export class StoreUrlError extends Error {
  override readonly name = 'StoreUrlError';
}
shareErrorClass(StoreUrlError, 'StoreUrlError');

/** A store setting that cannot work (FLOWDECK_LEASE_SECONDS with FLOWDECK_HEARTBEAT_SECONDS): bad input, exit code 2. */
export class StoreSettingError extends Error {
  override readonly name = 'StoreSettingError';
}
shareErrorClass(StoreSettingError, 'StoreSettingError');
