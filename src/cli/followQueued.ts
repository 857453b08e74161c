/**
 * `flowdeck run … --queue NAME --wait`: follows a run a worker elsewhere runs, from the store — its logs
 * and its subflows' as they are written (LISTEN/NOTIFY wakes it; nothing polls), until it ends. Ctrl-C
 * asks for the run to be cancelled wherever it runs; a second one stops following at once. At a terminal,
 * a pause of the run is answered here (pausePrompt.ts), the input sent through the store.
 */
import type { FlowRunSummary } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import type { RecordKinds, SharedStore } from '../engine/sharedStore';
import { isSettled } from '../engine/states';
import { neutraliseTerminal } from '../engine/terminalText';
import { EXIT, write, type CliIo } from './io';
import { PausePrompt } from './pausePrompt';
import { printRunJson } from './runJsonStream';
import { suspendedNotice } from './suspendedNotice';
import { terminalLogLine } from './terminalStyle';

/** A missed notification (a reconnect) costs at most this long a pause: a bound, not a polling loop. */
const WAKE_MS = 10_000;
/** How soon a run whose resume a worker is taking up (or letting go of) is looked at again. */
const TAKING_MS = 250;
/** Only log lines are printed: a big map's task runs are left out by the query, not read and dropped. */
const LOGS: RecordKinds = { only: ['log'] };

export interface FollowQueuedOptions {
  json: boolean;
  /** Its journal from after this record (a resumed run: what its earlier attempts logged is not shown again). */
  afterSeq?: number;
  /** Its subflow runs' journals from after these records (a resumed run: theirs of earlier attempts neither). */
  subflowSeqs?: Readonly<Record<string, number>>;
  /**
   * A run sent to its queue to be resumed: its attempt and state's sequence number as sent, which a worker's
   * resume leaves; until then it is not over (unless the worker says it could not resume it).
   */
  resumedFrom?: { attempt: number; seq: number };
}

export async function followQueued(store: RunStore, shared: SharedStore, io: CliIo, runId: string, options: FollowQueuedOptions): Promise<number> {
  let wake: () => void = () => undefined;
  const nudge = (): void => wake();
  const off = shared.watch({ runs: nudge, journal: nudge, health: (h) => !h.ok && write(io.stderr, `flowdeck: ${h.message ?? 'the store is unreachable'}; still following`) });
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
  try {
    for (;;) {
      const woken = new Promise<void>((r) => {
        wake = r;
        setTimeout(r, WAKE_MS).unref();
      });
      // The state first, then the records: a run seen final has all its records written (its final state
      // comes after them), so this read prints them all. Read the other way round, a run that ended between
      // the two reads was reported without its last lines (a quick failure without its error).
      const run = await store.get(runId);
      const tree = await store.runTree(runId);
      for (const r of tree) if (!seen.has(r.id)) seen.set(r.id, 0);
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
      if (!run) {
        say(`flowdeck: run ${runId} is no longer in the store`);
        return EXIT.runFailed;
      }
      if (prompt) {
        // After the lines up to the pause (they say how to resume it): the question comes last.
        for (const r of [run, ...tree.filter((t) => t.id !== runId)]) {
          latest.set(r.id, r);
          prompt.onRun(r);
        }
      }
      // Sent to be resumed and not taken over yet: it waits while its resume is pending — not once a cancel
      // withdrew it or the worker that took it could not resume it (its log said why).
      const from = options.resumedFrom;
      const asSent = (r: FlowRunSummary): boolean => from !== undefined && r.attempt === from.attempt && r.seq === from.seq;
      let waitsForWorker = false;
      if (asSent(run)) {
        const pending = await shared.resumePending(runId, from!.attempt + 1);
        waitsForWorker = pending !== 'none';
        // Taken over, run and its job done between the two reads: read again.
        if (!waitsForWorker && !asSent((await store.get(runId)) ?? run)) continue;
        // A worker holding its job unclaimed soon claims it or lets go of it (which nothing announces): looked at again shortly.
        if (pending === 'taking') setTimeout(nudge, TAKING_MS).unref();
      }
      if (isSettled(run.state) && !waitsForWorker) {
        // Suspended: nothing runs it until a resume; said, as `flowdeck run` says it.
        if (run.state.name === 'Suspended') say(neutraliseTerminal(suspendedNotice(run)));
        if (options.json) await printRunJson(store, runId, io.stdout);
        return interrupts > 1 ? EXIT.interrupted : run.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
      }
      if (interrupts > 1) return EXIT.interrupted;
      await woken;
    }
  } finally {
    prompt?.close();
    off();
    for (const sig of signals) process.off(sig, onSignal);
  }
}
