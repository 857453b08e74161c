/**
 * `flowdeck resume` through the workers' queue: a suspended run that workers ran goes back to its own queue,
 * and `--queue NAME` sends any run that did not complete — run here, in the editor or by workers — to the
 * workers of that queue. Either way a worker resumes it from its checkpoints, followed here as
 * `run --queue --wait` follows a run.
 */
import { queuedSourceOfRun } from '../engine/queuedFlow';
import type { FlowRunSummary, PauseInputRecord } from '../engine/records';
import { BadInputError } from '../engine/runRequest';
import type { RunStore } from '../engine/runStore';
import { SecretMasker, secretsFromEnv } from '../engine/secrets';
import type { QueueResumeRequest, QueuedResume, SharedStore } from '../engine/sharedStore';
import { isTerminal, stateLabel } from '../engine/states';
import { suspensionInput } from '../engine/suspensions';
import { neutraliseTerminal } from '../engine/terminalText';
import { followQueued } from './followQueued';
import { EXIT, write, type CliIo } from './io';

/**
 * A suspended run that workers ran, resumed on its queue: its input recorded and a worker handed its next
 * attempt, then followed. Undefined when it was not queued (it runs here).
 */
export async function resumeOnItsQueue(store: RunStore, shared: SharedStore, run: FlowRunSummary, input: Record<string, unknown>, io: CliIo, json: boolean): Promise<number | undefined> {
  const checked = suspensionInput(run, input, new SecretMasker(secretsFromEnv(io.env)));
  if ('problem' in checked || !checked.record) return undefined;
  const queued = await shared.resumeQueued(run.id, checked.record);
  if (queued.outcome === 'not-queued') return undefined;
  return followResume(store, shared, run, queued, io, json);
}

export interface NamedQueueResume {
  queue: string;
  /** The workspace root flow files are named relative to. */
  root: string;
  /** A suspended run's input, given or asked for. */
  input?: Record<string, unknown>;
  json: boolean;
}

/**
 * `flowdeck resume <run> --queue NAME`: the run — Failed, Crashed, Cancelled, TimedOut, or Suspended with
 * its input — becomes a run of queue NAME, its flow named as workers find it, and a worker of that queue
 * resumes it; followed to its end. Exit 2, saying why, for a run that cannot be resumed so.
 */
export async function resumeOnNamedQueue(store: RunStore, shared: SharedStore, run: FlowRunSummary, options: NamedQueueResume, io: CliIo): Promise<number> {
  const refuse = (why: string): number => {
    write(io.stderr, neutraliseTerminal(`flowdeck resume: ${why}`));
    return EXIT.badInput;
  };
  if (run.parentRunId) {
    const root = (await store.get(run.parentRunId))?.name ?? run.parentRunId;
    return refuse(`run '${run.name}' is a subflow run; resume its parent run '${root}', which resumes it too`);
  }
  if (run.state.type === 'COMPLETED') return refuse(`run '${run.name}' completed; there is nothing to resume. Run its flow again for a new run.`);
  const suspended = run.state.name === 'Suspended';
  if (!suspended && !isTerminal(run.state.type)) {
    return refuse(`run '${run.name}' is ${run.state.name}: only a run that ended (Failed, Crashed, Cancelled, TimedOut) or is Suspended can be sent to a queue; cancel it first, or wait for it to end`);
  }
  let record: PauseInputRecord | undefined;
  if (suspended) {
    const checked = suspensionInput(run, options.input ?? {}, new SecretMasker(secretsFromEnv(io.env)));
    if ('problem' in checked) return refuse(checked.problem);
    record = checked.record;
    if (!record) return refuse(`run '${run.name}' is suspended without a key to give its input under; resume it here, without --queue`);
  }
  let source: QueueResumeRequest['source'];
  try {
    source = await queuedSourceOfRun(run, options.root);
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    return refuse(`run '${run.name}' cannot be sent to queue '${options.queue}': ${e.message}`);
  }
  const queued = await shared.resumeOnQueue(run.id, { queue: options.queue, seen: { attempt: run.attempt, state: run.state.name }, ...(source ? { source } : {}), ...(record ? { record } : {}) });
  return followResume(store, shared, run, queued, io, options.json);
}

/** Says where the run went and follows it there, or why it was not sent. */
async function followResume(store: RunStore, shared: SharedStore, run: FlowRunSummary, queued: QueuedResume, io: CliIo, json: boolean): Promise<number> {
  if (queued.outcome !== 'queued') {
    const now = (await store.get(run.id)) ?? run;
    const follow = `\`flowdeck logs ${run.name} --follow\` follows it`;
    write(io.stderr, neutraliseTerminal(
      queued.outcome === 'resumed-already'
        ? run.state.name === 'Suspended'
          ? `flowdeck resume: run '${run.name}' was resumed already: its input is given, and a worker of its queue resumes it (${follow})`
          : `flowdeck resume: run '${run.name}' is being resumed already (${follow})`
        : queued.outcome === 'not-suspended'
          ? `flowdeck resume: run '${run.name}' is ${stateLabel(now.state)} now, not Suspended: nothing to resume`
          : `flowdeck resume: run '${run.name}' is ${stateLabel(now.state)} now${now.attempt !== run.attempt ? ` (attempt ${now.attempt})` : ''}, not as it was read: nothing sent`,
    ));
    return EXIT.badInput;
  }
  write(io.stderr, neutraliseTerminal(`Flow run '${run.name}' goes back to queue '${queued.queue}': a worker resumes it from its checkpoints…`));
  return followQueued(store, shared, io, run.id, { json, afterSeq: queued.seq, subflowSeqs: queued.subflowSeqs, resuming: true });
}
