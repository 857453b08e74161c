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
import { replaceFile } from './replaceFile';
import { privateDir } from './storeHome';

export interface ResultCache {
  /** The serialized value, or undefined when there is none or it expired. */
  get(key: string): Promise<string | undefined>;
  put(key: string, serialized: string, expiresAt?: number): Promise<void>;
  /** Removes expired entries; returns how many. */
  purge(): Promise<number>;
}

const PURGE_INTERVAL_MS = 24 * 60 * 60 * 1000;

export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

interface Header {
  keyHash: string;
  expiresAt?: number;
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

  async put(key: string, serialized: string, expiresAt?: number): Promise<void> {
    await privateDir(this.dir);
    const hash = keyHash(key);
    const header: Header = expiresAt === undefined ? { keyHash: hash } : { keyHash: hash, expiresAt };
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
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl === -1) return undefined;
    return JSON.parse(buf.toString('utf8', 0, nl)) as Header;
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}
