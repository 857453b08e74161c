/**
 * Starting a run (or resuming one) from the CLI and following it to its end: its logs and its subflows'
 * stream to stderr, Ctrl-C and SIGTERM cancel it properly (the worker is in another process group, so
 * only this process gets them), a second one stops it at once, `--json` prints the finished run.
 */
import { isPostgresUrl, serverOf } from '../engine/postgres/connection';
import { LEASE_LOST } from '../engine/postgres/hostLease';
import { BadInputError, WorkerKilledWhileLoading, type ActiveRun, type FlowRunner } from '../engine/runner';
import type { RunStore } from '../engine/runStore';
import { neutraliseTerminal } from '../engine/terminalText';
import { createRunner } from './host';
import { EXIT, type CliIo } from './io';
import { LogLineWriter } from './logLineWriter';
import { PausePrompt } from './pausePrompt';
import { ProgressFooter } from './progressFooter';
import { printRunJson } from './runJsonStream';
import { suspendedNotice } from './suspendedNotice';
import { terminalLogLine } from './terminalStyle';

/** How long a run may take to start (its flow to load, the store to take it) before the terminal is told what holds it up. */
const LOAD_NOTICE_MS = 10_000;

/** The store as a user names it, its credentials left out: a Postgres server by its host and port. */
function storeNamed(store: RunStore): string {
  const server = isPostgresUrl(store.location) ? serverOf(store.location) : undefined;
  if (server !== undefined) return `the Postgres server ${server}`;
  return isPostgresUrl(store.location) ? 'the Postgres store' : `the store ${store.location}`;
}

