/**
 * Messages between the host (which owns the store and the run's state) and the worker process (which
 * runs user code). Events are batched by the worker; requests carry ids and replies echo them.
 */
import type { LogLevel } from './records';
import type { ParameterDeclarations } from './parameters';
import type { State, StateName } from './states';

/** Where a flow comes from. */
export type FlowSource = { kind: 'file'; path: string } | { kind: 'builtin'; id: string };

export interface FlowInfo {
  name: string;
  description?: string;
  version?: string;
  timeoutSeconds?: number;
  parameters?: ParameterDeclarations;
  /** The export it was found under (`default` or a named export). */
  exportName: string;
  /** Whether the flow has onCrashed hooks, which the host runs in a fresh worker after a crash. */
  hasCrashedHooks?: boolean;
}

export type HostToWorker =
  | { t: 'load'; source: FlowSource; modulePath: string; flowName?: string; parameters: Record<string, unknown>; home: string }
  | { t: 'start'; runId: string; runName: string }
  | { t: 'cancel'; reason: string }
  | { t: 'reply'; reqId: number; value?: unknown; error?: string }
  | { t: 'crashed-hook'; runId: string; runName: string; message: string };

export type LoadRejection = 'no-flow' | 'compile' | 'module' | 'invalid-parameters';

export type WorkerEvent =
  | { k: 'task'; id: string; runId: string; name: string; task: string; ts: number; cacheKey?: string }
  /** A state change; `deadline` (epoch ms) tells the host when to kill a worker that cannot honour a timeout. */
  | { k: 'state'; id: string; kind: 'flow' | 'task'; state: State; attempt?: number; deadline?: number }
  /** A task-run state change without a message: the hot path of mapped tasks, kept small on the wire. */
  | { k: 'ts'; id: string; n: StateName; ts: number; a?: number }
  | { k: 'log'; runId: string; task?: string; level: LogLevel; source: string; msg: string; ts: number }
  | { k: 'result'; id: string; kind: 'flow' | 'task'; value: unknown }
  | { k: 'secret'; value: string }
  | { k: 'credentials'; service: string; patch: Record<string, unknown> };

export type Request =
  | { op: 'subflow'; parentRunId: string; parentTaskRunId?: string; flowName: string; parameters: Record<string, unknown> }
  | { op: 'cache-get'; key: string }
  | { op: 'cache-put'; key: string; value: unknown; expiresAt?: number }
  | { op: 'kv-get'; namespace: string; key: string }
  | { op: 'kv-set'; namespace: string; key: string; value: unknown };

export type WorkerToHost =
  | { t: 'ready'; flow: FlowInfo; parameters: Record<string, unknown> }
  | { t: 'rejected'; reason: LoadRejection; message: string }
  | { t: 'events'; events: WorkerEvent[] }
  | ({ t: 'request'; reqId: number } & Request)
  /** The worker is about to die of an uncaught error; the host adds this to the Crashed message. */
  | { t: 'fatal'; message: string }
  | { t: 'finished' };
