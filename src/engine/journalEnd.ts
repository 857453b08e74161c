/**
 * How a run's journal ends. A run's final state goes to its journal first and to the index (the runs'
 * list) after; a host that dies between the two leaves a run that ended — Completed, its result on
 * record — listed as unfinished, with its owner gone. Settling such a run as Crashed would be false (and
 * a flow that resumes on a crash would run its body again): it ended in the state its journal holds,
 * and the index is set to that instead. The journal's last state records decide, folded by the one
 * reducer, so the rule is the one every reader applies (a new attempt after a final state starts the
 * run again; nothing else after it counts).
 */
import { stat } from 'node:fs/promises';
import { scanJsonLines } from './jsonLines';
import { taskStartOf } from './crashTime';
import type { RunCreatedRecord, RunFlowFacts, RunRecord } from './records';
import { asRunRecord } from './recordShape';
import { applyRecord, startFold } from './runReducer';
import { isSettled, type State } from './states';

/**
 * How much of a journal's end is read for its last states. A final state is followed only by its own
 * log line and what the flow's exit handlers log; a journal whose last megabyte holds no state of its
 * run did not end (a busy map's task runs fill it).
 */
export const JOURNAL_END_BYTES = 1024 * 1024;

export interface JournalEnd {
  state: State;
  startTime?: number;
  endTime?: number;
}

/** The final state that a run's state records (in journal order; the last few suffice) leave it in, or undefined when they leave it unfinished. */
export function finalStateOf(runId: string, records: readonly RunRecord[]): JournalEnd | undefined {
  const created: RunCreatedRecord = { k: 'run', runId, name: '', flowName: '', source: '', parameters: {}, created: 0, owner: { pid: 0, hostname: '' } };
  const fold = startFold(created);
  let seen = false;
  for (const r of records) {
    if (r.k !== 'state' || r.runId !== runId) continue;
    seen = true;
    applyRecord(fold, r);
  }
  const d = fold.detail;
  if (!seen || !isSettled(d.state)) return undefined;
  return { state: d.state, ...(d.startTime !== undefined ? { startTime: d.startTime } : {}), ...(d.endTime !== undefined ? { endTime: d.endTime } : {}) };
}

/** How an embedded journal ends: its final state, if it has one, and the last sign of its host's life. */
export interface JournalTail {
  end?: JournalEnd;
  /**
   * When the journal last changed (its host writes, or touches it while a run is quiet: embeddedStore.ts),
   * or the latest time a record of its end holds, whichever is later (a file's time may lag the clock by a
   * tick). A run found with its host gone ended then, not when it was found. Undefined for a missing file.
   */
  lastSign?: number;
  /** The latest start of a task run the part read holds (crashTime.ts: a crash is dated no earlier). */
  taskStart?: number;
  /**
   * What its flow said of it (RunFlowRecord), when the part read holds it: a host that died between writing
   * it and the index's line (as it took the run up) leaves it in the journal alone.
   */
  flow?: RunFlowFacts;
}

/**
 * The final state the embedded journal at `path` ends in (its last JOURNAL_END_BYTES read), or undefined
 * when it ends unfinished, or is missing. A read that starts mid-line skips that line: a line's end is
 * never a JSON object of its own (whatever it holds, its outer object's closing brace follows).
 */
export async function finalStateInJournal(path: string, runId: string): Promise<JournalEnd | undefined> {
  return (await journalTail(path, runId)).end;
}

/** How the journal at `path` ends (finalStateInJournal) and its last sign of life (JournalTail). */
export async function journalTail(path: string, runId: string): Promise<JournalTail> {
  let size: number;
  let lastSign: number;
  try {
    const s = await stat(path);
    size = s.size;
    lastSign = s.mtimeMs;
  } catch {
    return {};
  }
  const states: RunRecord[] = [];
  let flow: RunFlowFacts | undefined;
  let taskStart: number | undefined;
  await scanJsonLines(
    path,
    Math.max(0, size - JOURNAL_END_BYTES),
    (v) => asRunRecord(v, runId),
    (records) => {
      for (const r of records) {
        if (r.k === 'state') states.push(r);
        else if (r.k === 'flow') {
          const { k: _k, runId: _runId, ts: _ts, parameters: _parameters, ...facts } = r;
          flow = { ...flow, ...facts };
        }
        const started = taskStartOf(r);
        if (started !== undefined) taskStart = Math.max(taskStart ?? started, started);
        const ts = (r as { ts?: unknown }).ts;
        if (typeof ts === 'number' && Number.isFinite(ts) && ts > lastSign) lastSign = ts;
      }
    },
    { end: size },
  );
  const end = finalStateOf(runId, states);
  return { ...(end ? { end } : {}), lastSign: Math.floor(lastSign), ...(taskStart !== undefined ? { taskStart } : {}), ...(flow ? { flow } : {}) };
}
