/**
 * Task results kept for caching (`cacheKey`), across runs. Values arrive already serialized (and
 * masked) by the worker; the cache stores the text with its expiry and hands it back unchanged. The
 * key itself is never written: files are named by its hash, and the hash is checked on reading.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from './clock';
import { FILE_MODE } from './journalFile';
import { folderNames } from './folderNames';
import { replaceFile } from './replaceFile';
import { privateDir } from './storeHome';

export interface ResultCache {
  /** The serialized value, or undefined when there is none or it expired. */
  get(key: string): Promise<string | undefined>;
  /** `by`: the task and run the result is of, for `flowdeck cache ls` (never the key, which may hold a secret). */
  put(key: string, serialized: string, expiresAt?: number, by?: CachedBy): Promise<void>;
  /** Removes expired entries; returns how many. */
  purge(): Promise<number>;
  /** Every entry (expired ones too, until purged), newest first; at most MAX_CACHE_ENTRIES_LISTED. */
  entries(): Promise<CacheEntry[]>;
  /** Removes the entries of these key hashes (CacheEntry.keyHash); returns how many were there. */
  remove(keyHashes: readonly string[]): Promise<number>;
}

export interface CachedBy {
  /** The task's name (`task({ name })`). */
  task: string;
  runId: string;
}

/** What the cache says of an entry, without its value. Entries cached before Flowdeck kept it have no task, run or time. */
export interface CacheEntry {
  keyHash: string;
  task?: string;
  runId?: string;
  /** Epoch ms when it was cached. */
  created?: number;
  expiresAt?: number;
  /** The stored value's size. */
  bytes: number;
}

/**
 * How many entries a listing reads at most: of a cache with more, a listing shows that many (on Postgres the
 * newest; embedded, those the folder lists first), and `cache clear` goes on in rounds.
 */
export const MAX_CACHE_ENTRIES_LISTED = 100_000;
/** A task's name as an entry keeps it. */
const MAX_TASK_NAME = 200;

export function isExpired(entry: Pick<CacheEntry, 'expiresAt'>, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}

export function cachedByFields(by: CachedBy | undefined): { task?: string; runId?: string } {
  return by === undefined ? {} : { task: by.task.slice(0, MAX_TASK_NAME), runId: by.runId.slice(0, MAX_TASK_NAME) };
}

const PURGE_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * The key a task's cached result is kept under: its name, its `cacheKey`'s key and (taskInputHash) its code's
 * hash, joined by `:`. A `:` or `\\` in the name is escaped, so the name ends at the first bare `:` and no two
 * tasks share a key (`price:tax` with `A1` is not `price` with `tax:A1`); a plain name's keys are as before.
 */
export function taskCacheKey(task: string, key: string, codeHash?: string): string {
  const name = task.replace(/[\\:]/g, (c) => `\\${c}`);
  return codeHash === undefined ? `${name}:${key}` : `${name}:${key}:${codeHash}`;
}

export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

interface Header {
  keyHash: string;
  expiresAt?: number;
  task?: string;
  runId?: string;
  created?: number;
}

/** `<home>/cache/<hash>.dv`: a JSON header line, then the value's stored text (serializer.ts). */
export class FileResultCache implements ResultCache {
  readonly dir: string;
  /** The purge going on, if one is. */
  private purging?: Promise<void>;

  constructor(
    home: string,
    private readonly clock: Clock,
  ) {
    this.dir = join(home, 'cache');
  }

  private file(hash: string): string {
    return join(this.dir, `${hash.slice(0, 40)}.dv`);
  }

  async get(key: string): Promise<string | undefined> {
    const hash = keyHash(key);
    let text: string;
    try {
      text = await readFile(this.file(hash), 'utf8');
    } catch {
      return undefined;
    }
    const nl = text.indexOf('\n');
    if (nl === -1) return undefined;
    let header: Header;
    try {
      header = JSON.parse(text.slice(0, nl)) as Header;
    } catch {
      return undefined;
    }
    if (header.keyHash !== hash || (header.expiresAt !== undefined && header.expiresAt <= this.clock.now())) return undefined;
    return text.slice(nl + 1);
  }

