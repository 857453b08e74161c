/**
 * The embedded run store: files under FLOWDECK_HOME, shared by the CLI and every editor window.
 *
 *   runs/index-*.jsonl, snapshot-*.jsonl   the run index (runIndex.ts)
 *   runs/<id>.jsonl                         a run's journal: every record, in order (journalFile.ts)
 *   runs/<id>.results/                      results too large for the journal, one file each
 *   runs/names/<name>                       claims a run name, so two processes never pick the same
 *                                           (what a creation that died part-way leaves: abandonedCreations.ts)
 *   cache/, kv/                             resultCache.ts, keyValueStore.ts
 *   schedules/, limits/                     embeddedScheduleStore.ts, embeddedLimitStore.ts
 *
 * A run's journal is written before the index mentions it, so every run listed has a journal. Writes
 * are durable before they are acknowledged (fdatasync per batch) unless `durable: false`.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { nameClaimText, sweepDaily, sweepDue, type Listed, type Swept } from './abandonedCreations';
import { findLostRuns } from './lostRuns';
import { NOTICE_KEY_KINDS, ORPHAN_MARKS_AT_ONCE } from './orphanMarks';
import { createClaim, createExclusiveFile, isAbandoned, readClaim, replaceAbandoned } from './claimFiles';
import { asRunRecordWithoutArtifactData, type ArtifactInfo } from './artifactInfo';
import type { Artifact } from './artifacts';
import { systemClock, type Clock } from './clock';
import { EmbeddedLimitStore } from './embeddedLimitStore';
import { EmbeddedScheduleStore } from './embeddedScheduleStore';
import { FileKeyValueStore } from './keyValueStore';
import { FileVariableStore } from './variables';
import { journalTail, type JournalTail } from './journalEnd';
import { crashTime } from './crashTime';
import { boundedReason, cancelRequestFiles } from './cancelRequests';
import { resumeRequestFiles } from './resumeRequests';
import type { RunRequestFiles } from './runRequestFiles';
import { replaceFile } from './replaceFile';
import { attemptKey } from './resumePlan';
import type { CancelOutcome } from './sharedStore';
import { HeldJournal } from './heldJournal';
import { JournalFile, type JournalText } from './journalFile';
import { finishedLog } from './finishedLog';
import { refuseEndedBeforeStart } from './endedBeforeStart';
import { stateRecord } from './stateRecord';
import { newRunRecords } from './newRunRecords';
import { journalLines, scanJsonLines } from './jsonLines';
import { currentProcess, isAlive, sameProcess } from './processIdentity';
import { isLogLine, isOtherThanLogLine, type FlowRunDetail, type FlowRunSummary, type IndexRecord, type LogRecord, type ProcessIdentity, type ResultRef, type RunCreatedRecord, type RunFlowFacts, type RunNameRecord, type RunRecord } from './records';
import { asRunRecord } from './recordShape';
import { FileResultCache } from './resultCache';
import { RunChanges, type RunChangeListener } from './runChanges';
import { RunIndex, exists } from './runIndex';
import { endsParameterLines, isOtherThanParametersLine, parametersAfter } from './runParameters';
import { uniqueRunName } from './runNames';
import { checkedRunName, claimFileName, firstFreeName } from './givenRunName';
import { JournalReplay } from './runReducer';
import { recordedResultFiles } from './recordedResultFiles';
import { readRunParts, type RunParts, type RunPartsOptions, type WithoutArtifactData } from './runTaskStream';
import { CRASHED_HOST_MESSAGE, type ListOptions, checkedNewRunId, RUN_UUID, MAX_LISTED_TAGS, MIN_RUN_PREFIX, type NewRun, type NewRunOptions, type ResolvedRun, type ResumePausedOutcome, type RunHandle, type RunStore } from './runStore';
import { isSettled, isTerminal, state, type State } from './states';
import { checkedKeep, prunable } from './historyRetention';
import { cancelSuspension, expiredSuspension, settleExpiredSuspensions } from './suspensions';
import { cancelCrashResume } from './crashedToResume';
import { reasonOf, RunDeletedWhileReadError, StoreWriteError } from './storeErrors';
import { prepareHome, privateDir } from './storeHome';
import { LIFE_SIGN_MS } from './lifeSign';

export interface EmbeddedStoreOptions {
  /** Never writes: no folders created, crashed runs shown as such but not recorded. */
  readOnly?: boolean;
  /** fdatasync every batch before acknowledging it (default true). */
  durable?: boolean;
  clock?: Clock;
  /** Mark runs of dead processes Crashed on open (default true). */
  detectCrashed?: boolean;
  /** Fold the index into a snapshot on open when it has grown (default true). */
  compact?: boolean;
  /** How often a run's handle touches its quiet journal, its host's sign of life (default LIFE_SIGN_MS). */
  lifeSignMs?: number;
}

/**
 * A journal of a run the index lost that changed this recently may be its live host's (lostRuns.ts): left
 * for a later look. Many missed touches, so a host stalled a while (a loaded machine) is not taken for dead.
 */
const LOST_RUN_QUIET_MS = 60_000;

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Who marks attempt `attempt` of a run whose host died Crashed (markCrashed): claimed, so it is marked once. */
function crashKey(runId: string, attempt: number): string {
  return `crashed:${runId}:${attempt}`;
}

/** Beside an attempt's claim: a cancel asked of its resume before it took the run over (cancelResume). */
const CLAIM_CANCEL = '.cancel';
/** Journals readManyRunParts holds (HeldJournal) are at most this large: one scan's chunk (jsonLines.ts). */
const HELD_JOURNAL_BYTES = 1024 * 1024;
/** How many deleted runs' files are removed at once. */
const DELETE_AT_ONCE = 16;
/** How many marks' files are looked at at once (marked). */
const MARKS_AT_ONCE = 32;

export class EmbeddedStore implements RunStore {
  readonly runsDir: string;
  readonly cache: FileResultCache;
  readonly kv: FileKeyValueStore;
  readonly variables: FileVariableStore;
  readonly schedules: EmbeddedScheduleStore;
  readonly limits: EmbeddedLimitStore;
  readonly readOnly: boolean;
  private readonly durable: boolean;
  private readonly index: RunIndex;
  private sorted?: FlowRunSummary[];
  private sortedVersion = -1;
  private version = 0;
  private readonly changes = new RunChanges();
  /**
   * Opened read-only: runs shown Crashed (their host gone), or Failed (suspended, their time up), that nobody
   * settled yet, so their journal lacks the end line.
   */
  private readonly shownCrashes = new Set<string>();
  private readonly clock: Clock;
  /** Requests to cancel runs other processes run (cancelRequests.ts). */
  private readonly cancels: RunRequestFiles<string>;
  /** Requests to resume paused runs other processes run, with their input (resumeRequests.ts). */
  private readonly resumes: RunRequestFiles<Record<string, unknown>>;
  /** @internal How often run handles touch their journals (LIFE_SIGN_MS). */
  readonly lifeSignMs: number;

