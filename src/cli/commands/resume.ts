import { resolve } from 'node:path';
import type { FlowRunSummary } from '../../engine/records';
import { neverStartedRefusal } from '../../engine/schedules/neverStartedSlot';
import { isTerminal, stateLabel } from '../../engine/states';
import { endedAsExpiredSuspension } from '../../engine/suspensions';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { decimalNumber } from '../decimalNumber';
import { workersStore } from '../enqueueRun';
import { followRun } from '../followRun';
import { createRunner, openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { knownSecrets } from '../knownSecrets';
import { PausePrompt } from '../pausePrompt';
import { checkedQueue } from '../queueArg';
import { resumeOnItsQueue, resumeOnNamedQueue } from '../queuedResume';
import { resolveRunRef } from '../resolveRun';
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, givenInput, resumePaused, resumeWhenPaused } from '../resumePaused';
import { printRunsJson } from '../runJsonStream';
import { secretParameterArgs, withSecretFlags } from '../secretParameterArgs';

export const RESUME_HELP = `Usage: flowdeck resume <run id, unique id prefix, or name> [--param KEY=- | KEY=VALUE]... [--queue NAME [--root DIR]] [--json]
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
a run. --wait is for a paused run only. A suspended run that workers ran goes back to its queue.

A run given a secret parameter (declared \`secret: true\`) is stored with *** in its place: give its value
again with --param KEY=- (read from stdin's first line: \`flowdeck resume pay-7 --param token=- < token.txt\`)
or --param KEY=VALUE (on the command line, which other users of this machine can see: \`ps\`). Only a
secret parameter takes one; the others are the run's own.

With --queue NAME (a Postgres store), the run — Failed, Crashed, Cancelled, TimedOut or Suspended, run here,
in the editor or by workers — is resumed by a \`flowdeck worker\` of queue NAME instead, and followed there
as \`run --queue --wait\` follows a run (Ctrl-C cancels it). It is a run of that queue from then on. Its flow
file is named as \`run --queue\` names it: by its path below the workspace root, with the file's hash now.

Options:
  --json            print the finished run as one JSON document on stdout (as \`flowdeck run --json\`);
                    with --crashed, the resumed runs as one JSON array (\`[]\` when there were none);
                    for a paused run {"id", "name", "outcome", "state"}, outcome resumed, requested,
                    finished, not-paused or superseded (another resume given at the same moment
                    was taken; this one's input was not used: exit 1)
  --param KEY=-     a secret parameter's value given again, read from stdin's first line (one KEY at most)
  --param KEY=VALUE a secret parameter's value given again (repeatable; visible to other users in \`ps\`)
  --input key=value an input of a paused run (repeatable)
  --inputs JSON     a paused run's input as one JSON object, or @FILE to read it from a file
  --wait SECONDS    how long to wait for a paused run to go on, or a running one to pause
                    (default ${DEFAULT_WAIT_SECONDS}; 0: only ask)
  --queue NAME      resume it on a worker of queue NAME (Postgres store), not here
  --root DIR        with --queue: the workspace root flow files are named relative to (default: here)
  --crashed         resume every run of a flow with \`resumeOnCrash: true\` that a dying host left Crashed
  -h, --help        this help

Exit codes as for \`flowdeck run\`; 2 when the run cannot be resumed (it completed, it is still running
elsewhere, no such run) or the input does not fit. A paused run: 0 once it goes on (or, with --wait 0,
once asked), 1 when it had ended or was still paused when the wait ran out.`;

