/**
 * Concurrency limits in the embedded store, under FLOWDECK_HOME/limits:
 *
 *   <tag>.json             a tag's limit, replaced whole by an atomic rename
 *   leases/<tag>/<n>       slot n of the tag (0 ≤ n < limit), held while it exists: a claim file
 *                          (claimFiles.ts) naming its owner process and task run
 *
 * Taking a slot is creating one of the limit's files with O_EXCL, so at most `limit` task runs hold one
 * however many processes try at once. A lowered limit applies to new task runs at once: while slots at or
 * above it (taken when it was higher) are held, as many fewer below it are given, so no slot is given while
 * as many as the limit are held; the task runs holding them keep them until they end.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { folderNames } from './folderNames';
import { createClaim, isAbandoned, readClaim, removeOwn, replaceAbandoned } from './claimFiles';
import { checkLimit, LIMIT_TAG, MAX_LIMIT, type ConcurrencyLimit, type Lease, type LeaseHolder, type LeaseInfo, type LimitStore } from './limits/limitStore';
import { isAlive } from './processIdentity';
import { StoreWriteError } from './storeErrors';
import { replaceFile } from './replaceFile';
import { privateDir } from './storeHome';

export class EmbeddedLimitStore implements LimitStore {
  private readonly dir: string;
  private readonly leasesDir: string;

  constructor(
    home: string,
    private readonly readOnly: boolean,
  ) {
    this.dir = join(home, 'limits');
    this.leasesDir = join(this.dir, 'leases');
  }

  async list(): Promise<ConcurrencyLimit[]> {
    // A folder that cannot be read stops every limited tag's task runs (the error says why), not none.
    const files = await folderNames(this.dir);
    const out: ConcurrencyLimit[] = [];
    for (const f of files.filter((f) => f.endsWith('.json')).sort()) {
      const tag = f.slice(0, -'.json'.length);
      // Not a tag's file (none is written so): not a limit.
      if (!LIMIT_TAG.test(tag)) continue;
      const path = join(this.dir, f);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        out.push(unreadableLimit(tag, path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`));
        continue;
      }
      // Damaged (a hand edit, a disk fault): said, and the tag's task runs not run, rather than run unlimited.
      let v: { tag?: unknown; limit?: unknown };
      try {
        v = JSON.parse(text) as typeof v;
      } catch {
        out.push(unreadableLimit(tag, path, 'is not JSON'));
        continue;
      }
      if (typeof v !== 'object' || v === null || v.tag !== tag || typeof v.limit !== 'number' || !Number.isInteger(v.limit) || v.limit < 0 || v.limit > MAX_LIMIT) {
        out.push(unreadableLimit(tag, path, `does not hold a limit of tag '${tag}' ({"tag":"${tag}","limit":N}, N from 0 to ${MAX_LIMIT})`));
        continue;
      }
      out.push({ tag, limit: v.limit });
    }
    return out;
  }

  async set(tag: string, limit: number): Promise<void> {
    this.assertWritable();
    checkLimit(tag, limit);
    await privateDir(this.dir);
    const file = join(this.dir, `${tag}.json`);
    await replaceFile(file, JSON.stringify({ tag, limit })).catch((e: unknown) => {
      throw StoreWriteError.from(e, file);
    });
  }

  async remove(tag: string): Promise<boolean> {
    this.assertWritable();
    if (!LIMIT_TAG.test(tag)) return false;
    try {
      await unlink(join(this.dir, `${tag}.json`));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  private slotFile(tag: string, slot: number): string {
    if (!LIMIT_TAG.test(tag)) throw new RangeError(`Not a limited tag: ${JSON.stringify(tag)}`);
    return join(this.leasesDir, tag, String(slot));
  }

  async tryAcquire(tag: string, limit: number, holder: LeaseHolder): Promise<Lease | undefined> {
    this.assertWritable();
    const dir = join(this.leasesDir, tag);
    await writing(dir, privateDir(dir));
    const data = { holder, since: Date.now() };
    const free = limit - (await this.heldFrom(tag, limit));
    for (let slot = 0; slot < free; slot++) {
      const file = this.slotFile(tag, slot);
      let claim = await writing(file, createClaim(file, data));
      if (!claim) {
        const held = await readClaim(file);
        if (held !== undefined && isAbandoned(held)) claim = await writing(file, replaceAbandoned(file, held.text, data));
      }
      if (claim) return { tag, slot, nonce: claim.nonce };
    }
    return undefined;
  }

  /** How many slots numbered `from` or more are held (by a live process, or being written): those of a higher limit. */
  private async heldFrom(tag: string, from: number): Promise<number> {
    const dir = join(this.leasesDir, tag);
    const above = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d+$/.test(f) && Number(f) >= from);
    let held = 0;
    for (const f of above) {
      const claim = await readClaim(join(dir, f));
      if (claim !== undefined && !isAbandoned(claim)) held++;
    }
    return held;
  }

  async release(lease: Lease): Promise<void> {
    await removeOwn(this.slotFile(lease.tag, lease.slot), lease.nonce);
  }

  async leases(tag: string): Promise<LeaseInfo[]> {
    if (!LIMIT_TAG.test(tag)) return [];
    const dir = join(this.leasesDir, tag);
    const out: LeaseInfo[] = [];
    for (const f of (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d+$/.test(f))) {
      const held = await readClaim<{ holder: LeaseHolder; since: number }>(join(dir, f));
      const c = held?.claim;
      if (!c || !isAlive(c.owner)) continue;
      out.push({ tag, slot: Number(f), nonce: c.nonce, owner: c.owner, holder: c.data.holder, since: c.data.since });
    }
    return out.sort((a, b) => a.slot - b.slot);
  }

  private assertWritable(): void {
    if (this.readOnly) throw new Error('This store was opened read-only');
  }
}

/** A write of a slot's claim (or its folder) that failed (a full disk) names the file and why, as the store's other writes do. */
function writing<T>(path: string, write: Promise<T>): Promise<T> {
  return write.catch((e: unknown) => Promise.reject(StoreWriteError.from(e, path)));
}

/** A tag's limit whose file is damaged: its task runs are stopped until it is set again (ConcurrencyLimit.unreadable). */
function unreadableLimit(tag: string, path: string, what: string): ConcurrencyLimit {
  return { tag, limit: 0, unreadable: `the concurrency limit of tag '${tag}' (${path}) ${what}; set it again with \`flowdeck limit set ${tag} N\` (or remove it: \`flowdeck limit rm ${tag}\`)` };
}
