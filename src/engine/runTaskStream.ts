/**
 * A run read back in two parts — its detail, then its task runs a batch at a time — for runs too large to
 * hold (a map of a million task runs): the detail and task runs `readRun` gives, through the same reducer,
 * in bounded memory, from any backend that can read a journal more than once.
 *
 * The reducer folds each task run from its own records and the flow run's (`taskRunOf`), so a journal can
 * be folded with only some task runs' records in it. Three reads of the journal:
 *  1. The flow run is folded, and each task run only while it is in its window: the `window` records after
 *     its creation record, or less for one that is final sooner (it leaves once those before it have). A
 *     task run is *late* when a record about it comes after it left, when it is not final as its window ends
 *     (a later final flow state settles it), or when a creation record for it may be a second one (its id's
 *     hash was seen before: the reducer ignores a second `task` record).
 *  2. Only when some are late: the late task runs are folded alone (their records and the flow run's).
 *  3. The journal is folded again, handing each task run on, in order, once its window has passed — nothing
 *     can change it after that — or, for a late one, as read 2 folded it. A task run final at its creation
 *     (a map's one-line task run) that no later record is about is handed on as soon as those before it are:
 *     read 1 noted the task runs a record was about after their creation (`touched`).
 * What is held: the task runs not yet final and those behind them, within their window; the late ones (none
 * in a run that ended normally); and 4–8 bytes per task run for the hashes of their ids.
 */
import type { Artifact } from './artifacts';
import { Fifo } from './fifo';
import type { FlowRunDetail, FlowRunSummary, RunRecord, TaskRunRecord } from './records';
import { JournalReplay, taskRunOf } from './runReducer';
import { isTerminal } from './states';

/**
 * Reads a run's journal: hands its records on in order, a batch at a time (a returned promise is awaited
 * before the next batch), and says how many lines could not be read. Every call reads the same records:
 * the journal as it was at the first call, whatever was appended since.
 */
export type JournalReader = (onRecords: (records: RunRecord[]) => void | Promise<void>) => Promise<{ skipped: number }>;

/** `A`: its artifacts as read, ArtifactInfo when read without their data (`artifactData: false`). */
export interface RunParts<A = Artifact> {
  /** The run as `readRun` gives it, except that `taskRuns` is empty. */
  detail: Omit<FlowRunDetail, 'artifacts'> & { artifacts?: A[] };
  /** Hands the run's task runs on — in `readRun`'s order, each as `readRun` gives it — a batch at a time. */
  readTaskRuns(onTaskRuns: (taskRuns: TaskRunRecord[]) => void | Promise<void>): Promise<void>;
}

export interface RunPartsOptions {
  /** Records after its creation within which a task run's records are expected (smaller in tests). */
  window?: number;
}

/**
 * Its artifacts read without their data (artifactInfo.ts), for a reader that prints none of it: a run's
 * tables and charts may be 100 MB of journal. The store leaves the data unread where it can.
 */
export interface WithoutArtifactData {
  artifactData: false;
}

/** Wide enough for a map's task runs started together to end within it: a task run's records are ~1–4 lines. */
const DEFAULT_WINDOW = 16_384;

export async function readRunParts(summary: FlowRunSummary, read: JournalReader, options: RunPartsOptions = {}): Promise<RunParts> {
  const window = options.window ?? DEFAULT_WINDOW;
  const late = await findLate(summary, read, window);
  const lateRuns = new Map<string, TaskRunRecord>();
  if (late.ids.size > 0) {
    const replay = new JournalReplay(summary);
    await read((records) => {
      for (const r of records) {
        const id = taskRunOf(r);
        if (id === undefined || late.ids.has(id)) replay.add(r);
      }
    });
    for (const t of replay.detail().taskRuns) lateRuns.set(t.id, t);
  }
  return {
    detail: late.detail,
    readTaskRuns: (onTaskRuns) => handOn(summary, read, window, late, lateRuns, onTaskRuns),
  };
}

interface Late {
  detail: FlowRunDetail;
  /** The late task runs' ids. */
  ids: Set<string>;
  /** Task runs a record was about after their creation (a hash may stand for one that was not). */
  touched: IdHashes;
}

