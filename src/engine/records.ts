/**
 * The plain records the engine produces and the store keeps. Everything a view shows derives from these.
 */
import type { State } from './states';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface LogRecord {
  /** Epoch milliseconds. */
  ts: number;
  level: LogLevel;
  /** Flow run the line belongs to. */
  runId: string;
  /** Set when a task run wrote the line. */
  taskRunId?: string;
  /** `flowdeck.engine`, `Flow run 'light-potoo'`, `Task run 'fetch-repo-0'`. */
  source: string;
  message: string;
}

/** Identifies the process that owns a run, robust to PID reuse (start time from /proc where available). */
export interface ProcessIdentity {
  pid: number;
  /** Process start time in clock ticks since boot (Linux), or undefined elsewhere. */
  startTicks?: number;
  /** Kernel boot id (Linux); a reboot makes every older identity dead. */
  bootId?: string;
  hostname: string;
}

export interface FlowRunSummary {
  id: string;
  name: string;
  flowName: string;
  /** Where the flow came from: a file path or `builtin:<id>`. */
  source: string;
  parameters: Record<string, unknown>;
  state: State;
  /** Epoch ms when the run was created. */
  created: number;
  startTime?: number;
  endTime?: number;
  parentRunId?: string;
  parentTaskRunId?: string;
  owner: ProcessIdentity;
}

export interface TaskRunRecord {
  id: string;
  flowRunId: string;
  name: string;
  taskName: string;
  state: State;
  attempts: number;
  startTime?: number;
  endTime?: number;
  cacheKey?: string;
  result?: unknown;
}

/** Everything stored about one flow run. */
export interface FlowRunDetail extends FlowRunSummary {
  states: State[];
  taskRuns: TaskRunRecord[];
  result?: unknown;
  /** Lines skipped because they were torn or unreadable. */
  skippedRecords: number;
}
