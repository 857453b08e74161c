/** What starting a run asks for, and the error for a request that is wrong before any run exists. */
import type { FlowSource, LoadRejection } from './protocol';
import type { RunTrigger } from './records';
import { shareErrorClass } from './sharedErrorClass';

export interface RunRequest {
  source: FlowSource;
  /** Which flow of a file holding several. */
  flowName?: string;
  parameters?: Record<string, unknown>;
  /**
   * Parameters as typed on a command line (`--param key=value`), read by the worker by each one's declared
   * type, which only the loaded flow knows: a string parameter keeps `2.0` as text. They win over
   * `parameters` of the same name.
   */
  parameterText?: Record<string, string>;
  /**
   * Values of parameters declared secret, given again: a resume's or a rerun's, whose run's records hold `***`
   * in their place. Masked before anything can quote them; they win over `parameters`. Only a parameter the
   * flow declares secret takes one: any other is refused (BadInputError), the run's own value being the one.
   */
  secretParameters?: Record<string, string>;
  /** Extra environment for the worker (a token from the editor's sign-in); values named like secrets are masked. */
  env?: Record<string, string>;
  /** The user code's working directory; the host's own when unset (the CLI's shell folder). */
  cwd?: string;
  trigger?: RunTrigger;
  /**
   * Prefect's `PREFECT_TASKS_REFRESH_CACHE`: every task with a `cacheKey`, in the run and its subflows, runs
   * instead of returning a cached result, and its result replaces the cached one. Kept on the run: its
   * later attempts (a resume) refresh too.
   */
  refreshCache?: boolean;
  /** The key `flowdeck run --idempotency-key` started it with (idempotentRun.ts), kept on the run. */
  idempotencyKey?: string;
  /** Tags the run carries besides its flow's own (`flowdeck run --tag`), checked (runTags.ts). */
  tags?: string[];
  /**
   * The new run's id, chosen ahead (a fresh `randomUUID()`): `run --idempotency-key` records it as the key's
   * run before the run exists, so a host that dies at any moment leaves no run of the key unrecorded.
   */
  runId?: string;
}

/** `taken`: another process has the run now (resumed meanwhile, running, or deleted): not for this one to resume. */
export type BadInputReason = Exclude<LoadRejection, 'system-limit'> | 'missing-file' | 'unknown-builtin' | 'not-resumable' | 'taken' | 'invalid-input';

/** The request itself is wrong: no run was created. */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  constructor(
    readonly reason: BadInputReason,
    message: string,
    /**
     * Refused as its secret parameters `***` stand in for were not given again (a resume, a rerun): their
     * names, to ask for them (RunRequest.secretParameters).
     */
    readonly secretsNotKept?: readonly string[],
  ) {
    super(message);
  }
}
shareErrorClass(BadInputError, 'BadInputError');
