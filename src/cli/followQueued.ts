/**
 * `flowdeck run … --queue NAME --wait`: follows a run a worker elsewhere runs, from the store — its logs
 * and its subflows' as they are written (LISTEN/NOTIFY wakes it; nothing polls), until it ends. Ctrl-C
 * asks for the run to be cancelled wherever it runs; a second one stops following at once. At a terminal,
 * a pause of the run is answered here (pausePrompt.ts), the input sent through the store.
 */
import type { FlowRunSummary } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import type { RecordKinds, SharedStore } from '../engine/sharedStore';
import { isSettled, stateLabel } from '../engine/states';
import { neutraliseTerminal } from '../engine/terminalText';
import { EXIT, write, type CliIo } from './io';
import { PausePrompt } from './pausePrompt';
import { printRunJson } from './runJsonStream';
import { suspendedNotice } from './suspendedNotice';
import { CRASH_LOOK_MS } from './followLogs';
import { terminalLogLine } from './terminalStyle';

/** A missed notification (a reconnect) costs at most this long a pause: a bound, not a polling loop. */
const WAKE_MS = 10_000;
/** How soon a run whose resume a worker is taking up (or letting go of) is looked at again. */
const TAKING_MS = 250;
/** How soon an unreachable store is tried again. */
const UNREACHABLE_MS = 1000;
/** Only log lines are printed: a big map's task runs are left out by the query, not read and dropped. */
const LOGS: RecordKinds = { only: ['log'] };

export interface FollowQueuedOptions {
  json: boolean;
  /** Its journal from after this record (a resumed run: what its earlier attempts logged is not shown again). */
  afterSeq?: number;
  /** Its subflow runs' journals from after these records (a resumed run: theirs of earlier attempts neither). */
  subflowSeqs?: Readonly<Record<string, number>>;
  /** A run sent to its queue to be resumed (the command said so): its wait for a worker is not said again. */
  resuming?: boolean;
}