/** `creates`: `start` creates the run; `resumes`: it resumes one (else it takes up one created ahead). */
export async function followRun(store: RunStore, io: CliIo, options: { json: boolean; creates?: boolean; resumes?: boolean }, start: (runner: FlowRunner, signal: AbortSignal) => Promise<ActiveRun>): Promise<number> {
  // Nothing here holds the task runs (a map's can be millions): they go to the store without being folded,
  // and --json reads them back from there.
  const runner = createRunner(store, io, { foldTasks: false });
  const runIds = new Set<string>();
  runner.on('run', (r) => {
    if (runIds.size === 0 || (r.parentRunId && runIds.has(r.parentRunId))) runIds.add(r.id);
  });
  // On a terminal, the run's progress (its progress artifacts) shows on the last line, below the log; and a
  // pause of the run (pauseFlowRun) is answered here when a person is at the terminal.
  const footer = ProgressFooter.for(io.stderr);
  const prompt = PausePrompt.for(io.stdin, io.stderr, {
    pauseOf: (id) => runner.pauseOf(id),
    resumePaused: (id, input) => runner.resumePaused(id, input),
    interrupt: () => process.emit('SIGINT', 'SIGINT'),
  });
  const around = (text: string): string => {
    const below = footer && !prompt?.active ? footer.around(text) : text;
    return prompt ? prompt.around(below) : below;
  };
  if (prompt) {
    runner.on('run', (r) => {
      if (!runIds.has(r.id)) return;
      if (r.state.type === 'PAUSED') {
        // The run's lines up to its pause (it says how to resume it) come before the question.
        lines.flush();
        footer?.clear();
      }
      prompt.onRun(r);
    });
  }
  const lines = new LogLineWriter(io.stderr, around);
  const shown = terminalLogLine(io.stderr);
  // Runs whose writes the store refused because this host lost its lease (Postgres, the database away past
  // 60% of the lease): stopped here, they end in a state nothing records — `Failed('Flowdeck could not
  // record the run…')` — while the store holds them as they were, then Crashed once another process sees the
  // lease lapsed (then their resume, if their flows allow). That end is not said: what is true is, once the run has ended (below).
  const leaseLost = new Set<string>();
  runner.on('log', (l) => {
    if (!runIds.has(l.runId)) return;
    if (leaseLost.has(l.runId) && l.taskRunId === undefined && l.message.startsWith('Finished in state ')) return;
    lines.line(shown(l));
  });
  if (footer) {
    runner.on('artifact', (a) => {
      if (!runIds.has(a.runId) || prompt?.active) return;
      lines.flush();
      footer.progress(a);
    });
  }
  // Anything else said on stderr comes after the log lines before it.
  const say = (text: string): void => {
    lines.flush();
    io.stderr.write(around(text.endsWith('\n') ? text : `${text}\n`));
  };
  /** A write failed: told once that what follows is not on record (the worker, subflows and all, is stopped). */
  let unrecorded = false;
  runner.on('storeError', (runId, e) => {
    // The writes a Ctrl-C gave up before the run started: said once, below, as the start's end.
    if (loading.signal.aborted && e === loading.signal.reason) return;
    if ((e as { code?: unknown }).code === LEASE_LOST) leaseLost.add(runId);
    say(`flowdeck: ${e.message}`);
    // The worker runs ahead of the store, and what it had sent still shows: said so, once, as it is stopped.
    if ((e as { code?: unknown }).code !== LEASE_LOST && !unrecorded) {
      unrecorded = true;
      say('flowdeck: the run is being stopped as it cannot be recorded: what it shows from here on (task runs finishing) is not on record, and those task runs run again if it is resumed.');
    }
  });

  let active: ActiveRun | undefined;
  const loading = new AbortController();
  let interrupts = 0;
  let stoppedAtOnce = false;
  /** The signal that came before the run started. */
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!active) {
      interruptedBy ??= signal;
      // Its flow loading, or its run being created (on Postgres, maybe waiting on a lock): given up either way.
      loading.abort(
        new Error(
          options.creates
            ? `Stopped by ${signal} before the run started; no run was created`
            : options.resumes
              ? `Stopped by ${signal} before the run was resumed; it stays as it was`
              : `Stopped by ${signal} while the flow was loading; no run was started`,
        ),
      );
      return;
    }
    interrupts++;
    if (interrupts === 1) {
      // Ended, its hooks still running: they are stopped (the run's state stays as it ended).
      if (runner.hooksGoing(active.id)) say(`Flow run '${active.name}' has ended; stopping its hooks, which still run (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to stop them at once)…`);
      else if (signal === 'SIGINT') say(`Cancelling flow run '${active.name}' (Ctrl-C again to stop at once)…`);
      runner.cancel(active.id, signal === 'SIGINT' ? 'Cancelled by Ctrl-C' : `Cancelled: the flowdeck process was asked to stop (${signal})`);
    } else {
      stoppedAtOnce = true;
      runner.kill(active.id, signal === 'SIGINT' ? 'Stopped at once by a second Ctrl-C' : `Stopped at once by a second ${signal}`);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  try {
    // Loading takes a second or two: much longer, either its worker is held before the file's code runs (a
    // preload, too few file descriptors: no fault of the file's) or what the file does as it is imported is slow.
    // Outside its loading the start waits on the store (on Postgres, a table another session locked).
    let flowLoading: 'worker' | 'file' | undefined;
    let workerStartSeconds = 0;
    runner.on('flowLoading', (seconds) => {
      flowLoading = 'worker';
      workerStartSeconds = seconds;
    });
    runner.on('flowFileRunning', () => (flowLoading = 'file'));
    runner.on('flowLoaded', () => (flowLoading = undefined));
    const slow = setTimeout(() => {
      const after = `flowdeck: still loading the flow after ${LOAD_NOTICE_MS / 1000} s:`;
      if (flowLoading === 'worker') say(`${after} its worker process has not started yet (killed if it has not in ${workerStartSeconds} s: FLOWDECK_WORKER_START_SECONDS); something holds it before the file's code runs (a preload in NODE_OPTIONS, too few file descriptors left). Ctrl-C stops it.`);
      else if (flowLoading === 'file') say(`${after} the flow file's top level is still running (its imports and top-level code: a top-level await or loop, a slow import), and the run does not start till it ends. Ctrl-C stops it.`);
      else say(`flowdeck: still waiting for the store after ${LOAD_NOTICE_MS / 1000} s: ${storeNamed(store)} has not taken the run's ${options.creates ? 'creation' : options.resumes ? 'resume' : 'start'} (another session may hold a lock on its tables) and the run does not start till it does. Ctrl-C stops it.`);
    }, LOAD_NOTICE_MS);
    try {
      active = await start(runner, loading.signal);
      // Its creation was done as the signal came: the run is cancelled as one going on would be.
      if (loading.signal.aborted) onSignal(interruptedBy ?? 'SIGINT');
    } catch (e) {
      if (e instanceof BadInputError) {
        // The message can quote the flow (its own parameter check, a compile error in its source).
        say(`flowdeck: ${neutraliseTerminal(e.message)}`);
        return EXIT.badInput;
      }
      // Killed from outside as its file loaded, or refused by a system limit: the file is not at fault.
      if (e instanceof WorkerKilledWhileLoading) {
        say(`flowdeck: ${neutraliseTerminal(e.message)}`);
        return EXIT.runFailed;
      }
      if (loading.signal.aborted) {
        say(`flowdeck: ${(e as Error).message}`);
        return EXIT.interrupted;
      }
      throw e;
    } finally {
      clearTimeout(slow);
    }
    const detail = await active.done;
    prompt?.close();
    lines.flush();
    footer?.clear();
    // Suspended (suspendFlowRun): nothing runs it now; say how it goes on.
    if (detail.state.name === 'Suspended') say(neutraliseTerminal(suspendedNotice(detail)));
    const lost = leaseLost.has(detail.id) || (active.failedToRecord as { code?: unknown } | undefined)?.code === LEASE_LOST;
    if (lost) {
      say(neutraliseTerminal(`flowdeck: flow run '${detail.name}' lost: this host lost its lease while it ran, so it was stopped here and its end is not recorded (it is not Failed): the store marks it Crashed once the lease lapses (and resumes it elsewhere if its flow has resumeOnCrash). \`flowdeck inspect ${detail.id}\` shows its state.`));
      // The run as the store holds it (Running until the lease lapses, then Crashed), not the end it could not record.
      if (options.json) {
        try {
          await printRunJson(store, detail.id, io, undefined, { endNotRecorded: true });
        } catch (e) {
          say(`flowdeck: could not read flow run '${neutraliseTerminal(detail.name)}' from the store to print its JSON: ${(e as Error).message}`);
        }
      }
      return stoppedAtOnce ? EXIT.interrupted : EXIT.runFailed;
    }
    if (options.json) await printRunJson(store, detail.id, io, detail);
    if (stoppedAtOnce) return EXIT.interrupted;
    return detail.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
  } finally {
    prompt?.close();
    lines.flush();
    footer?.clear();
    for (const sig of signals) process.off(sig, onSignal);
  }
}
