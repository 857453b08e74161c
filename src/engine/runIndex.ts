/**
 * The run index of the embedded store: which runs exist and their latest state, kept small so the
 * history lists without reading any run's journal. Any number of processes append to it at once, and
 * none ever waits for a lock:
 *
 *   runs/index-<n>.jsonl      segments; appenders write whole batches to the newest with O_APPEND
 *   runs/snapshot-<n>.jsonl   one line per run: everything in segments ≤ n, folded
 *
 * Compaction seals the newest segment n by creating n+1 (O_EXCL: one compactor wins, the others skip),
 * reads n to its end, writes snapshot-n (temp file, fsync, rename) and then deletes what it covers. An
 * appender that wrote into n checks afterwards whether n+1 exists; if it does, the compactor may have read
 * n before the write landed, so the batch is appended again to the newest segment. Records are idempotent
 * (each state carries a per-run sequence number), so a batch that lands twice changes nothing. A reader
 * that finds a file gone mid-read (compaction deleted it) starts over from the newest snapshot.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_MODE, writeLines } from './journalFile';
import { scanJsonLines } from './jsonLines';
import type { FlowRunSummary, IndexRecord } from './records';
import { asIndexRecord } from './recordShape';
import type { State } from './states';
import { StoreWriteError } from './storeErrors';

const SEGMENT = /^index-(\d{10})\.jsonl$/;
const SNAPSHOT = /^snapshot-(\d{10})\.jsonl$/;
/** The single index file of Flowdeck 0.1.0: read as the oldest part until a compaction folds it in. */
const LEGACY = 'index.jsonl';
/** State messages in the index are cut to this; the run's journal keeps the whole message. */
const MAX_INDEX_MESSAGE = 1000;

const pad = (n: number): string => String(n).padStart(10, '0');

export interface IndexFiles {
  snapshot?: number;
  segments: number[];
  legacy: boolean;
}

export class RunIndex {
  readonly runs = new Map<string, FlowRunSummary>();
  readonly byName = new Map<string, string>();
  /** Deleted ids: a stray line about them (a batch appended twice) does not bring them back. */
  private readonly deleted = new Set<string>();
  /** Where reading has got to: the segment and the offset in it. */
  private segment = -1;
  private offset = 0;
  /** Records read since the snapshot: compaction is due when they far outnumber the runs. */
  linesSinceSnapshot = 0;
  skippedRecords = 0;
  /** The segment this process appends to, once it has appended. */
  private appendTo?: { n: number; fh: FileHandle };

  constructor(
    readonly dir: string,
    private readonly durable: boolean,
    /** Told what every look found changed, whoever looked (compaction looks too). */
    private readonly onChanged: (ids: ReadonlySet<string>) => void = () => undefined,
  ) {}

  private segmentPath(n: number): string {
    return join(this.dir, `index-${pad(n)}.jsonl`);
  }

  private snapshotPath(n: number): string {
    return join(this.dir, `snapshot-${pad(n)}.jsonl`);
  }

