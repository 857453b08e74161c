import type { FlowRunSummary } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import type { SharedStore } from '../../engine/sharedStore';
import { suspensionInput } from '../../engine/suspensions';
import { isTerminal, stateLabel } from '../../engine/states';
import { neutraliseTerminal } from '../../engine/terminalText';
import { followRun } from '../followRun';
import { printRunsJson } from '../runJsonStream';
import { createRunner, openStore } from '../host';
import { parseCommandArgs } from '../args';
import { followQueued } from '../followQueued';
import { PausePrompt } from '../pausePrompt';
import { resolveRunRef } from '../resolveRun';
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, givenInput, resumePaused, resumeWhenPaused } from '../resumePaused';
import { EXIT, UsageError, write, type CliIo } from '../io';

export const RESUME_HELP = `Usage: flowdeck resume <run id, unique id prefix, or name> [--json]
       flowdeck resume <paused or suspended run> [--input key=value]... [--inputs JSON | @FILE] [--wait SECONDS] [--json]
       flowdeck resume --crashed [--json]

Resumes a run that did not complete (Failed, Crashed, Cancelled, TimedOut): the same run, a new attempt.
Task calls that completed in an earlier attempt with the same arguments return their kept result
without running again; failed, cancelled and never-reached calls run; subflows resume the same way.
The flow function itself runs again from the top, so code between tasks must be safe to repeat.

A Paused run (its flow called pauseFlowRun) goes on where it waits, wherever it runs, with the input it
waits for: each --input is read by the input's declared type, --inputs is one JSON object (or @FILE).
The input is checked here first; then waits for the run to go on and prints its state.
A Suspended run (suspendFlowRun) runs here, from its checkpoints, its suspension given the input (recorded
with the run; at a terminal without --input, asked for one line each); followed as \`flowdeck run\` follows
a run. --wait is for a paused run only.

Options:
  --json            print the finished run as one JSON document on stdout (as \`flowdeck run --json\`);
                    with --crashed, the resumed runs as one JSON array (\`[]\` when there were none);
                    for a paused run {"id", "name", "outcome", "state"}, outcome resumed, requested,
                    finished or not-paused
  --input key=value an input of a paused run (repeatable)
  --inputs JSON     a paused run's input as one JSON object, or @FILE to read it from a file
  --wait SECONDS    how long to wait for a paused run to go on, or a running one to pause
                    (default ${DEFAULT_WAIT_SECONDS}; 0: only ask)
  --crashed         resume every run of a flow with \`resumeOnCrash: true\` that a dying host left Crashed
  -h, --help        this help

Exit codes as for \`flowdeck run\`; 2 when the run cannot be resumed (it completed, it is still running
elsewhere, no such run) or the input does not fit. A paused run: 0 once it goes on (or, with --wait 0,
once asked), 1 when it had ended or was still paused when the wait ran out.`;