  private constructor(
    readonly home: string,
    options: EmbeddedStoreOptions,
  ) {
    this.runsDir = join(home, 'runs');
    this.readOnly = options.readOnly ?? false;
    this.durable = options.durable ?? true;
    this.index = new RunIndex(this.runsDir, this.durable, (ids) => {
      this.version++;
      this.changes.tell(ids);
    });
    const clock = (this.clock = options.clock ?? systemClock);
    this.lifeSignMs = Math.max(10, options.lifeSignMs ?? LIFE_SIGN_MS);
    this.cancels = cancelRequestFiles(this.runsDir);
    this.resumes = resumeRequestFiles(this.runsDir);
    this.cache = new FileResultCache(home, clock);
    this.kv = new FileKeyValueStore(home);
    this.variables = new FileVariableStore(home, () => this.clock.now());
    this.schedules = new EmbeddedScheduleStore(home, { readOnly: this.readOnly, durable: this.durable, now: () => clock.now() });
    this.limits = new EmbeddedLimitStore(home, this.readOnly);
  }

  get location(): string {
    return this.home;
  }

  get skippedIndexRecords(): number {
    return this.index.skippedRecords;
  }

  /** Opens (for writing, creating) the store at `home`. Throws StoreHomeError when it cannot be used. */
  static async open(home: string, options: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
    const store = new EmbeddedStore(home, options);
    const exists = await prepareHome(home, store.readOnly ? 'read' : 'write');
    if (!store.readOnly) await privateDir(store.runsDir);
    if (exists) await store.index.refresh();
    // Runs a damaged index lost are listed again before anything is settled: a crashed host's then is too.
    const damaged = store.index.skippedRecords > 0;
    let repaired = false;
    if (!store.readOnly && exists && (damaged || store.index.compactionDue || (await sweepDue(store.runsDir, store.clock)))) {
      repaired = await store.relistLostRuns().catch(() => false);
    }
    if (options.detectCrashed !== false) await store.markCrashed();
    if (!store.readOnly) {
      // An optimisation: one that fails (a full disk) leaves nothing behind and must not fail the command.
      // A damaged index repaired is folded at once: its unreadable lines go, and no later process looks again.
      if ((options.compact !== false && store.index.compactionDue) || (damaged && repaired)) await store.index.compact().catch(() => false);
      // Expired cache entries are never read, but take space: cleared at most once a day, in the background.
      void store.cache.purgeDaily().catch(() => undefined);
      // So are the files of a creation whose process died part-way; close() waits for this one.
      store.sweeping = sweepDaily(store.runsDir, () => store.listed(), store.clock).catch(() => undefined);
    }
    return store;
  }

  /** Runs this process listed again, lost by a damaged index (lostRuns.ts). */
  private readonly relisted: FlowRunSummary[] = [];

  /** Runs listed again since this store was opened, their index lost them (lostRuns.ts). */
  get relistedRuns(): readonly FlowRunSummary[] {
    return this.relisted;
  }

  /**
   * Lists again the runs the index lost whose journals are there (lostRuns.ts). True when every lost run
   * found was listed (none left for a later look: its host may still be running it).
   */
  private async relistLostRuns(): Promise<boolean> {
    const known = { hasRun: (id: string) => this.index.runs.has(id), wasDeleted: (id: string) => this.index.wasDeleted(id) };
    const { found, deferred } = await findLostRuns(this.runsDir, known, { now: this.clock.now(), quietMs: Math.max(LOST_RUN_QUIET_MS, 4 * this.lifeSignMs) });
    if (found.length > 0) {
      // Looked at again: a run its creator listed while its journal was read is listed already (a creation
      // lists its run before writing more to its journal), and is left as its creator listed it.
      await this.index.refresh();
      const lost = found.filter((r) => !this.index.runs.has(r.id) && !this.index.wasDeleted(r.id));
      if (lost.length > 0) await this.appendIndex(lost.map((r) => ({ k: 'run', ...r })));
      this.relisted.push(...lost);
      this.changes.tell(lost.map((r) => r.id));
    }
    return deferred === 0;
  }

  /** Folds the index into a snapshot, the runs it lost listed again first (their journals are read while the damage is in sight). */
  private async compactIndex(): Promise<boolean> {
    await this.relistLostRuns().catch(() => false);
    return this.index.compact();
  }

  /** The daily sweep of abandoned creations started by open(), if one was due. */
  private sweeping: Promise<Swept | undefined> = Promise.resolve(undefined);

  /** What the index lists, read again. */
  private async listed(): Promise<Listed> {
    await this.index.refresh();
    return { hasRun: (id) => this.index.runs.has(id), hasName: (name) => this.index.byName.has(name), wasDeleted: (id) => this.index.wasDeleted(id) };
  }

  runFile(id: string): string {
    if (!RUN_ID.test(id)) throw new Error(`Not a run id: ${JSON.stringify(id)}`);
    return join(this.runsDir, `${id}.jsonl`);
  }

  async missingJournals(ids: readonly string[]): Promise<Set<string>> {
    const gone = await Promise.all(ids.map((id) => access(this.runFile(id)).then(() => false, (e: NodeJS.ErrnoException) => e.code === 'ENOENT')));
    return new Set(ids.filter((_, i) => gone[i]));
  }

  /** The folder of a run's out-of-line results. */
  resultsDir(id: string): string {
    return join(this.runsDir, `${this.checkedId(id)}.results`);
  }

  async dropUnrecordedResults(runId: string): Promise<void> {
    this.assertWritable();
    const dir = this.resultsDir(runId);
    const files = await readdir(dir).catch((): string[] => []);
    if (files.length === 0) return;
    const detail = await this.readRun(runId);
    if (!detail || detail.missingJournal) return;
    const named = recordedResultFiles(detail);
    for (const f of files) if (!named.has(f)) await rm(join(dir, f), { force: true });
  }

  private checkedId(id: string): string {
    if (!RUN_ID.test(id)) throw new Error(`Not a run id: ${JSON.stringify(id)}`);
    return id;
  }

  async refresh(): Promise<string[]> {
    return [...(await this.index.refresh())];
  }

  onRunsChanged(listener: RunChangeListener): () => void {
    return this.changes.listen(listener);
  }

