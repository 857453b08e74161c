/**
 * The embedded run store: append-only JSON-lines files under FLOWDECK_HOME.
 *
 *   runs/index.jsonl     one line when a run is created, one per flow-run state change, one per deletion
 *   runs/<id>.jsonl      everything about one run: states, task runs, logs, results
 *   cache/<hash>.json    task results kept for caching, with their expiry
 *   kv/<ns>/<hash>.json  small values flows keep across runs (ETags)
 *
 * Each record is one line written with one append; a torn final line (a crash mid-write) fails to parse
 * and is skipped, and the next writer starts on a fresh line, so nothing before it is lost. Opening
 * reads only the index, which compaction rewrites to one line per run.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withLock } from './fileLock';
import { currentProcess, isAlive } from './processIdentity';
import type { FlowRunDetail, FlowRunSummary, LogLevel, LogRecord, TaskRunRecord } from './records';
import { uniqueRunName } from './runNames';
import { isTerminal, state, type State, type StateType } from './states';

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLOWDECK_HOME && env.FLOWDECK_HOME.length > 0 ? env.FLOWDECK_HOME : join(homedir(), '.flowdeck');
}

/** Lines of a run file. */
export type RunFileRecord =
  | ({ k: 'run' } & FlowRunSummary)
  | { k: 'state'; state: State }
  | { k: 'task'; id: string; name: string; task: string; ts: number; cacheKey?: string }
  | { k: 'tstate'; id: string; state: State; attempt?: number }
  | { k: 'log'; ts: number; level: LogLevel; source: string; msg: string; task?: string }
  | { k: 'result'; value: unknown }
  | { k: 'tresult'; id: string; value: unknown };

type IndexRecord =
  | ({ k: 'run' } & FlowRunSummary)
  | { k: 'state'; id: string; state: State; startTime?: number; endTime?: number }
  | { k: 'del'; id: string };

export interface ListOptions {
  limit?: number;
  offset?: number;
  flowName?: string;
  stateType?: StateType;
  /** Only top-level runs (no subflows). */
  rootsOnly?: boolean;
}

export const CRASHED_HOST_MESSAGE = 'host process ended';

const CACHE_PURGE_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** Appends whole lines to a file that may end in a torn line, starting a fresh line when it does. */
function appendLines(fd: number, text: string, fresh: { checked: boolean }): void {
  if (!fresh.checked) {
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) text = `\n${text}`;
    }
    fresh.checked = true;
  }
  writeSync(fd, text);
}

/** Parses complete JSON lines; returns the records and how many lines were unreadable. */
function parseLines<T>(text: string): { records: T[]; skipped: number } {
  const records: T[] = [];
  let skipped = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) {
      try {
        records.push(JSON.parse(text.slice(start, end)) as T);
      } catch {
        skipped++;
      }
    }
    start = end + 1;
  }
  return { records, skipped };
}

function atomicWrite(file: string, data: string, mode?: number): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
  renameSync(tmp, file);
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