export async function followQueued(store: RunStore, shared: SharedStore, io: CliIo, runId: string, options: FollowQueuedOptions): Promise<number> {
  let wake: () => void = () => undefined;
  const nudge = (): void => wake();
  // The store unreachable (its server restarting, the network cut): said once, and looked at again shortly.
  let unreachable = false;
  const off = shared.watch({
    runs: nudge,
    journal: nudge,
    resync: nudge,
    health: (h) => {
      if (h.ok || unreachable) return;
      unreachable = true;
      write(io.stderr, `flowdeck: ${h.message ?? 'the store is unreachable'}; still following`);
    },
  });
  // On a terminal, a pause of the run (pauseFlowRun) is answered here, as `flowdeck run` answers one: the
  // input goes through the store to the worker running it, whose host checks it again.
  const latest = new Map<string, FlowRunSummary>();
  const prompt = PausePrompt.for(io.stdin, io.stderr, {
    pauseOf: (id) => (latest.get(id)?.state.name === 'Paused' ? latest.get(id)!.state.pause : undefined),
    resumePaused: (id, input) => {
      const name = latest.get(id)?.name ?? id;
      store.requestResumePaused(id, input).then(
        (outcome) => outcome !== 'requested' && say(`flowdeck: could not resume flow run '${name}': it is ${outcome === 'finished' ? 'over' : outcome === 'unknown' ? 'gone' : 'no longer paused'}`),
        (e: Error) => say(`flowdeck: could not resume flow run '${name}': ${e.message}`),
      );
      return undefined;
    },
    interrupt: () => process.emit('SIGINT', 'SIGINT'),
  });
  // Text on stderr goes above a question on screen.
  const say = (text: string): void => void io.stderr.write(prompt ? prompt.around(`${text}\n`) : `${text}\n`);
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      say('Cancelling the run wherever it runs (Ctrl-C again to stop following at once)…');
      void shared.requestCancel(runId, signal === 'SIGINT' ? 'Cancelled by Ctrl-C' : `Cancelled: the flowdeck process was asked to stop (${signal})`).catch((e: Error) => say(`flowdeck: ${e.message}`));
    }
    nudge();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  // The run and its subflows: each journal read from where it was left.
  const seen = new Map<string, number>([...Object.entries(options.subflowSeqs ?? {}), [runId, options.afterSeq ?? 0]]);
  const shown = terminalLogLine(io.stderr);
  type Look = { end?: number };
  let crashLooked = 0;
  /** Prints what the run and its subflow runs logged since the last read. */
  const printLogs = async (): Promise<void> => {
    for (const [id, after] of seen) {
      for (let last = after; ; ) {
        const { records, last: next, full } = await shared.readRecords(id, last, 2000, LOGS);
        // One write for the batch: a write a line is a system call a line.
        let text = '';
        for (const r of records) if (r.k === 'log') text += `${shown(r)}\n`;
        if (text !== '') io.stderr.write(prompt ? prompt.around(text) : text);
        seen.set(id, next);
        if (!full) break;
        last = next;
      }
    }
  };
  /** One look at the run: prints what it logged since, and says how it ended once it has (`end`, the exit code). */
  const lookOnce = async (): Promise<Look> => {
    // A live process that follows settles what dead hosts left (a worker gone: its run Crashed, and queued to
    // be resumed where its flow allows), as every writer does now and then — with no worker alive, nobody else may.
    if (!store.readOnly && Date.now() - crashLooked >= CRASH_LOOK_MS) {
      crashLooked = Date.now();
      await store.markCrashed();
    }
    // The state first, then the records: a run seen final has all its records written (its final state
    // comes after them), so this read prints them all. Read the other way round, a run that ended between
    // the two reads was reported without its last lines (a quick failure without its error).
    const run = await store.get(runId);
    const tree = await store.runTree(runId);
    for (const r of tree) if (!seen.has(r.id)) seen.set(r.id, 0);
    await printLogs();
    if (!run) {
      say(`flowdeck: run ${runId} is no longer in the store`);
      return { end: EXIT.runFailed };
    }
    if (prompt) {
      // After the lines up to the pause (they say how to resume it): the question comes last.
      for (const r of [run, ...tree.filter((t) => t.id !== runId)]) {
        latest.set(r.id, r);
        prompt.onRun(r);
      }
    }
    if (!isSettled(run.state)) return {};
    if (run.state.type !== 'COMPLETED') {
      // Ended, and a worker of its queue is to resume it — it crashed with retries left or resumeOnCrash,
      // it was sent to be (`resume --queue`, a suspended run's input): not over. Over once nothing will
      // (withdrawn by a cancel; the worker that took it could not resume it, its log saying why).
      const pending = await shared.resumePending(runId, run.attempt + 1);
      if (pending !== 'none') {
        if (resumeSaid !== run.attempt && run.state.name !== 'Suspended' && !options.resuming) say(neutraliseTerminal(`Flow run '${run.name}' ended ${stateLabel(run.state)}; a worker of its queue resumes it (attempt ${run.attempt + 1})…`));
        resumeSaid = run.attempt;
        // A worker holding its job unclaimed soon claims it or lets go of it (which nothing announces): looked at again shortly.
        if (pending === 'taking') setTimeout(nudge, TAKING_MS).unref();
        return {};
      }
      // Taken over, run and its job done between the reads: looked at again.
      const now = await store.get(runId);
      if (now && (now.attempt !== run.attempt || now.seq !== run.seq)) return lookOnce();
      // Nothing resumes it now: a worker that took its resume and could not do it logged why before it let
      // the resume go (queueWorker's noteUnresumed), which may be after the lines above were read.
      await printLogs();
    }
    // Suspended: nothing runs it until a resume; said, as `flowdeck run` says it.
    if (run.state.name === 'Suspended') say(neutraliseTerminal(suspendedNotice(run)));
    if (options.json) await printRunJson(store, runId, io);
    return { end: interrupts > 1 ? EXIT.interrupted : run.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed };
  };
  // An ended run a worker of its queue is to resume (it crashed and may be, it was sent to be): said once an attempt.
  let resumeSaid = -1;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      // Not unref'd: this process follows the run, and lives until it ends (its connections may all be gone).
      const woken = new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, WAKE_MS);
      });
      let look: Look;
      try {
        look = await lookOnce();
      } catch (e) {
        if (!shared.unreachable(e)) throw e;
        if (!unreachable) say(`flowdeck: the store is unreachable (${(e as Error).message}); still following`);
        unreachable = true;
        if (interrupts > 1) return EXIT.interrupted;
        // Tried again shortly (or at once on a notification or Ctrl-C), not after a whole WAKE_MS.
        clearTimeout(timer);
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, UNREACHABLE_MS);
        });
        continue;
      }
      if (unreachable) say('flowdeck: the store answers again; following');
      unreachable = false;
      if (look.end !== undefined) return look.end;
      if (interrupts > 1) return EXIT.interrupted;
      await woken;
      clearTimeout(timer);
    }
  } finally {
    clearTimeout(timer);
    prompt?.close();
    off();
    for (const sig of signals) process.off(sig, onSignal);
  }
}