  async put(key: string, serialized: string, expiresAt?: number, by?: CachedBy): Promise<void> {
    await privateDir(this.dir);
    const hash = keyHash(key);
    const header: Header = { keyHash: hash, ...(expiresAt === undefined ? {} : { expiresAt }), ...cachedByFields(by), created: this.clock.now() };
    const target = this.file(hash);
    await replaceFile(target, `${JSON.stringify(header)}\n${serialized}`);
  }

  async purge(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    const now = this.clock.now();
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.dv') && !name.endsWith('.json')) continue;
      const path = join(this.dir, name);
      try {
        const header = await readHeader(path);
        // 0.1.0 entries (.json) are unreadable to this version: they go too.
        if (name.endsWith('.json') || (header?.expiresAt !== undefined && header.expiresAt <= now)) {
          await rm(path, { force: true });
          removed++;
        }
      } catch {
        // Vanished meanwhile: nothing to do.
      }
    }
    return removed;
  }

  async entries(): Promise<CacheEntry[]> {
    const names = await folderNames(this.dir);
    const out: CacheEntry[] = [];
    for (const name of names) {
      if (!name.endsWith('.dv')) continue;
      if (out.length >= MAX_CACHE_ENTRIES_LISTED) break;
      const path = join(this.dir, name);
      try {
        const [read, size] = await Promise.all([readHeaderText(path), stat(path).then((s) => s.size)]);
        if (!read) continue;
        const { header, length } = read;
        const entry: CacheEntry = { keyHash: header.keyHash, bytes: Math.max(0, size - length) };
        if (typeof header.task === 'string') entry.task = header.task;
        if (typeof header.runId === 'string') entry.runId = header.runId;
        if (typeof header.created === 'number') entry.created = header.created;
        if (typeof header.expiresAt === 'number') entry.expiresAt = header.expiresAt;
        out.push(entry);
      } catch {
        // Vanished meanwhile, or not ours.
      }
    }
    return out.sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
  }

  async remove(keyHashes: readonly string[]): Promise<number> {
    let removed = 0;
    for (const hash of keyHashes) {
      if (!/^[0-9a-f]{64}$/.test(hash)) continue;
      try {
        await rm(this.file(hash));
        removed++;
      } catch {
        // Not there (removed meanwhile).
      }
    }
    return removed;
  }

  /**
   * Purges at most once a day (a marker file's time says when it last ran), one purge at a time: a call
   * while one goes (the store's own, started in the background at its opening) waits for that one, whose
   * marker would otherwise land after this call looked at it.
   */
  purgeDaily(): Promise<void> {
    this.purging ??= this.purgeIfDue().finally(() => {
      this.purging = undefined;
    });
    return this.purging;
  }

  private async purgeIfDue(): Promise<void> {
    const marker = join(this.dir, '.purged');
    try {
      if (this.clock.now() - (await stat(marker)).mtimeMs < PURGE_INTERVAL_MS) return;
    } catch {
      // Never purged, or no cache yet.
    }
    await this.purge();
    await privateDir(this.dir);
    await writeFile(marker, '', { mode: FILE_MODE });
  }
}

async function readHeader(path: string): Promise<Header | undefined> {
  return (await readHeaderText(path))?.header;
}

/** An entry's header line, and its length with its newline (what precedes the value). */
async function readHeaderText(path: string): Promise<{ header: Header; length: number } | undefined> {
  const fh = await open(path, 'r');
  try {
    // A header is its hash, times and two names of at most 200 characters each (6 bytes a character at most
    // in JSON, a control character escaped).
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl === -1) return undefined;
    const header = JSON.parse(buf.toString('utf8', 0, nl)) as Header;
    return typeof header?.keyHash === 'string' ? { header, length: nl + 1 } : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}
