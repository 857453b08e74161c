/**
 * What a store shared by several machines (Postgres) offers besides the RunStore every backend has:
 * changes pushed as they happen, the connection's health, runs queued for workers, cancel requests that
 * reach whichever machine runs the run, and the workers that are alive. `RunStore.shared` is set only
 * by such a backend; the embedded store has none of this.
 */
import type { FlowRunSummary, PauseInputRecord, RunRecord, RunTrigger } from './records';

export interface StoreHealth {
  ok: boolean;
  /** Why not, in words for a user (never the connection string's password). */
  message?: string;
}

export interface SharedStoreListener {
  /** Runs were created, changed state or were deleted somewhere: `refresh()` says which. */
  runs?(): void;
  /** A run's journal grew (`readRecords` from the last seq seen). */
  journal?(runId: string): void;
  /**
   * Notifications may have been missed — sent before this listener's LISTEN was up, or while the connection
   * was down — so whatever is followed is read again (called once listening starts, and after a reconnect).
   */
  resync?(): void;
  health?(health: StoreHealth): void;
}

export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  queue: string;
  concurrency: number;
  /** Runs it has in progress, as of its last heartbeat. */
  running: number;
  /** Epoch ms, by the database's clock. */
  lastHeartbeat: number;
  startedAt: number;
}

/** A run for a worker to take: created now, in state Scheduled, and handed to the queue. */
export interface QueuedRun {
  queue: string;
  flowName: string;
  /** `builtin:<id>`, or the flow file's path relative to the workspace root (workers have it under --flows). */
  source: string;
  parameters: Record<string, unknown>;
  /** The flow file's content hash (sha256, hex): a worker whose copy differs fails the run naming both. */
  sourceHash?: string;
  trigger?: RunTrigger;
  /** Its tasks ignore cached results and replace them (RunRequest.refreshCache). */
  refreshCache?: boolean;
  /** The idempotency key it was queued with (RunRequest.idempotencyKey). */
  idempotencyKey?: string;
  /** Its id, chosen ahead (RunRequest.runId); unset: a new random one. */
  runId?: string;
  /** Its tags: its flow's own (as its file lists them) and those it was queued with. */
  tags?: readonly string[];
}

export type CancelOutcome =
  /** It had not started: it is Cancelled now. */
  | 'cancelled'
  /** It runs somewhere: the process running it was told (it ends Cancelled shortly). */
  | 'requested'
  | 'finished'
  /** It had ended and waited on its queue to be resumed: the resume is withdrawn, and it stays as it ended. */
  | 'withdrawn'
  | 'unknown';

/** Which kinds of journal records a read returns (`k` of each record: 'log', 'task', 'trun', …). */
export type RecordKinds = { only: readonly string[] } | { not: readonly string[] };

export interface SharedStore {
  readonly health: StoreHealth;
  /** Starts listening (LISTEN/NOTIFY) and calls back until the returned function is called. */
  watch(listener: SharedStoreListener): () => void;
  /**
   * `signal`: given up (Ctrl-C) while the database waits to take the run (a table locked by another session),
   * nothing of it is kept and enqueue rejects with the signal's reason; a run already queued stands.
   */
  enqueue(run: QueuedRun, options?: { signal?: AbortSignal }): Promise<FlowRunSummary>;
  requestCancel(runId: string, reason: string): Promise<CancelOutcome>;
  /** Workers whose lease is current, oldest first. */
  workers(): Promise<WorkerInfo[]>;
  /**
   * A run's journal records after `afterSeq` (0 = from the start), at most `limit` rows and a few MB of
   * lines, the last seq read, and whether either limit was reached (more may follow). `kinds`: only the records of these kinds, or all
   * but these; records are filtered by the kind each was stored with.
   */
  readRecords(runId: string, afterSeq: number, limit?: number, kinds?: RecordKinds): Promise<{ records: RunRecord[]; last: number; full: boolean }>;
  /**
   * Resumes a Suspended run that workers ran (queued) on its queue: its suspension's input (`record`,
   * checked and masked) goes into its journal and a job for its next attempt to the queue, in one
   * transaction; a worker resumes it from its checkpoints. `queued` with where the record landed; else why
   * not: it was not queued (resume it here), it is not Suspended, or it was resumed so already.
   */
  resumeQueued(runId: string, record: PauseInputRecord): Promise<QueuedResume>;
  /**
   * Sends a root run that did not complete — Failed, Crashed, Cancelled, TimedOut, or Suspended and given its
   * suspension's input (`record`) — to the workers of `to.queue`, wherever it ran before: from then on a run
   * of that queue, its flow named as workers find it, a job for its next attempt added, in one transaction.
   * A worker resumes it from its checkpoints. `changed` when it is not as `to.seen` says any more (another
   * attempt, another state) or cannot be resumed so; `resumed-already` while a live process resumes it.
   */
  resumeOnQueue(runId: string, to: QueueResumeRequest): Promise<QueuedResume>;
  /**
   * Whether error `e` of this store's says it could not be reached — its server down or restarting, the
   * connection cut — rather than that it refused what was asked: a follower tries again.
   */
  unreachable(e: unknown): boolean;
  /** Whether attempt `attempt` of run `runId` may still be resumed by a worker (ResumePending). */
  resumePending(runId: string, attempt: number): Promise<ResumePending>;
  /**
   * A run of flow `flowName` gave back its slot of the flow's concurrency limit (`limit` slots): the runs
   * workers gave back to their queues waiting for one (AwaitingConcurrencySlot), the oldest `limit` of them,
   * are handed to workers now, in the order they were queued. How many.
   */
  flowSlotFreed(flowName: string, limit: number): Promise<number>;
  /**
   * How many runs of run `runId`'s flow, on its queue, were queued before it and have not started yet while a
   * worker will still take them up — a live worker claimed their start, or their job is on the queue (waiting,
   * picked by a live worker, or given back to wait for a slot of the flow): a worker takes it up only while
   * fewer than the free slots do. One that nothing will take up (its job failed for good, or held by a worker
   * that died until it is freed) is not counted: it holds back no run after it.
   */
  waitingAhead(runId: string): Promise<number>;
}

/**
 * `queued`: the queue, where the input record landed, and where each of the run's subflow runs' journals
 * ended then (what a follower has seen of them). Else why not.
 */
export type QueuedResume = { outcome: 'queued'; queue: string; seq: number; subflowSeqs: Record<string, number> } | { outcome: 'not-queued' | 'not-suspended' | 'resumed-already' | 'changed' };

/** How the log line of a run whose resume on its queue a cancel withdrew begins (then the reason, and the state it stays in). */
export const RESUME_WITHDRAWN = 'Its resume on its queue was withdrawn before a worker took it up (';

/**
 * `waiting`: its job waits on a queue, or a live process claimed the attempt (resuming it); `taking`: a worker
 * holds its job without a claim — taking it up this moment, or done with it without resuming it (it could not:
 * its log says why); `none`: nothing will resume it (withdrawn, given up).
 */
export type ResumePending = 'waiting' | 'taking' | 'none';

/** Where a run is resumed by SharedStore.resumeOnQueue, and the run as the asker saw it. */
export interface QueueResumeRequest {
  queue: string;
  /** Its flow as workers find it (queuedFlow.ts), `builtin:<id>` or a path below the workspace root, and the file's hash; unset, as it was queued before. */
  source?: { path: string; hash?: string };
  /** The attempt and state name the asker saw: a run that moved on since is not sent. */
  seen: { attempt: number; state: string };
  /** A suspended run's input, checked and masked. */
  record?: PauseInputRecord;
}