/** Writes one run's file. Only the process that owns the run holds one. */
export class RunWriter {
  private fd: number;
  private fresh = { checked: false };

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a+');
  }

  append(records: readonly RunFileRecord[]): void {
    if (records.length === 0) return;
    let text = '';
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    appendLines(this.fd, text, this.fresh);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export class RunStore {
  readonly runsDir: string;
  private readonly indexFile: string;
  private readonly lockDir: string;
  private runs = new Map<string, FlowRunSummary>();
  private byName = new Map<string, string>();
  private indexLines = 0;
  private indexOffset = 0;
  private indexIno = 0;
  /** Lines of the index that could not be read at the last load. */
  skippedIndexRecords = 0;
  /** Runs changed by index lines read since the last refresh(). */
  private touched = new Set<string>();

  private constructor(readonly home: string) {
    this.runsDir = join(home, 'runs');
    this.indexFile = join(this.runsDir, 'index.jsonl');
    this.lockDir = join(this.runsDir, 'index.lock');
  }

  /**
   * Opens (creating) the store at `home`, marking runs whose owning process is gone as Crashed, and
   * compacting the index when it has grown to several lines a run.
   */
  static open(home: string = defaultHome(), options: { detectCrashed?: boolean; compact?: boolean } = {}): RunStore {
    const store = new RunStore(home);
    mkdirSync(store.runsDir, { recursive: true });
    store.reload();
    if (options.detectCrashed !== false) store.markCrashed();
    if (options.compact !== false && store.indexLines > 2 * store.runs.size + 1000) store.compact();
    store.purgeCacheDaily();
    return store;
  }

  /** Expired cache entries are never read, but they take disk space: clear them out once a day. */
  private purgeCacheDaily(now = Date.now()): void {
    const marker = join(this.home, 'cache', '.purged');
    try {
      if (now - statSync(marker).mtimeMs < CACHE_PURGE_INTERVAL_MS) return;
    } catch {
      // Never purged (or no cache yet).
    }
    try {
      this.cachePurge(now);
      mkdirSync(join(this.home, 'cache'), { recursive: true });
      writeFileSync(marker, '');
    } catch {
      // A read-only store keeps its expired entries; reads ignore them anyway.
    }
  }

  private reload(): void {
    this.touched.clear();
    this.runs.clear();
    this.byName.clear();
    this.indexLines = 0;
    this.indexOffset = 0;
    this.skippedIndexRecords = 0;
    this.readIndexFrom(0);
  }

  /** Reads index lines appended since `from`, noting the runs they touch. */
  private readIndexFrom(from: number): void {
    const touched = this.touched;
    let fd: number;
    try {
      fd = openSync(this.indexFile, 'r');
    } catch {
      return;
    }
    try {
      const st = fstatSync(fd);
      this.indexIno = st.ino;
      if (st.size <= from) return;
      const buf = Buffer.allocUnsafe(st.size - from);
      let read = 0;
      while (read < buf.length) {
        const n = readSync(fd, buf, read, buf.length - read, from + read);
        if (n === 0) break;
        read += n;
      }
      // Only whole lines: a line still being written is read next time.
      const lastNewline = buf.lastIndexOf(0x0a, read - 1);
      if (lastNewline === -1) return;
      const { records, skipped } = parseLines<IndexRecord>(buf.toString('utf8', 0, lastNewline + 1));
      this.skippedIndexRecords += skipped;
      this.indexOffset = from + lastNewline + 1;
      this.indexLines += records.length + skipped;
      for (const r of records) {
        const id = this.applyIndex(r);
        if (id) touched.add(id);
      }
    } finally {
      closeSync(fd);
    }
  }

  private applyIndex(r: IndexRecord): string | undefined {
    if (r.k === 'run') {
      const { k: _k, ...summary } = r;
      const existing = this.runs.get(r.id);
      // A compacted line may repeat a run already known; the terminal state wins.
      if (existing && isTerminal(existing.state.type) && !isTerminal(summary.state.type)) return undefined;
      this.runs.set(r.id, summary);
      this.byName.set(summary.name, summary.id);
      return r.id;
    }
    if (r.k === 'state') {
      const run = this.runs.get(r.id);
      if (!run || isTerminal(run.state.type)) return undefined;
      run.state = r.state;
      if (r.startTime !== undefined) run.startTime = r.startTime;
      if (r.endTime !== undefined) run.endTime = r.endTime;
      return r.id;
    }
    if (r.k === 'del') {
      const run = this.runs.get(r.id);
      if (run) {
        this.runs.delete(r.id);
        if (this.byName.get(run.name) === r.id) this.byName.delete(run.name);
      }
      return r.id;
    }
    return undefined;
  }

  /**
   * Picks up what other processes wrote since the last look. Returns the ids of runs that changed
   * (including deleted ones).
   */
  refresh(): string[] {
    let st;
    try {
      st = statSync(this.indexFile);
    } catch {
      return [];
    }
    if (st.ino !== this.indexIno || st.size < this.indexOffset) {
      const before = new Map([...this.runs].map(([id, r]) => [id, r.state.timestamp]));
      this.reload();
      const changed = this.touched;
      changed.clear();
      for (const [id, run] of this.runs) if (before.get(id) !== run.state.timestamp) changed.add(id);
      for (const id of before.keys()) if (!this.runs.has(id)) changed.add(id);
      const out = [...changed];
      changed.clear();
      return out;
    }
    if (st.size > this.indexOffset) this.readIndexFrom(this.indexOffset);
    const changed = [...this.touched];
    this.touched.clear();
    return changed;
  }

  private appendIndex(records: readonly IndexRecord[]): void {
    let text = '';
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    withLock(this.lockDir, () => {
      const fd = openSync(this.indexFile, 'a+');
      try {
        appendLines(fd, text, { checked: false });
      } finally {
        closeSync(fd);
      }
    });
    // Reads our own lines back, with whatever other processes appended before them.
    this.readIndexFrom(this.indexOffset);
  }

  /**
   * Marks non-terminal runs whose owning process is gone as Crashed; returns their ids. Runs on open, and
   * whenever a long-lived reader (the extension) wants to notice a CLI run that was killed.
   */
  markCrashed(): string[] {
    const now = Date.now();
    const crashedIds: string[] = [];
    for (const run of [...this.runs.values()]) {
      if (isTerminal(run.state.type) || isAlive(run.owner)) continue;
      const crashed = state('Crashed', CRASHED_HOST_MESSAGE, now);
      try {
        const w = new RunWriter(this.runFile(run.id));
        w.append([{ k: 'state', state: crashed }]);
        w.close();
      } catch {
        // The run's file is gone; the index still records the crash.
      }
      this.appendIndex([{ k: 'state', id: run.id, state: crashed, endTime: now }]);
      crashedIds.push(run.id);
    }
    return crashedIds;
  }

  /** Whether any run is still in a non-terminal state (someone may be running it). */
  hasUnfinishedRuns(): boolean {
    for (const run of this.runs.values()) if (!isTerminal(run.state.type)) return true;
    return false;
  }

  /** Rewrites the index as one line per run. */
  compact(): void {
    withLock(this.lockDir, () => {
      // Catch up with what others appended since our last read (or start over if the file was replaced).
      let current;
      try {
        current = statSync(this.indexFile);
      } catch {
        current = undefined;
      }
      if (!current || current.ino !== this.indexIno || current.size < this.indexOffset) this.reload();
      else this.readIndexFrom(this.indexOffset);
      let text = '';
      for (const run of this.runs.values()) text += `${JSON.stringify({ k: 'run', ...run })}\n`;
      atomicWrite(this.indexFile, text);
      // What we hold now is exactly what the new file says: no need to read it back.
      const written = statSync(this.indexFile);
      this.indexIno = written.ino;
      this.indexOffset = written.size;
      this.indexLines = this.runs.size;
    });
  }

  runFile(id: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error(`Not a run id: ${JSON.stringify(id)}`);
    return join(this.runsDir, `${id}.jsonl`);
  }

  /** A run name no run in this store has. */
  newRunName(): string {
    return uniqueRunName((n) => this.byName.has(n));
  }

  createRun(summary: FlowRunSummary): RunWriter {
    const writer = new RunWriter(this.runFile(summary.id));
    writer.append([{ k: 'run', ...summary }]);
    this.appendIndex([{ k: 'run', ...summary }]);
    return writer;
  }

  /** Records a flow run's new state in the index (the caller writes it to the run's file). */
  setRunState(id: string, s: State, times: { startTime?: number; endTime?: number } = {}): void {
    this.appendIndex([{ k: 'state', id, state: s, ...times }]);
  }

  get size(): number {
    return this.runs.size;
  }

  /** Newest first. */
  list(options: ListOptions = {}): FlowRunSummary[] {
    let all = [...this.runs.values()];
    if (options.flowName) all = all.filter((r) => r.flowName === options.flowName);
    if (options.stateType) all = all.filter((r) => r.state.type === options.stateType);
    if (options.rootsOnly) all = all.filter((r) => !r.parentRunId);
    all.sort((a, b) => b.created - a.created);
    const offset = options.offset ?? 0;
    return all.slice(offset, options.limit === undefined ? undefined : offset + options.limit);
  }

  /** By id, or by run name. */
  get(idOrName: string): FlowRunSummary | undefined {
    return this.runs.get(idOrName) ?? this.runs.get(this.byName.get(idOrName) ?? '');
  }

  private readRunFile(id: string): { records: RunFileRecord[]; skipped: number } | undefined {
    let text: string;
    try {
      text = readFileSync(this.runFile(id), 'utf8');
    } catch {
      return undefined;
    }
    return parseLines<RunFileRecord>(text);
  }

  /** Everything stored about one run, folded from its file. */
  readRun(idOrName: string): FlowRunDetail | undefined {
    const summary = this.get(idOrName);
    if (!summary) return undefined;
    const file = this.readRunFile(summary.id);
    const detail: FlowRunDetail = { ...summary, states: [], taskRuns: [], skippedRecords: file?.skipped ?? 0 };
    const tasks = new Map<string, TaskRunRecord>();
    for (const r of file?.records ?? []) {
      switch (r.k) {
        case 'run':
          detail.states.push(r.state);
          break;
        case 'state':
          detail.states.push(r.state);
          break;
        case 'task':
          tasks.set(r.id, { id: r.id, flowRunId: summary.id, name: r.name, taskName: r.task, state: state('Pending', undefined, r.ts), attempts: 0, cacheKey: r.cacheKey });
          break;
        case 'tstate': {
          const t = tasks.get(r.id);
          if (!t) break;
          t.state = r.state;
          if (r.state.type === 'RUNNING') {
            t.attempts = r.attempt ?? t.attempts + 1;
            t.startTime ??= r.state.timestamp;
          }
          if (isTerminal(r.state.type)) t.endTime = r.state.timestamp;
          break;
        }
        case 'result':
          detail.result = r.value;
          break;
        case 'tresult': {
          const t = tasks.get(r.id);
          if (t) t.result = r.value;
          break;
        }
        default:
          break;
      }
    }
    // The index is authoritative for the flow run's state (a crash mark may only be there).
    if (detail.states.length === 0 || detail.states[detail.states.length - 1]!.timestamp < summary.state.timestamp) detail.states.push(summary.state);
    const end = summary.state;
    for (const t of tasks.values()) {
      if (!isTerminal(t.state.type) && isTerminal(end.type)) {
        const name = end.type === 'CANCELLED' ? 'Cancelled' : end.type === 'CRASHED' ? 'Crashed' : 'Failed';
        t.state = state(name, `flow run ended in state ${end.name}`, end.timestamp);
        t.endTime = end.timestamp;
      }
    }
    detail.taskRuns = [...tasks.values()];
    return detail;
  }

  readLogs(idOrName: string): LogRecord[] {
    const summary = this.get(idOrName);
    if (!summary) return [];
    const file = this.readRunFile(summary.id);
    const logs: LogRecord[] = [];
    for (const r of file?.records ?? []) {
      if (r.k === 'log') logs.push({ ts: r.ts, level: r.level, runId: summary.id, taskRunId: r.task, source: r.source, message: r.msg });
    }
    return logs;
  }

  /** Deletes runs (and their files). Running runs owned by a live process are left alone. */
  delete(ids: readonly string[]): string[] {
    const deletable = ids.filter((id) => {
      const run = this.runs.get(id);
      return run !== undefined && (isTerminal(run.state.type) || !isAlive(run.owner));
    });
    if (deletable.length === 0) return [];
    this.appendIndex(deletable.map((id) => ({ k: 'del', id })));
    for (const id of deletable) {
      try {
        unlinkSync(this.runFile(id));
      } catch {
        // Already gone.
      }
    }
    return deletable;
  }

  /** Keeps the newest `limit` finished top-level runs (and their subflows); deletes older ones. */
  prune(limit: number): string[] {
    const finished = this.list({ rootsOnly: true }).filter((r) => isTerminal(r.state.type));
    const old = new Set(finished.slice(limit).map((r) => r.id));
    if (old.size === 0) return [];
    const ids = [...this.runs.values()].filter((r) => old.has(r.id) || (r.parentRunId && old.has(r.parentRunId))).map((r) => r.id);
    const deleted = this.delete(ids);
    this.compact();
    return deleted;
  }

  // Task result cache.

  cacheGet(key: string, now = Date.now()): { value: unknown } | null {
    try {
      const entry = JSON.parse(readFileSync(join(this.home, 'cache', `${hashKey(key)}.json`), 'utf8')) as { key: string; value: unknown; expiresAt?: number };
      if (entry.key !== key || (entry.expiresAt !== undefined && entry.expiresAt <= now)) return null;
      return { value: entry.value };
    } catch {
      return null;
    }
  }

  cachePut(key: string, value: unknown, expiresAt?: number): void {
    const dir = join(this.home, 'cache');
    mkdirSync(dir, { recursive: true });
    atomicWrite(join(dir, `${hashKey(key)}.json`), JSON.stringify({ key, value, expiresAt }));
  }

  /** Removes expired cache entries. */
  cachePurge(now = Date.now()): number {
    const dir = join(this.home, 'cache');
    let removed = 0;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      try {
        const entry = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { expiresAt?: number };
        if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
          rmSync(join(dir, name), { force: true });
          removed++;
        }
      } catch {
        // Unreadable or vanished: leave it.
      }
    }
    return removed;
  }

  // Small values flows keep across runs.

  private kvFile(namespace: string, key: string): string {
    const ns = namespace.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || '_';
    return join(this.home, 'kv', ns, `${hashKey(key)}.json`);
  }

  kvGet(namespace: string, key: string): unknown {
    try {
      const entry = JSON.parse(readFileSync(this.kvFile(namespace, key), 'utf8')) as { key: string; value: unknown };
      return entry.key === key ? entry.value : undefined;
    } catch {
      return undefined;
    }
  }

  kvSet(namespace: string, key: string, value: unknown): void {
    const file = this.kvFile(namespace, key);
    mkdirSync(join(file, '..'), { recursive: true });
    atomicWrite(file, JSON.stringify({ key, value }));
  }

  /** The identity runs created by this process are stamped with. */
  static owner(): FlowRunSummary['owner'] {
    return currentProcess();
  }
}