export async function resumeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('resume', argv, {
    json: { type: 'boolean' },
    crashed: { type: 'boolean' },
    input: { type: 'string', multiple: true },
    inputs: { type: 'string' },
    wait: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    write(io.stdout, RESUME_HELP);
    return EXIT.ok;
  }
  if (values.crashed) {
    if (positionals.length > 0) throw new UsageError(`--crashed takes no run; it resumes every crashed run of a flow with resumeOnCrash\n\n${RESUME_HELP}`);
    return resumeCrashed(io, values.json === true);
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck resume takes one run id, id prefix or name\n\n${RESUME_HELP}`);
  const forPause = values.input !== undefined || values.inputs !== undefined || values.wait !== undefined;
  const waitSeconds = values.wait === undefined ? DEFAULT_WAIT_SECONDS : Number(values.wait);
  if (!/^\d+(\.\d+)?$/.test(values.wait ?? '0') || !(waitSeconds >= 0 && waitSeconds <= MAX_WAIT_SECONDS)) {
    throw new UsageError(`flowdeck resume: --wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not '${values.wait}'`);
  }
  const store = await openStore(io);
  try {
    const ref = positionals[0]!;
    const { run } = await store.resolve(ref);
    const paused = { input: values.input, inputs: values.inputs, waitSeconds, json: values.json === true };
    // Nothing runs a suspended run: this process does, from its checkpoints, its suspension given the input —
    // asked for here, at a terminal, when none was given.
    const resumeSuspended = async (suspended: FlowRunSummary): Promise<number> => {
      const asked = paused.input === undefined && paused.inputs === undefined ? await askAtTerminal(suspended, io) : undefined;
      if (asked === 'unanswered') return EXIT.interrupted;
      const input = asked ?? givenInput(suspended, paused, io);
      if (input === undefined) return EXIT.badInput;
      // A run workers ran goes back to its queue, for a worker to resume (one that has its flow, its secrets).
      const onQueue = store.shared ? await resumeOnQueue(store, store.shared, suspended, input, io, values.json === true) : undefined;
      if (onQueue !== undefined) return onQueue;
      return followRun(store, io, { json: values.json === true }, (runner, signal) => runner.resume(suspended.id, { signal, cwd: io.cwd, input }));
    };
    if (run?.state.name === 'Suspended') return await resumeSuspended(run);
    if (run?.state.type === 'PAUSED') return await resumePaused(store, run, paused, io);
    if (forPause) {
      if (!(await resolveRunRef(store, ref, io, 'resume'))) return EXIT.badInput;
      // Still going: its input is given when it pauses (a script answering a pause's notice a moment early).
      if (!isTerminal(run!.state.type)) return await resumeWhenPaused(store, run!, paused, io, resumeSuspended);
      write(io.stderr, neutraliseTerminal(`flowdeck resume: run '${run!.name}' is ${run!.state.name}, not Paused; --input, --inputs and --wait are for a run its flow paused (pauseFlowRun)`));
      return EXIT.badInput;
    }
    return await followRun(store, io, { json: values.json === true }, (runner, signal) => runner.resume(ref, { signal, cwd: io.cwd }));
  } finally {
    await store.close();
  }
}

async function resumeCrashed(io: CliIo, json: boolean): Promise<number> {
  const store = await openStore(io);
  try {
    const runner = createRunner(store, io);
    const started = await runner.resumeCrashed({ cwd: io.cwd });
    if (started.length === 0) {
      // With --json, stdout holds only the document: an empty array.
      if (json) await printRunsJson(store, [], io.stdout);
      write(json ? io.stderr : io.stdout, 'No crashed runs to resume (only runs of flows with resumeOnCrash: true that a dying host left Crashed are resumed).');
      return EXIT.ok;
    }
    for (const a of started) write(io.stderr, neutraliseTerminal(`Resuming flow run '${a.name}' (${a.flowName})…`));
    const ends = await Promise.all(started.map((a) => a.done));
    if (json) await printRunsJson(store, ends, io.stdout);
    else for (const d of ends) write(io.stdout, neutraliseTerminal(`${d.name}  ${d.flowName}  ${stateLabel(d.state)}`));
    return ends.every((d) => d.state.type === 'COMPLETED') ? EXIT.ok : EXIT.runFailed;
  } finally {
    await store.close();
  }
}

/**
 * At a terminal (stdin and stderr both), the input a suspended run waits for, asked one line each as a
 * `flowdeck run` asks a pause's; 'unanswered' when the person stopped (Ctrl-C, Ctrl-D). Undefined elsewhere,
 * or when it waits for no input: the input is then what --input/--inputs give.
 */
async function askAtTerminal(run: FlowRunSummary, io: CliIo): Promise<Record<string, unknown> | 'unanswered' | undefined> {
  if (Object.keys(run.state.pause?.input ?? {}).length === 0) return undefined;
  return new Promise((resolve) => {
    const prompt = PausePrompt.for(io.stdin, io.stderr, {
      pauseOf: () => run.state.pause,
      resumePaused: (_id, input) => {
        resolve(input);
        return undefined;
      },
      interrupt: () => resolve('unanswered'),
      unanswered: () => resolve('unanswered'),
    });
    if (!prompt) resolve(undefined);
    else prompt.onRun(run);
  });
}

/**
 * A suspended run that workers ran, resumed on its queue: its input recorded and a worker handed its next
 * attempt, then followed there as \`run --queue --wait\` follows a run. Undefined when it was not queued
 * (it runs here).
 */
async function resumeOnQueue(store: RunStore, shared: SharedStore, run: FlowRunSummary, input: Record<string, unknown>, io: CliIo, json: boolean): Promise<number | undefined> {
  const checked = suspensionInput(run, input, new SecretMasker(secretsFromEnv(io.env)));
  if ('problem' in checked || !checked.record) return undefined;
  const queued = await shared.resumeQueued(run.id, checked.record);
  if (queued.outcome === 'not-queued') return undefined;
  if (queued.outcome !== 'queued') {
    const now = (await store.get(run.id)) ?? run;
    write(io.stderr, neutraliseTerminal(queued.outcome === 'resumed-already'
      ? `flowdeck resume: run '${run.name}' was resumed already: its input is given, and a worker of its queue resumes it (\`flowdeck logs ${run.name} --follow\` follows it)`
      : `flowdeck resume: run '${run.name}' is ${stateLabel(now.state)} now, not Suspended: nothing to resume`));
    return EXIT.badInput;
  }
  write(io.stderr, neutraliseTerminal(`Flow run '${run.name}' goes back to queue '${queued.queue}': a worker resumes it from its checkpoints…`));
  return followQueued(store, shared, io, run.id, { json, afterSeq: queued.seq, subflowSeqs: queued.subflowSeqs, suspendedAttempt: run.attempt });
}
