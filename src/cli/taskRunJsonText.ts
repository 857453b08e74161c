/**
 * A task run's JSON as `runs --json` and `run --json` print it, written field by field: the very text
 * `JSON.stringify(taskRunJson(t), null, 2)` gives, each line after the first begun with `pad`. Pretty-printing
 * an object per task run and indenting it with a regular expression took about a third of the CPU of printing
 * a big run (a profile of `runs --json` over 100,000 task runs; the rest is reading and folding its journal).
 * Strings go through `JSON.stringify`; a task run with a field of another type than its record's (a
 * journal written by something else), or with a failure, is printed the general way, so the text is the
 * same for any input.
 */
import type { TaskRunRecord } from '../engine/records';
import { isoTime, taskRunJson } from './runJson';

/** The general way: any value, pretty-printed, then indented. */
function general(t: TaskRunRecord, pad: string): string {
  return JSON.stringify(taskRunJson(t), null, 2).replace(/\n/g, `\n${pad}`);
}

function number(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function time(ts: number | undefined): string {
  const text = isoTime(ts);
  return text === null ? 'null' : `"${text}"`;
}

export function taskRunJsonText(t: TaskRunRecord, pad: string): string {
  const s = t.state;
  const attempt = t.reusedFrom?.attempt ?? t.flowAttempt;
  if (
    typeof t.id !== 'string' ||
    typeof t.name !== 'string' ||
    typeof s.type !== 'string' ||
    typeof s.name !== 'string' ||
    (s.message !== undefined && typeof s.message !== 'string') ||
    // A failure (what the code threw, and where) is rare enough for the general way.
    s.failure !== undefined ||
    typeof t.attempts !== 'number' ||
    typeof attempt !== 'number' ||
    (t.slotWaitMs !== undefined && typeof t.slotWaitMs !== 'number') ||
    (t.startTime !== undefined && typeof t.startTime !== 'number') ||
    (t.endTime !== undefined && typeof t.endTime !== 'number')
  ) {
    return general(t, pad);
  }
  const p = `\n${pad}  `;
  const message = s.message === undefined ? '' : `,${p}  "message": ${JSON.stringify(s.message)}`;
  return (
    `{${p}"id": ${JSON.stringify(t.id)},${p}"name": ${JSON.stringify(t.name)},` +
    `${p}"state": {${p}  "type": ${JSON.stringify(s.type)},${p}  "name": ${JSON.stringify(s.name)}${message}${p}},` +
    `${p}"attempts": ${number(t.attempts)},${p}"startTime": ${time(t.startTime)},${p}"endTime": ${time(t.endTime)},` +
    `${p}"attempt": ${number(attempt)},${p}"slotWaitMs": ${number(t.slotWaitMs ?? 0)}\n${pad}}`
  );
}
