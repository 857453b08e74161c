/**
 * `flowdeck logs <run> --follow`: prints a run's logs as they are written, whichever process runs it (a
 * terminal's `flowdeck run`, `flowdeck serve`, VS Code, a worker on another machine), until it ends — then
 * exits by its final state, as `flowdeck run` would. The journal is read from where the last read stopped,
 * woken by its watch (the file, or the shared store's notifications) and by a poll besides. Only reads:
 * Ctrl-C stops following, and the run goes on (`flowdeck cancel` stops it).
 */
import { journalSourceOf } from '../engine/journalSource';
import type { ArtifactRecord, FlowRunSummary, LogRecord, RunRecord } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import { isTerminal, stateType } from '../engine/states';
import type { StateName } from '../engine/types';
import { neutraliseTerminal } from '../engine/terminalText';
import { EXIT, write, type CliIo } from './io';
import { Tail, logJson, type LogFilter } from './logFilter';
import { ProgressFooter } from './progressFooter';
import { terminalLogLine } from './terminalStyle';

/** How often the journal is read with no watch event (watches miss changes on some file systems). */
const LOOK_MS = 1000;
/** How often the store is asked whether the run's process is gone (a crash writes nothing to watch). */
export const CRASH_LOOK_MS = 5000;

export async function followLogs(store: RunStore, run: FlowRunSummary, io: CliIo, filter: LogFilter = { accepts: () => true, json: false }): Promise<number> {
  // On a terminal, the run's progress (its progress artifacts) shows on the last line, below its logs.
  const footer = filter.json ? undefined : ProgressFooter.for(io.stdout);
  const source = journalSourceOf(store, run.id, { logsAndRun: true, artifacts: footer !== undefined });
  let wake: () => void = () => undefined;
  const off = source.watch(() => wake());
  let stopped = false;
  const onSignal = (): void => {
    stopped = true;
    wake();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  let from = 0;
  let printed = 0;
  let crashLooked = Date.now();
  const gone = (): number => {
    footer?.clear();
    write(io.stderr, neutraliseTerminal(`flowdeck: the logs of run '${run.name}' are gone: its file ${run.id}.jsonl is missing from ${store.location}`));
    return EXIT.runFailed;
  };
  const shown = filter.json ? logJson : terminalLogLine(io.stdout);
  // --tail: of what is stored when it starts, the last lines chosen; everything chosen after.
  let tail = filter.tail;
  const print = async (logs: readonly LogRecord[]): Promise<void> => {
    let text = '';
    let chosen = logs.filter(filter.accepts);
    if (tail !== undefined) chosen = chosen.slice(-tail);
    tail = undefined;
    for (const l of chosen) text += `${shown(l)}\n`;
    printed += logs.length;
    if (text !== '' && !io.stdout.write(footer ? footer.around(text) : text)) await new Promise<void>((r) => io.stdout.once('drain', () => r()));
  };
  let unreachable = false;
  /** The run's latest state as its journal has it, as read so far: how it ended, should it be deleted before it is looked at again. */
  let journalState: StateName | undefined;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      // A timer that holds the process: the watch does not (nothing else may while the run is quiet).
      const woken = new Promise<void>((r) => {
        wake = r;
        timer = setTimeout(r, Math.min(LOOK_MS, source.pollMs));
      }).finally(() => clearTimeout(timer));
      try {
        // The state first, then the records: a run seen ended has all its records written (its final state
        // comes after them), so this read prints them all.
        await store.refresh();
        if (Date.now() - crashLooked >= CRASH_LOOK_MS) {
          crashLooked = Date.now();
          await store.markCrashed();
        }
        const latest = await store.get(run.id);
        if (!latest) {
          // Deleted (a prune, `flowdeck delete`, a history limit) once it ended, before this look: it ended as
          // its journal said, if that much was read; otherwise how it ended is not known here.
          footer?.clear();
          const ended = journalState !== undefined && isTerminal(stateType(journalState)) ? journalState : undefined;
          write(
            io.stderr,
            neutraliseTerminal(
              ended
                ? `flowdeck: flow run '${run.name}' ended ${ended}, and was deleted from ${store.location} (a prune, another process) as it was followed`
                : `flowdeck: flow run '${run.name}' was deleted from ${store.location} (a prune, another process) before its end was seen`,
            ),
          );
          return ended && stateType(ended) === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
        }
        if (isTerminal(latest.state.type)) {
          // Its last lines as every reader shows them — with the end line of a crash nobody has settled yet.
          let seen = 0;
          const ended = tail === undefined ? undefined : new Tail<LogRecord>(tail);
          const { found } = await store.readLogs(run.id, async (logs) => {
            const fresh = logs.slice(Math.max(0, printed - seen));
            seen += logs.length;
            // Ended before anything was printed, with --tail: its last lines, as `logs --tail` without --follow.
            if (ended) for (const l of fresh.filter(filter.accepts)) ended.push(l);
            else await print(fresh);
          });
          if (ended) await print(ended.drain());
          if (!found) return gone();
          return latest.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
        }
        const pending: LogRecord[] = [];
        let progress: ArtifactRecord | undefined;
        try {
          ({ end: from } = await source.read(from, (records: RunRecord[]) => {
            for (const r of records) {
              if (r.k === 'log') pending.push(r);
              else if (r.k === 'state' && r.runId === run.id) journalState = r.name;
              else if (r.k === 'artifact' && r.data.kind === 'progress') progress = r;
            }
          }));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          return gone();
        }
        await print(pending);
        if (progress) footer?.progress(progress);
      } catch (e) {
        // The store unreachable (its server restarting, the network cut): said once, tried again shortly.
        if (!store.shared?.unreachable(e)) throw e;
        if (!unreachable) write(io.stderr, `flowdeck: the store is unreachable (${(e as Error).message}); still following`);
        unreachable = true;
        if (stopped) return EXIT.interrupted;
        await woken;
        continue;
      }
      if (unreachable) write(io.stderr, 'flowdeck: the store answers again; following');
      unreachable = false;
      if (stopped) return EXIT.interrupted;
      await woken;
      if (stopped) return EXIT.interrupted;
    }
  } finally {
    footer?.clear();
    off();
    for (const sig of signals) process.off(sig, onSignal);
  }
}