export async function resumeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('resume', argv, {
    json: { type: 'boolean' },
    crashed: { type: 'boolean' },
    param: { type: 'string', multiple: true },
    input: { type: 'string', multiple: true },
    inputs: { type: 'string' },
    wait: { type: 'string' },
    queue: { type: 'string' },
    root: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    write(io.stdout, RESUME_HELP);
    return EXIT.ok;
  }
  if (values.root !== undefined && values.queue === undefined) throw new UsageError(`--root goes with --queue\n\n${RESUME_HELP}`);
  if (values.param !== undefined) {
    if (values.crashed) throw new UsageError(`--param gives a run's secret parameters again; --crashed takes none (a run resumed on its own after a crash has no way to be given one: let its flow read the secret from its environment)`);
    // A queued resume's parameters wait in the store, which never keeps a secret's value.
    if (values.queue !== undefined) throw new UsageError(`--param gives a run's secret parameters again, here; --queue takes none (what a worker is sent waits in the store, which never keeps a secret: let the flow read it from the worker's environment)`);
  }
  if (values.queue !== undefined) {
    if (values.crashed) throw new UsageError(`--crashed resumes crashed runs here; it takes no --queue (workers resume their own runs that crashed)\n\n${RESUME_HELP}`);
    if (values.wait !== undefined) throw new UsageError(`--wait is for a paused run, which goes on where it runs; it takes no --queue\n\n${RESUME_HELP}`);
    try {
      checkedQueue(values.queue, knownSecrets(io.env));
    } catch (e) {
      throw new UsageError(`flowdeck resume: ${(e as Error).message}`);
    }
  }
  if (values.crashed) {
    if (positionals.length > 0) throw new UsageError(`--crashed takes no run; it resumes every crashed run of a flow with resumeOnCrash\n\n${RESUME_HELP}`);
    return resumeCrashed(io, values.json === true);
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck resume takes one run id, id prefix or name\n\n${RESUME_HELP}`);
  const forPause = values.input !== undefined || values.inputs !== undefined || values.wait !== undefined;
  const waitSeconds = values.wait === undefined ? DEFAULT_WAIT_SECONDS : decimalNumber(values.wait, { fraction: true });
  if (waitSeconds === undefined || !(waitSeconds >= 0 && waitSeconds <= MAX_WAIT_SECONDS)) {
    throw new UsageError(`flowdeck resume: --wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not '${values.wait}'`);
  }
  // Read before the store opens: stdin may hold one.
  const secretParameters = values.param === undefined ? undefined : await secretParameterArgs(values.param, io.stdin);
  const givenAgain = secretParameters === undefined ? {} : { secretParameters };
  const store = await openStore(io);
  try {
    const ref = positionals[0]!;
    const workers = values.queue !== undefined ? workersStore(store) : undefined;
    const { run } = await store.resolve(ref);
    // Its scheduler's to run or let go: a resume here (or on a queue) would race it for the slot.
    const refused = run && neverStartedRefusal(run);
    if (refused) {
      write(io.stderr, neutraliseTerminal(`flowdeck resume: run '${run.name}' ${refused}`));
      return EXIT.badInput;
    }
    const paused = { input: values.input, inputs: values.inputs, waitSeconds, json: values.json === true };
    // Nothing runs a suspended run: this process does, from its checkpoints, its suspension given the input —
    // asked for here, at a terminal, when none was given.
    const resumeSuspended = async (suspended: FlowRunSummary): Promise<number> => {
      const asked = paused.input === undefined && paused.inputs === undefined ? await askAtTerminal(suspended, io) : undefined;
      if (asked === 'unanswered') return EXIT.interrupted;
      const input = asked ?? givenInput(suspended, paused, io);
      if (input === undefined) return EXIT.badInput;
      if (values.queue !== undefined) return resumeOnNamedQueue(store, workers!, suspended, { queue: values.queue, root: resolve(io.cwd, values.root ?? '.'), input, json: values.json === true }, io);
      // A run workers ran goes back to its queue, for a worker to resume (one that has its flow, its secrets).
      const onQueue = store.shared ? await resumeOnItsQueue(store, store.shared, suspended, input, io, values.json === true) : undefined;
      if (onQueue !== undefined) return onQueue;
      return followRun(store, io, { json: values.json === true, resumes: true }, (runner, signal) => secretFlagsSaid(runner.resume(suspended.id, { signal, cwd: io.cwd, input, ...givenAgain }), suspended.name));
    };
    if (run?.state.name === 'Suspended') return await resumeSuspended(run);
    if (run?.state.type === 'PAUSED') {
      if (values.param !== undefined) {
        write(io.stderr, neutraliseTerminal(`flowdeck resume: run '${run.name}' is Paused: it goes on where it runs, with the parameters it has; --param is for a run that ended (or was suspended) given a secret parameter`));
        return EXIT.badInput;
      }
      if (values.queue !== undefined) {
        write(io.stderr, neutraliseTerminal(`flowdeck resume: run '${run.name}' is Paused: it goes on where it runs, given its input (\`flowdeck resume ${run.name} --input …\`); it takes no --queue`));
        return EXIT.badInput;
      }
      return await resumePaused(store, run, paused, io);
    }
    if (forPause) {
      if (!(await resolveRunRef(store, ref, io, 'resume'))) return EXIT.badInput;
      // Still going: its input is given when it pauses (a script answering a pause's notice a moment early).
      if (!isTerminal(run!.state.type)) return await resumeWhenPaused(store, run!, paused, io, resumeSuspended);
      // Its time ran out (this command's opening of the store may have just ended it so): say how it goes on.
      if (endedAsExpiredSuspension(run!)) {
        write(io.stderr, neutraliseTerminal(`flowdeck resume: run '${run!.name}' was suspended and not resumed in time, so it ended Failed (${run!.state.message}). Resume it again without --input to run it from its checkpoints: it is suspended anew, with a new deadline, and takes its input then (\`flowdeck resume ${run!.name}\`)`));
        return EXIT.badInput;
      }
      write(io.stderr, neutraliseTerminal(`flowdeck resume: run '${run!.name}' is ${run!.state.name}, not Paused; --input, --inputs and --wait are for a run its flow paused (pauseFlowRun)`));
      return EXIT.badInput;
    }
    if (values.queue !== undefined) {
      const named = await resolveRunRef(store, ref, io, 'resume');
      if (!named) return EXIT.badInput;
      return await resumeOnNamedQueue(store, workers!, named, { queue: values.queue, root: resolve(io.cwd, values.root ?? '.'), json: values.json === true }, io);
    }
    return await followRun(store, io, { json: values.json === true, resumes: true }, (runner, signal) => secretFlagsSaid(runner.resume(ref, { signal, cwd: io.cwd, ...givenAgain }), ref));
  } finally {
    await store.close();
  }
}

/** A resume refused for want of its secret parameters says how to give them here (`--param`). */
async function secretFlagsSaid<T>(resuming: Promise<T>, ref: string): Promise<T> {
  try {
    return await resuming;
  } catch (e) {
    throw withSecretFlags(e, ref);
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