  private all(): FlowRunSummary[] {
    if (!this.sorted || this.sortedVersion !== this.version) {
      this.sorted = [...this.index.runs.values()].sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : 1));
      this.sortedVersion = this.version;
    }
    return this.sorted;
  }

  private filtered(options: ListOptions): FlowRunSummary[] {
    let runs = this.all();
    if (options.rootsOnly) runs = runs.filter((r) => !r.parentRunId);
    if (options.parentRunId !== undefined) runs = runs.filter((r) => r.parentRunId === options.parentRunId);
    if (options.flowNames && options.flowNames.length > 0) {
      const names = new Set(options.flowNames);
      runs = runs.filter((r) => names.has(r.flowName));
    }
    const types = options.stateTypes?.length ? new Set(options.stateTypes) : undefined;
    const names = options.stateNames?.length ? new Set<string>(options.stateNames) : undefined;
    if (types || names) runs = runs.filter((r) => types?.has(r.state.type) === true || names?.has(r.state.name) === true);
    if (options.search) {
      const text = options.search.toLowerCase();
      runs = runs.filter((r) => r.name.toLowerCase().includes(text) || r.flowName.toLowerCase().includes(text) || r.tags?.some((t) => t.toLowerCase().includes(text)) === true);
    }
    if (options.tags && options.tags.length > 0) {
      const wanted = options.tags;
      runs = runs.filter((r) => r.tags !== undefined && wanted.every((t) => r.tags!.includes(t)));
    }
    return runs;
  }

  async list(options: ListOptions = {}): Promise<FlowRunSummary[]> {
    const offset = options.offset ?? 0;
    const runs = this.filtered(options);
    return runs.slice(offset, options.limit === undefined ? undefined : offset + options.limit).map((r) => ({ ...r }));
  }

  async count(options: ListOptions = {}): Promise<number> {
    return this.filtered(options).length;
  }

  async flowCounts(options: ListOptions): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const r of this.filtered(options)) counts.set(r.flowName, (counts.get(r.flowName) ?? 0) + 1);
    return counts;
  }

  async flows(): Promise<{ flowName: string; runs: number; last: FlowRunSummary }[]> {
    const out = new Map<string, { flowName: string; runs: number; last: FlowRunSummary }>();
    for (const r of this.all()) {
      if (r.parentRunId) continue;
      const entry = out.get(r.flowName);
      if (entry) entry.runs++;
      else out.set(r.flowName, { flowName: r.flowName, runs: 1, last: { ...r } });
    }
    return [...out.values()];
  }

  async tags(): Promise<{ tag: string; runs: number }[]> {
    const counts = new Map<string, number>();
    for (const r of this.all()) {
      if (r.parentRunId || !r.tags) continue;
      for (const t of r.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    return [...counts]
      .map(([tag, runs]) => ({ tag, runs }))
      .sort((a, b) => b.runs - a.runs || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
      .slice(0, MAX_LISTED_TAGS);
  }

  async resolve(ref: string): Promise<ResolvedRun> {
    const exact = this.index.runs.get(ref) ?? this.index.runs.get(this.index.byName.get(ref) ?? '');
    if (exact) return { run: { ...exact } };
    if (!RUN_ID.test(ref)) return {};
    if (ref.length < MIN_RUN_PREFIX) return this.all().some((r) => r.id.startsWith(ref)) ? { tooShort: true } : {};
    const matches = this.all().filter((r) => r.id.startsWith(ref));
    if (matches.length === 1) return { run: { ...matches[0]! } };
    return matches.length > 1 ? { ambiguous: matches.map((r) => ({ ...r })) } : {};
  }

  async get(ref: string): Promise<FlowRunSummary | undefined> {
    return (await this.resolve(ref)).run;
  }

  async readRun(id: string): Promise<FlowRunDetail | undefined> {
    const summary = this.index.runs.get(id);
    if (!summary) return undefined;
    const replay = new JournalReplay(summary);
    try {
      const scan = await scanJsonLines(
        this.runFile(id),
        0,
        (v) => asRunRecord(v, id),
        (records) => {
          for (const r of records) replay.add(r);
        },
        { passOver: isLogLine },
      );
      replay.skipped += scan.skipped + (scan.tail > 0 && isTerminal(summary.state.type) ? 1 : 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return replay.detail();
  }

  readRunParts(id: string, options?: RunPartsOptions): Promise<RunParts | undefined>;
  readRunParts(id: string, options: RunPartsOptions & WithoutArtifactData): Promise<RunParts<ArtifactInfo> | undefined>;
  async readRunParts(id: string, options?: RunPartsOptions & Partial<WithoutArtifactData>): Promise<RunParts<Artifact | ArtifactInfo> | undefined> {
    return this.runParts(id, options, false);
  }

  /**
   * Many runs' parts (`runs --json`), each journal opened once: a small one is read whole and held until its
   * run is handed on (HeldJournal), where readRunParts opens it for every read.
   */
  async *readManyRunParts(ids: readonly string[], options: RunPartsOptions & WithoutArtifactData): AsyncGenerator<RunParts<ArtifactInfo> | undefined> {
    for (const id of ids) {
      yield (await this.runParts(id, options, true)) as RunParts<ArtifactInfo> | undefined;
    }
  }

  /** A run read in parts; `held`: its journal opened once, held when small (HeldJournal). */
  private async runParts(id: string, options: (RunPartsOptions & Partial<WithoutArtifactData>) | undefined, held: boolean): Promise<RunParts<Artifact | ArtifactInfo> | undefined> {
    const listed = this.index.runs.get(id);
    if (!listed) return undefined;
    // Every read folds against the state the index had when the first began, as readRun's one read does.
    const summary = { ...listed };
    const path = this.runFile(id);
    const journal = held ? new HeldJournal(path, HELD_JOURNAL_BYTES) : undefined;
    /** Where the first read ended: later reads stop there, so every read sees the same records. */
    let end: number | undefined;
    let missing = false;
    // Without their data: each artifact's line is parsed and checked whole, one chunk at a time, its data dropped at once.
    const parse = options?.artifactData === false ? asRunRecordWithoutArtifactData : asRunRecord;
    return readRunParts(
      summary,
      async (onRecords) => {
        if (missing) return { skipped: 0 };
        try {
          const scanOptions = end === undefined ? { passOver: isLogLine } : { end, passOver: isLogLine };
          const read = journal ? await journal.scan((v) => parse(v, id), onRecords, scanOptions) : await scanJsonLines(path, 0, (v) => parse(v, id), onRecords, scanOptions);
          end ??= read.end;
          return { skipped: read.skipped + (read.tail > 0 && isTerminal(summary.state.type) ? 1 : 0) };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          if (end !== undefined) throw new RunDeletedWhileReadError(`The journal of run ${id} was deleted while it was read (${path})`);
          missing = true;
          return { skipped: 0 };
        }
      },
      options,
    );
  }

  async parametersOf(id: string): Promise<Record<string, unknown> | undefined> {
    let parameters: Record<string, unknown> | undefined;
    // Read up to the first task run's record (endsParameterLines), not through the whole journal.
    const enough = new AbortController();
    const passOver = (bytes: Buffer, from: number, to: number): boolean => {
      if (!enough.signal.aborted && endsParameterLines(bytes, from, to)) enough.abort(); // the rest of its chunk is passed over too
      return enough.signal.aborted || isOtherThanParametersLine(bytes, from, to);
    };
    try {
      await scanJsonLines(
        this.runFile(id),
        0,
        (v) => {
          const r = asRunRecord(v, id);
          return r?.k === 'run' || r?.k === 'flow' ? r : null;
        },
        (records) => {
          for (const r of records) if (r !== null) parameters = parametersAfter(parameters, r);
        },
        { passOver, signal: enough.signal, chunkBytes: 64 * 1024 },
      );
    } catch {
      if (!enough.signal.aborted) return undefined;
    }
    return parameters;
  }

  async readLogs(id: string, onLogs: (logs: LogRecord[]) => void | Promise<void>, options: { taskRunId?: string } = {}): Promise<{ found: boolean; tooLarge?: { lines: number; bytes: number } }> {
    try {
      const scan = await scanJsonLines(
        this.runFile(id),
        0,
        (v) => {
          const r = asRunRecord(v, id);
          // Other records are fine, just not logs: they must not count as skipped.
          return r === undefined ? undefined : r.k === 'log' && (options.taskRunId === undefined || r.taskRunId === options.taskRunId) ? r : null;
        },
        (records) => {
          const logs = records.filter((r): r is LogRecord => r !== null);
          return logs.length > 0 ? onLogs(logs) : undefined;
        },
        { passOver: isOtherThanLogLine },
      );
      const shown = this.shownCrashes.has(id) && options.taskRunId === undefined ? this.index.runs.get(id) : undefined;
      // Read-only, a run shown Crashed ends as its settling will end it: with the engine's end line.
      if (shown) await onLogs([finishedLog(shown.name, stateRecord(id, shown.state))]);
      return scan.tooLarge > 0 ? { found: true, tooLarge: { lines: scan.tooLarge, bytes: scan.tooLargeBytes } } : { found: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { found: false };
      throw e;
    }
  }

  async readArtifacts(id: string): Promise<Artifact[] | undefined> {
    const latest = new Map<string, Artifact>();
    try {
      await scanJsonLines(
        this.runFile(id),
        0,
        (v) => {
          // Only artifact lines are checked in full; the rest are passed over without a second look.
          if (typeof v !== 'object' || v === null || (v as { k?: unknown }).k !== 'artifact') return null;
          const r = asRunRecord(v, id);
          return r?.k === 'artifact' ? r : null;
        },
        (records) => {
          for (const r of records) {
            if (r === null) continue;
            const { k: _k, ...artifact } = r;
            latest.set(r.key, artifact);
          }
        },
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return [...latest.values()];
  }

  /** @internal The handle's index write for artifact keys. */
  async addArtifactKeys(id: string, keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.appendIndex([{ k: 'art', id, keys: [...keys] }]);
  }

  async readResultText(runId: string, ref: ResultRef): Promise<string> {
    if (!/^[A-Za-z0-9_.-]+$/.test(ref.file) || ref.file.startsWith('.')) throw new Error(`Not a result file name: ${JSON.stringify(ref.file)}`);
    return readFile(join(this.resultsDir(runId), ref.file), 'utf8');
  }

  async claim(key: string): Promise<boolean> {
    this.assertWritable();
    await this.claimsFolder();
    return this.claimIn(key);
  }

  /** Makes the claims folder (private), if it is not there. */
  private async claimsFolder(): Promise<void> {
    const dir = join(this.runsDir, 'claims');
    await privateDir(dir).catch((e: unknown) => {
      throw StoreWriteError.from(e, dir);
    });
  }

  /** `claim` in the claims folder made already. */
  private async claimIn(key: string): Promise<boolean> {
    const path = this.claimPath(key);
    try {
      if (await createClaim(path, null)) return true;
      // Held by a live process, it stands. Held by one that died (before doing what it claimed, or after:
      // callers check which), one caller takes it over; the claim is never missing meanwhile.
      const held = await readClaim(path);
      if (!held) return (await createClaim(path, null)) !== undefined;
      if (!isAbandoned(held) || (await replaceAbandoned(path, held.text, null)) === undefined) return false;
      // A cancel asked of the dead holder's resume is not this one's.
      await rm(`${path}${CLAIM_CANCEL}`, { force: true });
      return true;
    } catch (e) {
      throw StoreWriteError.from(e, path);
    }
  }

  async markOnce(key: string): Promise<boolean> {
    this.assertWritable();
    await this.claimsFolder();
    // A claim file nobody takes over: whoever creates it set the mark; it stays, its setter alive or not.
    const path = this.claimPath(key);
    let set: boolean;
    try {
      set = (await createClaim(path, null)) !== undefined;
    } catch (e) {
      throw StoreWriteError.from(e, path);
    }
    // Its run may have been deleted by another process this one has not heard of yet (a prune while a notice was
    // on its way): the index read again once the mark is there, a run gone takes it back. A delete lists the marks
    // to remove only once its index line is written (delete), so one it did not see is one made before that line,
    // which this read finds.
    const runId = key.split(':')[1];
    if (runId === undefined) return set;
    await this.refresh();
    if (this.index.runs.has(runId)) return set;
    if (set) await rm(path, { force: true });
    return false;
  }

  isMarked(key: string): Promise<boolean> {
    return exists(this.claimPath(key));
  }

  async marked(keys: readonly string[]): Promise<Set<string>> {
    // A look at each file, a few at a time, rather than a listing of the claims folder: that folder holds the
    // marks of every run kept (two per run told), so its listing grows with the history, these looks do not.
    const out = new Set<string>();
    for (let i = 0; i < keys.length; i += MARKS_AT_ONCE) {
      const chunk = keys.slice(i, i + MARKS_AT_ONCE);
      const set = await Promise.all(chunk.map((k) => this.isMarked(k)));
      chunk.forEach((k, n) => set[n] && out.add(k));
    }
    return out;
  }

  async cancelOfClaim(key: string): Promise<string | undefined> {
    const text = await readFile(`${this.claimPath(key)}${CLAIM_CANCEL}`, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const { reason } = JSON.parse(text) as { reason?: unknown };
      return typeof reason === 'string' ? boundedReason(reason) : 'Cancelled by request';
    } catch {
      return 'Cancelled by request';
    }
  }

  /**
   * A run that ended and is being resumed: a live process holds its next attempt's claim (its flow is
   * loading). The cancel goes beside that claim, where the resume looks once it has taken the run over;
   * and if it took the run over meanwhile (and may have looked already), the run's own request goes too.
   */
  private async cancelResume(run: FlowRunSummary, reason: string): Promise<boolean> {
    const path = this.claimPath(attemptKey(run.id, run.attempt + 1));
    const held = await readClaim(path).catch(() => undefined);
    if (!held?.claim || !isAlive(held.claim.owner)) return false;
    await replaceFile(`${path}${CLAIM_CANCEL}`, JSON.stringify({ reason: boundedReason(reason) }));
    await this.refresh();
    if (!isTerminal(this.index.runs.get(run.id)?.state.type ?? 'COMPLETED')) await this.cancels.request(run.id, { reason: boundedReason(reason) });
    return true;
  }

  async unclaim(key: string): Promise<void> {
    this.assertWritable();
    const path = this.claimPath(key);
    // Only a claim of this process's own: another's stands.
    const held = await readClaim(path).catch(() => undefined);
    if (!held?.claim || !sameProcess(held.claim.owner, currentProcess())) return;
    await rm(`${path}${CLAIM_CANCEL}`, { force: true });
    await rm(path, { force: true });
  }

  private claimPath(key: string): string {
    if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(key)) throw new Error(`Not a claim key: ${JSON.stringify(key)}`);
    return join(this.runsDir, 'claims', key.replace(/:/g, '_'));
  }

  async runTree(id: string): Promise<FlowRunSummary[]> {
    const root = this.index.runs.get(id);
    if (!root) return [];
    const children = new Map<string, FlowRunSummary[]>();
    for (const r of this.all()) {
      if (!r.parentRunId) continue;
      let list = children.get(r.parentRunId);
      if (!list) children.set(r.parentRunId, (list = []));
      list.push(r);
    }
    const out: FlowRunSummary[] = [];
    const queue = [root];
    while (queue.length > 0) {
      const r = queue.shift()!;
      out.push({ ...r });
      // Oldest first below a parent: the order they were started in.
      queue.push(...(children.get(r.id) ?? []).slice().reverse());
    }
    return out;
  }

  private assertWritable(): void {
    if (this.readOnly) throw new Error('This store was opened read-only');
  }

  /** The names folder, made (and closed to others) once per store opened: a claim is then one exclusive create. */
  private namesDir?: Promise<void>;

  /**
   * Claims a name for run `id`: `wanted` (checked), numbered when taken (`wanted-2`…), or else two random
   * words. A claim is one exclusive create in the names folder, so two processes never get the same name.
   * @internal
   */
  async claimName(id: string, wanted?: string): Promise<string> {
    const dir = join(this.runsDir, 'names');
    if (wanted !== undefined) checkedRunName(wanted);
    let n = 1;
    for (let tries = 0; ; tries++) {
      this.namesDir ??= privateDir(dir);
      try {
        await this.namesDir;
      } catch (e) {
        this.namesDir = undefined;
        throw StoreWriteError.from(e, dir);
      }
      let name: string;
      if (wanted === undefined) name = uniqueRunName((c) => this.index.byName.has(c));
      else ({ name, n } = firstFreeName(wanted, (c) => this.index.byName.has(c), n));
      const file = join(dir, claimFileName(name));
      try {
        if (await createExclusiveFile(file, nameClaimText(id, currentProcess()))) return name;
        // Taken by a run this index does not list yet (another process's, being created): the next number.
        n++;
      } catch (e) {
        // ENOENT: the folder went since it was made (someone tidied the store); it is made again.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || tries > 50) throw StoreWriteError.from(e, file);
        this.namesDir = undefined;
      }
      if (tries > 50) throw new StoreWriteError(`No free run name in ${dir} after ${tries + 1} tries`, file);
    }
  }

  async createRun(details: NewRun | Promise<NewRun>, options: NewRunOptions = {}): Promise<RunHandle> {
    this.assertWritable();
    const id = options.id === undefined ? randomUUID() : checkedNewRunId(options.id);
    if (options.id !== undefined && this.index.runs.has(id)) throw new Error(`A run ${id} exists already in ${this.home}`);
    // The journal is opened (created empty) while the name is claimed and the details come: none needs another.
    const opening = JournalFile.open(this.runFile(id), { durable: this.durable });
    const claiming = this.claimName(id);
    let name: string;
    let journal: JournalFile;
    let run: NewRun;
    try {
      [name, journal, run] = await Promise.all([claiming, opening, details]);
    } catch (e) {
      await this.undoCreation(id, opening, claiming);
      throw e;
    }
    if (run.name !== undefined) {
      // The flow names its runs (flowRunName): that name is claimed, the random one given back.
      const random = name;
      const naming = this.claimName(id, run.name);
      try {
        name = await naming;
      } catch (e) {
        await this.undoCreation(id, opening, claiming);
        throw e;
      }
      await rm(join(this.runsDir, 'names', claimFileName(random)), { force: true }).catch(() => undefined);
    }
    const owner = run.owner ?? currentProcess();
    const { created, first, records } = newRunRecords(run, id, name, owner);
    try {
      await journal.append(journalLines(records));
      const summary: FlowRunSummary = { id, name, flowName: run.flowName, source: run.source, state: first, created: created.created, owner, attempt: 1, seq: 0 };
      if (run.parentRunId !== undefined) summary.parentRunId = run.parentRunId;
      if (run.parentTaskRunId !== undefined) summary.parentTaskRunId = run.parentTaskRunId;
      if (run.trigger !== undefined) summary.trigger = run.trigger;
      if (run.resumeOnCrash) summary.resumeOnCrash = true;
      if (created.tags !== undefined) summary.tags = created.tags;
      await this.appendIndex([{ k: 'run', ...summary }]);
    } catch (e) {
      await journal.close();
      throw e;
    }
    return new EmbeddedRunHandle(this, created, journal);
  }

  /** A creation given up before its journal was written: its empty journal and its name's claim go. */
  private async undoCreation(id: string, opening: Promise<JournalFile>, claiming: Promise<string>): Promise<void> {
    const [journal, name] = await Promise.allSettled([opening, claiming]);
    if (journal.status === 'fulfilled') await journal.value.close().then(() => rm(this.runFile(id), { force: true })).catch(() => undefined);
    if (name.status === 'fulfilled') await rm(join(this.runsDir, 'names', claimFileName(name.value)), { force: true }).catch(() => undefined);
  }

  async openRun(id: string): Promise<RunHandle> {
    this.assertWritable();
    const summary = this.index.runs.get(id);
    if (!summary) throw new Error(`No run ${id} in ${this.home}`);
    const created: RunCreatedRecord = { k: 'run', runId: id, name: summary.name, flowName: summary.flowName, source: summary.source, parameters: {}, created: summary.created, owner: summary.owner };
    return new EmbeddedRunHandle(this, created, await JournalFile.open(this.runFile(id), { durable: this.durable }));
  }

  /** @internal Reads the index again, then throws EndedBeforeStart when run `id` ended (cancelled by another process) without starting. */
  async refuseIfEndedBeforeStartNow(id: string): Promise<void> {
    await this.refresh();
    const run = this.index.runs.get(id);
    if (run) refuseEndedBeforeStart(run);
  }

  /** @internal The handle's index writes. */
  async setRunState(id: string, s: State, extra: { startTime?: number; endTime?: number; attempt?: number; owner?: ProcessIdentity; flow?: RunFlowFacts } = {}): Promise<void> {
    const run = this.index.runs.get(id);
    const seq = (run?.seq ?? 0) + 1;
    const record: IndexRecord = { k: 'state', id, seq, state: s, ...extra.flow };
    if (extra.startTime !== undefined) record.startTime = extra.startTime;
    if (extra.endTime !== undefined) record.endTime = extra.endTime;
    if (extra.attempt !== undefined) record.attempt = extra.attempt;
    if (extra.owner !== undefined) record.owner = extra.owner;
    await this.appendIndex([record]);
  }

  /** @internal The handle's index write of a new name (claimed by claimName, in the journal already). */
  async setRunName(id: string, name: string): Promise<void> {
    const run = this.index.runs.get(id);
    await this.appendIndex([{ k: 'name', id, seq: (run?.seq ?? 0) + 1, name }]);
  }

  private async appendIndex(records: IndexRecord[]): Promise<void> {
    // Applied here first, so this process sees its own change at once (applying again on refresh is a no-op).
    for (const r of records) this.index.apply(r);
    this.version++;
    await this.index.append(records);
  }

  async markCrashed(): Promise<string[]> {
    const crashed: string[] = [];
    const ended: string[] = [];
    for (const seen of [...this.index.runs.values()]) {
      // A suspended run has no process: it waits for a resume, or for its time to run out (below).
      if (isSettled(seen.state) || isAlive(seen.owner)) continue;
      let run = seen;
      // Every process opening the store finds the dead host's run (the editor, serve, a CLI command at
      // once): one marks it, holding the claim of its attempt's crash, so its journal says Crashed once.
      // The others leave it — a live holder is marking it, a dead one's claim is taken over and the run
      // read again, already marked (then left) or not.
      const key = crashKey(run.id, run.attempt);
      if (!this.readOnly) {
        if (!(await this.claim(key))) continue;
        await this.refresh();
        const now = this.index.runs.get(run.id);
        if (!now || isSettled(now.state)) continue;
        if (isAlive(now.owner)) {
          // Taken up by a live process meanwhile: should it die in this attempt, its run is to be marked then.
          await this.unclaim(key).catch(() => undefined);
          continue;
        }
        run = now;
      }
      try {
        await this.markRunCrashed(run, crashed, ended);
      } catch (e) {
        // Not marked: the next look tries again, this process or another.
        if (!this.readOnly) await this.unclaim(key).catch(() => undefined);
        throw e;
      }
    }
    if (!this.readOnly) ended.push(...(await settleExpiredSuspensions(this, this.clock.now())));
    else ended.push(...this.showExpiredSuspensions());
    this.changes.tell([...crashed, ...ended]);
    return crashed;
  }

  /**
   * Read-only: suspended runs whose time ran out are shown as a writer will settle them (Failed, at their
   * deadline; settleExpiredSuspensions), recording nothing. Returns their ids.
   */
  private showExpiredSuspensions(): string[] {
    const shown: string[] = [];
    const now = this.clock.now();
    for (const run of this.index.runs.values()) {
      const end = expiredSuspension(run, now);
      if (end === undefined) continue;
      this.shownCrashes.add(run.id);
      run.state = end;
      run.endTime = end.timestamp;
      shown.push(run.id);
    }
    if (shown.length > 0) this.version++;
    return shown;
  }

  /** Marks one run of a dead host: as its journal ended it, or Crashed (markCrashed). */
  private async markRunCrashed(run: FlowRunSummary, crashed: string[], ended: string[]): Promise<void> {
    // Its host died after the journal took the run's final state, before the index did: it ended so.
    const tail = await journalTail(this.runFile(run.id), run.id).catch((): JournalTail => ({}));
    const end = tail.end;
    // Else it crashed at its host's last sign of life, not when found (crashTime.ts).
    const s = end?.state ?? state('Crashed', CRASHED_HOST_MESSAGE, crashTime(run, tail.lastSign, this.clock.now(), tail.taskStart));
    (end ? ended : crashed).push(run.id);
    // What its flow said of it as it was taken up, should the index not have it yet (its resumeOnCrash).
    const flow = tail.flow ? { flow: tail.flow } : {};
    if (this.readOnly) {
      // Shown as it is, but recorded only by a process allowed to write.
      if (!end) this.shownCrashes.add(run.id);
      if (tail.flow?.resumeOnCrash) run.resumeOnCrash = true;
      if (tail.flow?.tags) run.tags = tail.flow.tags;
      run.state = s;
      run.endTime = end?.endTime ?? s.timestamp;
      if (end?.startTime !== undefined) run.startTime ??= end.startTime;
      this.version++;
      return;
    }
    if (end) {
      await this.setRunState(run.id, s, { ...(end.startTime !== undefined && run.startTime === undefined ? { startTime: end.startTime } : {}), endTime: end.endTime ?? s.timestamp, ...flow });
      return;
    }
    // The journal gone or unwritable, the index still records the crash.
    await this.endRun(run, s).catch(() => undefined);
    await this.setRunState(run.id, s, { endTime: s.timestamp, ...flow });
  }

  /** Ends a run its host is not there to end (crashed, or cancelled before it started): its final state and the engine's end line, in its journal. */
  private async endRun(run: FlowRunSummary, s: State): Promise<void> {
    const journal = await JournalFile.open(this.runFile(run.id), { durable: this.durable });
    try {
      // With the engine's end line, as the run's host would have written it: the run's logs say how it ended.
      const record = stateRecord(run.id, s);
      await journal.append(journalLines([record, finishedLog(run.name, record)]));
    } finally {
      // Also when the write failed (a full disk): on Node 26 a file left to the garbage collector ends the process.
      await journal.close();
    }
  }

  async requestCancel(runId: string, reason: string): Promise<CancelOutcome> {
    this.assertWritable();
    await this.refresh();
    // Requests of runs that ended before their process looked go now (the index is fresh here).
    await this.cancels.sweep((id) => {
      const r = this.index.runs.get(id);
      return r !== undefined && isTerminal(r.state.type);
    });
    const run = this.index.runs.get(runId);
    if (!run) return 'unknown';
    if (await cancelSuspension(this, runId, boundedReason(reason))) return 'cancelled';
    // Its process is gone: there is nothing to cancel, and the run is settled as it ended.
    if (!isTerminal(run.state.type) && !isAlive(run.owner)) await this.markCrashed();
    // Crashed, to be resumed by the next host (resumeOnCrash): that resume is what is cancelled.
    if (await cancelCrashResume(this, runId, boundedReason(reason))) return 'cancelled';
    if (isTerminal(this.index.runs.get(runId)!.state.type)) {
      await this.cancels.remove(runId);
      return (await this.cancelResume(this.index.runs.get(runId)!, reason)) ? 'requested' : 'finished';
    }
    if (run.state.name === 'Scheduled' && run.startTime === undefined) {
      // Not started (a schedule's slot, waiting): Cancelled here and now, as its host would end it; the
      // host checks before it starts it (runner.ts). The request covers a start under way meanwhile.
      await this.cancels.request(runId, { reason: boundedReason(reason) });
      const cancelled = state('Cancelled', boundedReason(reason));
      await this.endRun(run, cancelled);
      await this.setRunState(runId, cancelled, { endTime: cancelled.timestamp });
      return 'cancelled';
    }
    await this.cancels.request(runId, { reason: boundedReason(reason) });
    return 'requested';
  }

  onCancelRequest(onCancel: (runId: string, reason: string) => boolean): () => void {
    // A request for a run that ended meanwhile is nobody's: it goes (true removes it).
    return this.cancels.listen((runId, reason) => {
      const run = this.index.runs.get(runId);
      return (run !== undefined && isTerminal(run.state.type)) || onCancel(runId, reason);
    });
  }

  async requestResumePaused(runId: string, input: Record<string, unknown>): Promise<ResumePausedOutcome> {
    this.assertWritable();
    await this.refresh();
    // Requests of runs no longer paused (resumed, ended) before their process looked go now.
    await this.resumes.sweep((id) => {
      const r = this.index.runs.get(id);
      return r !== undefined && r.state.type !== 'PAUSED';
    });
    const run = this.index.runs.get(runId);
    if (!run) return 'unknown';
    // Its process is gone: nobody waits for the input, and the run is settled as it ended.
    if (!isTerminal(run.state.type) && !isAlive(run.owner)) await this.markCrashed();
    const now = this.index.runs.get(runId)!;
    if (now.state.type !== 'PAUSED') return isTerminal(now.state.type) ? 'finished' : 'not-paused';
    // Suspended: no process waits for its input; a resume runs it (FlowRunner.resume with the input).
    if (now.state.name === 'Suspended') return 'not-paused';
    await this.resumes.request(runId, { input });
    return 'requested';
  }

  onResumePausedRequest(onResume: (runId: string, input: Record<string, unknown>) => boolean): () => void {
    // A request for a run that ended meanwhile is nobody's: it goes (true removes it).
    return this.resumes.listen((runId, input) => {
      const run = this.index.runs.get(runId);
      return (run !== undefined && isTerminal(run.state.type)) || onResume(runId, input);
    });
  }

  hasUnfinishedRuns(): boolean {
    for (const run of this.index.runs.values()) if (!isTerminal(run.state.type)) return true;
    return false;
  }

  async delete(ids: readonly string[]): Promise<string[]> {
    this.assertWritable();
    // Each run with its subflows, found in one pass over the index however many runs are named (a prune
    // of tens of thousands).
    const children = new Map<string, FlowRunSummary[]>();
    for (const r of this.index.runs.values()) {
      if (!r.parentRunId) continue;
      let list = children.get(r.parentRunId);
      if (!list) children.set(r.parentRunId, (list = []));
      list.push(r);
    }
    // A named run that could be resumed (not Completed) has its next attempt claimed first, as a resume
    // claims it: one being resumed (its flow loading, the claim held by a live process) is kept, and no
    // resume takes up a run being deleted.
    const named = ids.flatMap((id) => this.index.runs.get(id) ?? []).filter((r) => isTerminal(r.state.type) || !isAlive(r.owner));
    const queue = named.filter((r) => r.state.type === 'COMPLETED');
    const resumable = named.filter((r) => r.state.type !== 'COMPLETED');
    if (resumable.length > 0) await this.claimsFolder();
    for (let i = 0; i < resumable.length; i += DELETE_AT_ONCE) {
      const chunk = resumable.slice(i, i + DELETE_AT_ONCE);
      const claimed = await Promise.all(chunk.map((r) => this.claimIn(attemptKey(r.id, r.attempt + 1))));
      queue.push(...chunk.filter((_, n) => claimed[n]));
    }
    // The claims and marks of their starts, attempts and notices (start:<id>, attempt:<id>:<n>, end-notice-told:<id>:<n>)
    // go with them: listed once the index says they went, so that a mark another process sets meanwhile is either
    // listed or taken back by its setter, which then finds the run gone (markOnce).
    const claims = join(this.runsDir, 'claims');
    const claimsOfRuns = async (): Promise<Map<string, string[]>> => {
      const claimsOf = new Map<string, string[]>();
      for (const f of await readdir(claims).catch((): string[] => [])) {
        const id = f.split('_')[1];
        if (id === undefined) continue;
        const files = claimsOf.get(id);
        if (files) files.push(f);
        else claimsOf.set(id, [f]);
      }
      return claimsOf;
    };
    const targets = new Map<string, FlowRunSummary>();
    for (let i = 0; i < queue.length; i++) {
      const r = queue[i]!;
      if (targets.has(r.id)) continue;
      targets.set(r.id, r);
      queue.push(...(children.get(r.id) ?? []));
    }
    const deletable = [...targets.values()].filter((r) => isTerminal(r.state.type) || !isAlive(r.owner));
    if (deletable.length === 0) return [];
    // Whether the files can go is checked before the index says they went: a run the index no longer lists
    // whose files stay (a read-only runs folder) would vanish from every listing, its files never removed.
    await this.checkRemovable(deletable);
    const remove = async (r: FlowRunSummary, claimsOf: Map<string, string[]>): Promise<void> => {
      await rm(this.runFile(r.id), { force: true });
      await rm(this.resultsDir(r.id), { recursive: true, force: true });
      await rm(join(this.runsDir, 'names', claimFileName(r.name)), { force: true }).catch(() => undefined);
      for (const f of claimsOf.get(r.id) ?? []) await rm(join(claims, f), { force: true }).catch(() => undefined);
    };
    // A few runs' files at a time: a large prune is not one file after another, nor thousands of handles.
    const removeAll = async (runs: readonly FlowRunSummary[]): Promise<Map<string, string[]>> => {
      const claimsOf = await claimsOfRuns();
      for (let i = 0; i < runs.length; i += DELETE_AT_ONCE) await Promise.all(runs.slice(i, i + DELETE_AT_ONCE).map((r) => remove(r, claimsOf)));
      for (const r of runs) claimsOf.delete(r.id);
      return claimsOf;
    };
    // The index first: no process then lists a run whose journal is already gone.
    try {
      await this.appendIndex(deletable.map((r) => ({ k: 'del', id: r.id })));
    } catch (e) {
      // A full disk can take part of the batch (the index file's last block has room for a few dozen lines).
      // The deletions that reached the disk stand for every process, so those runs' files go too — the room
      // they free is what was short; the others are listed again, their files kept.
      const landed = await this.deletionsOnDisk(deletable).catch((): FlowRunSummary[] => []);
      this.index.restore(deletable.filter((r) => !landed.includes(r)));
      this.version++;
      await removeAll(landed).catch(() => undefined);
      throw e;
    }
    const claimsLeft = await removeAll(deletable);
    // An optimisation: the delete is done, and a sweep that fails leaves its marks to the next one.
    await this.sweepOrphanMarks(claimsLeft).catch(() => undefined);
    if (this.index.compactionDue) await this.compactIndex().catch(() => false);
    return deletable.map((r) => r.id);
  }

  /**
   * Removes the notice marks and claims of runs gone (orphanMarks.ts) of `claimsOf` (the claims folder's files by
   * the run their key names, as delete listed them), at most ORPHAN_MARKS_AT_ONCE. A run is gone when the index
   * does not list it and its journal is not there: a run made since this process last read the index has its
   * journal from before its line (createRun), and one a damaged index lost (lostRuns.ts) keeps it.
   */
  private async sweepOrphanMarks(claimsOf: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const orphans: string[] = [];
    for (const [id, files] of claimsOf) {
      if (orphans.length >= ORPHAN_MARKS_AT_ONCE) break;
      // Read from its file name up to the next `_`: only a run's id of its usual form (a UUID) is read whole.
      if (this.index.runs.has(id) || !RUN_UUID.test(id)) continue;
      const notices = files.filter((f) => NOTICE_KEY_KINDS.has(f.split('_')[0]!));
      if (notices.length === 0 || (await exists(this.runFile(id)))) continue;
      orphans.push(...notices.slice(0, ORPHAN_MARKS_AT_ONCE - orphans.length));
    }
    const claims = join(this.runsDir, 'claims');
    for (let i = 0; i < orphans.length; i += DELETE_AT_ONCE) await Promise.all(orphans.slice(i, i + DELETE_AT_ONCE).map((f) => rm(join(claims, f), { force: true })));
  }

  /** Those of `runs` whose deletion the index on disk holds, read afresh. */
  private async deletionsOnDisk(runs: readonly FlowRunSummary[]): Promise<FlowRunSummary[]> {
    const fresh = new RunIndex(this.runsDir, false);
    try {
      await fresh.refresh();
    } finally {
      await fresh.close();
    }
    return runs.filter((r) => fresh.wasDeleted(r.id));
  }

  /** Throws StoreWriteError, nothing written, when the files of `runs` cannot be removed (their folder cannot be written). */
  private async checkRemovable(runs: readonly FlowRunSummary[]): Promise<void> {
    const folders = [this.runsDir];
    for (const r of runs) if (await stat(this.resultsDir(r.id)).then((s) => s.isDirectory(), () => false)) folders.push(this.resultsDir(r.id));
    for (const dir of folders) {
      try {
        await access(dir, constants.W_OK | constants.X_OK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new StoreWriteError(`Nothing was deleted: the runs' files in ${dir} cannot be removed: ${reasonOf(code)}${code ? ` (${code})` : ''}`, dir, code);
      }
    }
  }

  async prune(limit: number): Promise<string[]> {
    const old = prunable(this.all()).slice(checkedKeep(limit, 0)).map((r) => r.id);
    if (old.length === 0) return [];
    const deleted = await this.delete(old);
    await this.compactIndex().catch(() => false);
    return deleted;
  }

  /** Folds the index into a snapshot now (normally done when it has grown). */
  compact(): Promise<boolean> {
    this.assertWritable();
    return this.compactIndex();
  }

  async close(): Promise<void> {
    await this.sweeping;
    await this.index.close();
  }
}

class EmbeddedRunHandle implements RunHandle {
  readonly id: string;
  name: string;
  readonly resultsDir: string;

  /** Touches the journal while the run is quiet: its host's sign of life (LIFE_SIGN_MS). */
  private readonly lifeSign: NodeJS.Timeout;

  constructor(
    private readonly store: EmbeddedStore,
    readonly created: RunCreatedRecord,
    private readonly journal: JournalFile,
  ) {
    this.id = created.runId;
    this.name = created.name;
    this.resultsDir = store.resultsDir(created.runId);
    this.lifeSign = setInterval(() => void journal.touch(), store.lifeSignMs);
    this.lifeSign.unref();
  }

  append(records: readonly RunRecord[]): Promise<void> {
    return records.length === 0 ? Promise.resolve() : this.journal.append(journalLines(records));
  }

  appendText(text: JournalText): Promise<void> {
    return text.length === 0 ? Promise.resolve() : this.journal.append(text);
  }

  appendAfterAll(text: string): Promise<void> {
    return this.journal.appendAfterAll(text);
  }

  async takeUp(text: string, s: State, extra: { attempt: number; owner: ProcessIdentity; flow?: RunFlowFacts }): Promise<void> {
    // The index's files take no compare-and-set: a cancel that lands after this look also leaves its
    // request (requestCancel), which the runner follows once the run is its own.
    await this.store.refuseIfEndedBeforeStartNow(this.id);
    await this.journal.append(text);
    await this.store.setRunState(this.id, s, extra);
  }

  setState(s: State, extra?: { startTime?: number; endTime?: number; attempt?: number; owner?: ProcessIdentity }): Promise<void> {
    return this.store.setRunState(this.id, s, extra);
  }

  async rename(wanted: string, ts: number): Promise<RunNameRecord> {
    // Claimed first (no other run can have it), in the journal, then in the index. The old name's claim
    // stays: log lines already written name the run by it.
    const name = await this.store.claimName(this.id, wanted);
    const record: RunNameRecord = { k: 'name', runId: this.id, name, ts };
    await this.journal.append(journalLines([record]));
    await this.store.setRunName(this.id, name);
    this.name = name;
    return record;
  }

  flush(): Promise<void> {
    return this.journal.flush();
  }

  async addArtifactKeys(keys: readonly string[]): Promise<void> {
    // The index never names an artifact the journal does not hold yet.
    await this.journal.flush();
    await this.store.addArtifactKeys(this.id, keys);
  }

  close(): Promise<void> {
    clearInterval(this.lifeSign);
    return this.journal.close();
  }
}