  async files(): Promise<IndexFiles> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { segments: [], legacy: false };
      throw e;
    }
    let snapshot: number | undefined;
    const segments: number[] = [];
    let legacy = false;
    for (const name of names) {
      let m = SEGMENT.exec(name);
      if (m) {
        segments.push(Number(m[1]));
        continue;
      }
      m = SNAPSHOT.exec(name);
      if (m) snapshot = Math.max(snapshot ?? -1, Number(m[1]));
      else if (name === LEGACY) legacy = true;
    }
    segments.sort((a, b) => a - b);
    return { snapshot, segments: segments.filter((n) => snapshot === undefined || n > snapshot), legacy };
  }

  /**
   * Reads what was appended since the last look; returns the ids of runs that changed (deleted ones
   * included). Starts over from the newest snapshot when compaction removed what it was reading.
   */
  async refresh(): Promise<Set<string>> {
    // One look at a time: two would read the same segment from one shared offset, and a reload clears
    // what the other is folding into. Each look starts once the one before it has ended, so it still
    // sees everything appended before it was asked for.
    const look = this.looking.then(() => this.look());
    this.looking = look.catch(() => undefined);
    const changed = await look;
    if (changed.size > 0) this.onChanged(changed);
    return changed;
  }

  private async look(): Promise<Set<string>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const files = await this.files();
        const compactedAway =
          !this.loaded ||
          (this.segment === -1 ? files.snapshot !== this.loadedSnapshot || (files.snapshot === undefined && files.legacy) !== this.loadedLegacy : !files.segments.includes(this.segment));
        if (compactedAway) return await this.reload(files);
        const changed = new Set<string>();
        for (const n of files.segments) {
          if (n < this.segment) continue;
          if (n > this.segment) {
            this.segment = n;
            this.offset = 0;
          }
          await this.readSegment(n, changed);
        }
        return changed;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 20) throw e;
        // Compaction deleted a file under us: look again, from the newest snapshot.
        this.loaded = false;
      }
    }
  }

  private looking: Promise<unknown> = Promise.resolve();
  private loaded = false;
  private loadedSnapshot?: number;
  private loadedLegacy = false;

  private async reload(files: IndexFiles): Promise<Set<string>> {
    const before = new Map([...this.runs].map(([id, r]) => [id, `${r.seq}:${r.state.timestamp}`]));
    this.runs.clear();
    this.byName.clear();
    this.linesSinceSnapshot = 0;
    this.skippedRecords = 0;
    this.segment = -1;
    this.offset = 0;
    if (files.snapshot !== undefined) {
      const r = await scanJsonLines(this.snapshotPath(files.snapshot), 0, asIndexRecord, (recs) => {
        for (const rec of recs) this.apply(rec);
      });
      this.skippedRecords += r.skipped;
    } else if (files.legacy) {
      const r = await scanJsonLines(join(this.dir, LEGACY), 0, asIndexRecord, (recs) => {
        this.linesSinceSnapshot += recs.length;
        for (const rec of recs) this.apply(rec);
      });
      this.skippedRecords += r.skipped;
    }
    const ignored = new Set<string>();
    for (const n of files.segments) {
      this.segment = n;
      this.offset = 0;
      await this.readSegment(n, ignored);
    }
    this.loaded = true;
    this.loadedSnapshot = files.snapshot;
    this.loadedLegacy = files.legacy && files.snapshot === undefined;
    const changed = new Set<string>();
    for (const [id, r] of this.runs) if (before.get(id) !== `${r.seq}:${r.state.timestamp}`) changed.add(id);
    for (const id of before.keys()) if (!this.runs.has(id)) changed.add(id);
    return changed;
  }

  private async readSegment(n: number, changed: Set<string>): Promise<void> {
    const r = await scanJsonLines(this.segmentPath(n), this.offset, asIndexRecord, (recs) => {
      this.linesSinceSnapshot += recs.length;
      for (const rec of recs) {
        const id = this.apply(rec);
        if (id) changed.add(id);
      }
    });
    this.skippedRecords += r.skipped;
    this.offset = r.end;
  }

  /** Whether a deletion of run `id` was read (since the last snapshot: a snapshot keeps no deletions). */
  wasDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  /**
   * Takes back deletions applied here whose lines never reached the disk (a full disk took part of their
   * batch): the runs are listed again as they were.
   */
  restore(runs: readonly FlowRunSummary[]): void {
    for (const run of runs) {
      if (!this.deleted.delete(run.id)) continue;
      this.runs.set(run.id, run);
      if (!this.byName.has(run.name)) this.byName.set(run.name, run.id);
    }
  }

  /** Folds one index record; returns the id of the run it changed. */
  apply(r: IndexRecord): string | undefined {
    if (r.k === 'run') {
      if (this.deleted.has(r.id)) return undefined;
      const existing = this.runs.get(r.id);
      if (existing && existing.seq >= r.seq) return undefined;
      const { k: _k, ...summary } = r;
      this.runs.set(r.id, summary);
      this.byName.set(summary.name, summary.id);
      return r.id;
    }
    if (r.k === 'state') {
      const run = this.runs.get(r.id);
      if (!run) return undefined;
      // 0.1.0 lines carry no sequence number: they apply in the order written.
      const seq = r.seq ?? run.seq + 1;
      if (seq <= run.seq) return undefined;
      run.seq = seq;
      run.state = r.state;
      if (r.attempt !== undefined) run.attempt = r.attempt;
      if (r.owner !== undefined) run.owner = r.owner;
      if (r.startTime !== undefined) run.startTime = r.startTime;
      if (r.endTime !== undefined) run.endTime = r.endTime;
      else if (r.state.type === 'SCHEDULED' || r.state.type === 'PENDING') delete run.endTime;
      // What its flow said of it as it was taken up (RunFlowRecord).
      if (r.resumeOnCrash) run.resumeOnCrash = true;
      if (r.tags !== undefined) run.tags = r.tags;
      return r.id;
    }
    if (r.k === 'name') {
      const run = this.runs.get(r.id);
      if (!run || r.seq <= run.seq) return undefined;
      run.seq = r.seq;
      if (this.byName.get(run.name) === r.id) this.byName.delete(run.name);
      run.name = r.name;
      this.byName.set(r.name, r.id);
      return r.id;
    }
    if (r.k === 'art') {
      const run = this.runs.get(r.id);
      if (!run) return undefined;
      const keys = new Set(run.artifactKeys);
      const before = keys.size;
      for (const key of r.keys) keys.add(key);
      if (keys.size === before) return undefined;
      run.artifactKeys = [...keys];
      return r.id;
    }
    const run = this.runs.get(r.id);
    this.deleted.add(r.id);
    if (!run) return undefined;
    this.runs.delete(r.id);
    if (this.byName.get(run.name) === r.id) this.byName.delete(run.name);
    return r.id;
  }

  /**
   * Appends records durably (on disk when this resolves). Appends made while a batch is being written
   * go out together in the next one: one write and one sync for any number of them.
   */
  append(records: readonly IndexRecord[]): Promise<void> {
    let text = '';
    for (const r of records) text += `${JSON.stringify(shrink(r))}\n`;
    return new Promise<void>((resolve, reject) => {
      this.pending.push(text);
      this.waiters.push({ resolve, reject });
      this.draining ??= this.drain();
    });
  }

  private pending: string[] = [];
  private waiters: { resolve(): void; reject(e: Error): void }[] = [];
  private draining?: Promise<void>;

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const buf = Buffer.from(`\n${this.pending.join('')}`, 'utf8');
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          await this.appendBatch(buf);
          for (const w of waiters) w.resolve();
        } catch (e) {
          for (const w of waiters) w.reject(e as Error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async appendBatch(buf: Buffer): Promise<void> {
    let target: { n: number; fh: FileHandle } = this.appendTo ?? (await this.openNewest());
    this.appendTo = target;
    for (let hops = 0; ; hops++) {
      const { n, fh } = target;
      const path = this.segmentPath(n);
      try {
        await writeLines(fh, buf, path);
      } catch (e) {
        throw StoreWriteError.from(e, path);
      }
      // The batch is safe only if the segment is still the newest and still in place once the batch has
      // landed: then any compaction to come seals it first and reads it afterwards. Otherwise a compactor
      // may have read it before the batch landed (or deleted it): the batch goes to the newest segment too.
      // The sync is for a crash, not for other processes: the look goes alongside it.
      const [, sealed, inPlace] = await Promise.all([
        this.durable ? fh.datasync().catch((e: unknown) => Promise.reject(StoreWriteError.from(e, path))) : undefined,
        exists(this.segmentPath(n + 1)),
        isSameFile(fh, path),
      ]);
      if (!sealed && inPlace) return;
      if (hops > 100) throw new StoreWriteError(`Could not append to the run index in ${this.dir}: it keeps being compacted`, path);
      await fh.close().catch(() => undefined);
      this.appendTo = undefined;
      target = await this.openNewest();
      this.appendTo = target;
    }
  }

  /** Opens the newest segment for appending; creates the first one when there is none. */
  private async openNewest(): Promise<{ n: number; fh: FileHandle }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (let tries = 0; ; tries++) {
      const files = await this.files();
      const newest = files.segments[files.segments.length - 1];
      const n = newest ?? (files.snapshot ?? -1) + 1;
      const path = this.segmentPath(n);
      try {
        // An existing segment is opened without O_CREAT: one deleted meanwhile (compacted) must not come back.
        return { n, fh: await open(path, newest === undefined ? 'a' : constants.O_WRONLY | constants.O_APPEND, FILE_MODE) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || tries > 100) throw StoreWriteError.from(e, path);
      }
    }
  }

  /** True when the segments hold several lines per run: worth folding into a snapshot. */
  get compactionDue(): boolean {
    return this.linesSinceSnapshot > 2 * this.runs.size + 1000;
  }

  /**
   * Folds everything into a snapshot. Returns false when another process is compacting right now (it
   * will do the same work) or there is nothing to fold.
   */
  async compact(): Promise<boolean> {
    await this.refresh();
    const files = await this.files();
    const newest = files.segments[files.segments.length - 1];
    if (newest === undefined && !files.legacy) return false;
    const sealed = newest ?? (files.snapshot ?? -1) + 1;
    // The snapshot's room is taken before anything is sealed: on a full disk the compaction gives up here
    // and leaves nothing behind (a sealed segment would stay, an empty file, at each attempt). It is only
    // an optimisation; the caller goes on without it.
    // Its own name: two compactors (in one process too) both take their room before one of them seals.
    const tmp = join(this.dir, `.snapshot-${pad(sealed)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'w', FILE_MODE);
    let renamed = false;
    try {
      try {
        await writeLines(fh, Buffer.from(this.snapshotText(), 'utf8'), tmp);
        if (newest === undefined) {
          // Only the 0.1.0 index: give it a segment to seal.
          await (await open(this.segmentPath(sealed), 'a', FILE_MODE)).close();
        }
        try {
          await (await open(this.segmentPath(sealed + 1), 'wx', FILE_MODE)).close();
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw e;
        }
        // Everything written to the sealed segment before its appenders could see the new one is read now,
        // and written over the text taken above (the room it holds is kept, not given back and asked again).
        await this.refresh();
        const text = Buffer.from(this.snapshotText(await this.lingering()), 'utf8');
        for (let at = 0; at < text.length; ) at += (await fh.write(text, at, text.length - at, at)).bytesWritten;
        await fh.truncate(text.length);
        if (this.durable) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.snapshotPath(sealed));
      renamed = true;
    } finally {
      // A failed compaction (a full disk) leaves no part of a snapshot taking the room that is short.
      if (!renamed) await rm(tmp, { force: true }).catch(() => undefined);
    }
    await syncDir(this.dir, this.durable);
    const old = await readdir(this.dir);
    for (const name of old) {
      const seg = SEGMENT.exec(name);
      const snap = SNAPSHOT.exec(name);
      if ((seg && Number(seg[1]) <= sealed) || (snap && Number(snap[1]) < sealed) || name === LEGACY) {
        await rm(join(this.dir, name), { force: true });
      }
    }
    this.linesSinceSnapshot = this.runs.size;
    return true;
  }

  /** One line per run: what a snapshot holds; and the deletions of `deleted`, runs whose files are still there. */
  private snapshotText(deleted: readonly string[] = []): string {
    let text = '';
    for (const run of this.runs.values()) text += `${JSON.stringify(shrink({ k: 'run', ...run }))}\n`;
    for (const id of deleted) text += `${JSON.stringify({ k: 'del', id })}\n`;
    return text;
  }

  /**
   * Deleted runs whose journal or results are still there: a deletion that died before removing them
   * (the index is written first). The snapshot keeps their deletion, by which the daily sweep knows to
   * remove them (abandonedCreations.ts), and which it would otherwise forget.
   */
  private async lingering(): Promise<string[]> {
    const ids = [...this.deleted];
    const there = await Promise.all(ids.map(async (id) => (await exists(join(this.dir, `${id}.jsonl`)).catch(() => true)) || (await exists(join(this.dir, `${id}.results`)).catch(() => true))));
    return ids.filter((_, i) => there[i]);
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await this.appendTo?.fh.close().catch(() => undefined);
    this.appendTo = undefined;
  }
}

/** Index lines stay small: long state messages are cut, failure details left out (the run's journal has them whole). */
function shrink(r: IndexRecord): IndexRecord {
  if (r.k === 'del' || r.k === 'art' || r.k === 'name') return r;
  const small = indexState(r.state);
  return small === r.state ? r : { ...r, state: small };
}

/** A state as every backend's index keeps it: the message cut to 1000 characters, without failure details. */
export function indexState(s: State): State {
  const message = s.message;
  if ((message === undefined || message.length <= MAX_INDEX_MESSAGE) && s.failure === undefined) return s;
  const { failure: _failure, ...small } = s;
  return message !== undefined && message.length > MAX_INDEX_MESSAGE ? { ...small, message: `${message.slice(0, MAX_INDEX_MESSAGE)}…` } : small;
}

/** Whether the open file is still the one at `path` (not deleted or replaced). */
async function isSameFile(fh: FileHandle, path: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fh.stat(), stat(path)]);
    return a.ino === b.ino && a.dev === b.dev;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Whether something is at `path` (a file, a folder); any error but its absence is thrown. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export async function syncDir(dir: string, durable: boolean): Promise<void> {
  if (!durable) return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems cannot sync a directory; the rename is as durable as they make it.
  } finally {
    await fh.close();
  }
}
