/**
 * `flowdeck run … --queue NAME --wait`: follows a run a worker elsewhere runs, from the store — its logs
 * and its subflows' as they are written (LISTEN/NOTIFY wakes it; nothing polls), until it ends. Ctrl-C
 * asks for the run to be cancelled wherever it runs; a second one stops following at once.
 */
import type { RunStore } from '../engine/runStore';
import type { RecordKinds, SharedStore } from '../engine/sharedStore';
import { isSettled } from '../engine/states';
import { neutraliseTerminal } from '../engine/terminalText';
import { EXIT, write, type CliIo } from './io';
import { printRunJson } from './runJsonStream';
import { suspendedNotice } from './suspendedNotice';
import { terminalLogLine } from './terminalStyle';

/** A missed notification (a reconnect) costs at most this long a pause: a bound, not a polling loop. */
const WAKE_MS = 10_000;
/** Only log lines are printed: a big map's task runs are left out by the query, not read and dropped. */
const LOGS: RecordKinds = { only: ['log'] };

export interface FollowQueuedOptions {
  json: boolean;
  /** Its journal from after this record (a resumed run: what its earlier attempts logged is not shown again). */
  afterSeq?: number;
  /** A suspended run resumed on its queue: its attempt now, which a worker's resume leaves; until then it is not over. */
  suspendedAttempt?: number;
}

export async function followQueued(store: RunStore, shared: SharedStore, io: CliIo, runId: string, options: FollowQueuedOptions): Promise<number> {
  let wake: () => void = () => undefined;
  const nudge = (): void => wake();
  const off = shared.watch({ runs: nudge, journal: nudge, health: (h) => !h.ok && write(io.stderr, `flowdeck: ${h.message ?? 'the store is unreachable'}; still following`) });
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      write(io.stderr, 'Cancelling the run wherever it runs (Ctrl-C again to stop following at once)…');
      void shared.requestCancel(runId, signal === 'SIGINT' ? 'Cancelled by Ctrl-C' : `Cancelled: the flowdeck process was asked to stop (${signal})`).catch((e: Error) => write(io.stderr, `flowdeck: ${e.message}`));
    }
    nudge();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  // The run and its subflows: each journal read from where it was left.
  const seen = new Map<string, number>([[runId, options.afterSeq ?? 0]]);
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
      for (const r of await store.runTree(runId)) if (!seen.has(r.id)) seen.set(r.id, 0);
      for (const [id, after] of seen) {
        for (let last = after; ; ) {
          const { records, last: next, full } = await shared.readRecords(id, last, 2000, LOGS);
          // One write for the batch: a write a line is a system call a line.
          let text = '';
          for (const r of records) if (r.k === 'log') text += `${shown(r)}\n`;
          if (text !== '') io.stderr.write(text);
          seen.set(id, next);
          if (!full) break;
          last = next;
        }
      }
      if (!run) {
        write(io.stderr, `flowdeck: run ${runId} is no longer in the store`);
        return EXIT.runFailed;
      }
      const waitsForWorker = run.state.name === 'Suspended' && run.attempt === options.suspendedAttempt;
      if (isSettled(run.state) && !waitsForWorker) {
        // Suspended: nothing runs it until a resume; said, as `flowdeck run` says it.
        if (run.state.name === 'Suspended') write(io.stderr, neutraliseTerminal(suspendedNotice(run)));
        if (options.json) await printRunJson(store, runId, io.stdout);
        return interrupts > 1 ? EXIT.interrupted : run.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
      }
      if (interrupts > 1) return EXIT.interrupted;
      await woken;
    }
  } finally {
    off();
    for (const sig of signals) process.off(sig, onSignal);
  }
}