/** Read 1: the flow run's detail (without task runs), the late task runs' ids and the touched ones. */
async function findLate(summary: FlowRunSummary, read: JournalReader, window: number): Promise<Late> {
  const replay = new JournalReplay(summary);
  const ids = new Set<string>();
  const seen = new IdHashes();
  const touched = new IdHashes();
  const queue = new TaskQueue();
  let at = 0;
  // A final task run leaves the fold at once (when those before it have): a record about it after that makes
  // it late, as one after its window would, and read 2 folds it.
  const final = (t: TaskRunRecord): boolean => isTerminal(t.state.type);
  const { skipped } = await read((records) => {
    for (const r of records) {
      for (let t = queue.due(at - window, final); t !== undefined; t = queue.due(at - window, final)) {
        replay.current!.tasks.delete(t.id);
        if (!isTerminal(t.state.type)) ids.add(t.id);
      }
      const fold = replay.current;
      const id = fold ? taskRunOf(r) : undefined;
      if (id !== undefined && !fold!.tasks.has(id)) {
        if (r.k !== 'task' && r.k !== 'trun') ids.add(id);
        else if (!seen.add(id)) ids.add(id);
      } else if (id !== undefined) {
        touched.add(id);
      }
      replay.add(r);
      takeCreated(replay, queue, at);
      at++;
    }
  });
  replay.skipped += skipped;
  const detail = replay.detail();
  detail.taskRuns = [];
  return { detail, ids, touched };
}

/** Read 3: every task run handed on once it can no longer change. */
async function handOn(
  summary: FlowRunSummary,
  read: JournalReader,
  window: number,
  { ids: late, touched }: Late,
  lateRuns: ReadonlyMap<string, TaskRunRecord>,
  onTaskRuns: (taskRuns: TaskRunRecord[]) => void | Promise<void>,
): Promise<void> {
  const replay = new JournalReplay(summary);
  const queue = new TaskQueue();
  const lateListed = new Set<string>();
  // Final at its creation and nothing after it is about it: folding on cannot change it.
  const settled = (t: TaskRunRecord): boolean => isTerminal(t.state.type) && !touched.has(t.id);
  let at = 0;
  await read((records) => {
    const out: TaskRunRecord[] = [];
    for (const r of records) {
      for (let t = queue.due(at - window, settled); t !== undefined; t = queue.due(at - window, settled)) {
        replay.current!.tasks.delete(t.id);
        out.push(t);
      }
      const id = taskRunOf(r);
      if (id !== undefined && late.has(id)) {
        // In order where the reducer would add it; as read 2 folded it, so at once when its turn comes.
        const t = lateRuns.get(id);
        if (replay.current && t && (r.k === 'task' || r.k === 'trun') && !lateListed.has(id)) {
          lateListed.add(id);
          queue.push(t, -Infinity);
        }
      } else {
        replay.add(r);
        takeCreated(replay, queue, at);
      }
      at++;
    }
    return out.length > 0 ? onTaskRuns(out) : undefined;
  });
  // The index's latest state may settle the task runs still in their window, as readRun's fold does.
  replay.detail();
  const rest: TaskRunRecord[] = [];
  for (let t = queue.due(Infinity); t !== undefined; t = queue.due(Infinity)) rest.push(t);
  if (rest.length > 0) await onTaskRuns(rest);
}

/** Moves task runs the last record created from the fold's list (which would hold them all) to the queue. */
function takeCreated(replay: JournalReplay, queue: TaskQueue, at: number): void {
  const created = replay.current?.detail.taskRuns;
  if (!created || created.length === 0) return;
  for (const t of created) queue.push(t, at);
  created.length = 0;
}

/**
 * Task runs in creation order, each with the index of its creation record: two Fifos side by side rather than
 * one of {task, at} pairs, so a task run costs no object of its own here (a run may have millions).
 */
class TaskQueue {
  private tasks = new Fifo<TaskRunRecord>();
  private ats = new Fifo<number>();

  push(t: TaskRunRecord, at: number): void {
    this.tasks.push(t);
    this.ats.push(at);
  }

  /** The first task run, taken off, if it was created before `before` or is `early`. */
  due(before: number, early?: (t: TaskRunRecord) => boolean): TaskRunRecord | undefined {
    const t = this.tasks.peek();
    if (t === undefined) return undefined;
    if (!(this.ats.peek()! < before) && !(early?.(t) ?? false)) return undefined;
    this.ats.shift();
    return this.tasks.shift();
  }
}

/**
 * 32-bit hashes of task run ids, in an open-addressed table: a few bytes per task run where a Set of the
 * ids would hold every id string. A hash seen before says only that the id *may* have been seen.
 */
class IdHashes {
  private table = new Uint32Array(1 << 12);
  private size = 0;

  /** Adds the id's hash; false when it was there already. */
  add(id: string): boolean {
    if (this.size * 2 >= this.table.length) this.grow();
    return this.insert(this.table, hash(id));
  }

  /** Whether the id's hash is there (the id, or another with its hash, was added). */
  has(id: string): boolean {
    const h = hash(id);
    const mask = this.table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = this.table[i]!;
      if (v === 0) return false;
      if (v === h) return true;
    }
  }

  private insert(table: Uint32Array, h: number): boolean {
    const mask = table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = table[i]!;
      if (v === 0) {
        table[i] = h;
        this.size++;
        return true;
      }
      if (v === h) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.size = 0;
    for (const h of old) if (h !== 0) this.insert(this.table, h);
  }
}

/** FNV-1a over the id's UTF-16 code units; never 0 (an empty slot). */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}
