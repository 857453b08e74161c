/**
 * The `trun` line of a task run that started and ended between two writes of the worker's buffer: the
 * line a big map sends once per task run. The common one — a first attempt with no message, cache key,
 * tags or reuse — is written byte by byte straight into the event pipe's buffer (writePlainLine): the
 * same bytes as `JSON.stringify` of the record, UTF-8 encoded (test/engine/compactTaskLine.test.ts). Built
 * as a string it was ~20 concatenated pieces, then flattened and encoded: about a third of what a task
 * run allocated, and so of the garbage collector's work. Any other line goes through JSON.stringify.
 * `valueText`, the result already serialized (and masked), is spliced in as it is, never parsed here.
 */
import type { CallIdentity, TaskRunCompact } from '../records';

/** The last run id and task name as JSON, and their UTF-8 bytes: every line of a big map repeats both. */
let runIdText = { of: '', bytes: Buffer.from('""') };
let taskNameText = { of: '', bytes: Buffer.from('""') };

function quotedRunId(id: string): Buffer {
  if (runIdText.of !== id) runIdText = { of: id, bytes: Buffer.from(JSON.stringify(id)) };
  return runIdText.bytes;
}

function quotedTaskName(name: string): Buffer {
  if (taskNameText.of !== name) taskNameText = { of: name, bytes: Buffer.from(JSON.stringify(name)) };
  return taskNameText.bytes;
}

/** Whether a record is of the common shape writePlainLine writes. */
export function isPlain(r: Omit<TaskRunCompact, 'value'>): boolean {
  return r.attempt === undefined && r.message === undefined && r.cacheKey === undefined && r.tags === undefined && r.reusedFrom === undefined && r.ref === undefined && r.note === undefined;
}

/**
 * At most how many bytes writePlainLine writes: a UTF-16 unit is at most 6 bytes in JSON (`\u001f`), and
 * at most 3 in UTF-8 once escaped; numbers are at most 24 characters.
 */
export function plainLineBound(runId: string, id: string, name: string, taskName: string, state: string, call: CallIdentity | undefined, valueText: string | undefined): number {
  let chars = runId.length + id.length + name.length + taskName.length + state.length;
  if (call !== undefined) chars += call.key.length + (call.argsHash?.length ?? 0);
  return 200 + 6 * chars + 3 * 24 + (valueText === undefined ? 0 : 3 * valueText.length);
}

/** Writes `text` as it is; every unit below 0x80. */
function ascii(buf: Buffer, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
  return pos;
}

function bytes(buf: Buffer, pos: number, from: Buffer): number {
  from.copy(buf, pos);
  return pos + from.length;
}

/** `text` as a JSON string: as it is between quotes when nothing in it needs escaping or more than a byte. */
function jsonString(buf: Buffer, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) return pos + buf.write(JSON.stringify(text), pos, 'utf8');
  }
  buf[pos] = 0x22;
  pos = ascii(buf, pos + 1, text);
  buf[pos] = 0x22;
  return pos + 1;
}

/** A number as JSON writes it: whole non-negative ones (epoch milliseconds) digit by digit, without a string. */
function jsonNumber(buf: Buffer, pos: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return ascii(buf, pos, JSON.stringify(n));
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  let at = pos + digits;
  for (let m = n; at > pos; m = Math.floor(m / 10)) buf[--at] = 0x30 + (m % 10);
  return pos + digits;
}

/** Key names and punctuation, as bytes. */
const K_RUN_ID = Buffer.from('{"k":"trun","runId":');
const K_ID = Buffer.from(',"id":');
const K_NAME = Buffer.from(',"name":');
const K_TASK_NAME = Buffer.from(',"taskName":');
const K_TS = Buffer.from(',"ts":');
const K_START = Buffer.from(',"start":');
const K_END = Buffer.from(',"end":');
const K_STATE = Buffer.from(',"state":');
const K_CALL_KEY = Buffer.from(',"call":{"key":');
const K_ARGS_HASH = Buffer.from(',"argsHash":');
const K_VALUE = Buffer.from(',"value":');

/**
 * Writes the common line (isPlain) at `pos` of `buf`, which has room for plainLineBound bytes; returns
 * where it ends. Times are whole epoch milliseconds and state names plain words.
 */
export function writePlainLine(
  buf: Buffer,
  pos: number,
  runId: string,
  id: string,
  name: string,
  taskName: string,
  ts: number,
  start: number,
  end: number,
  state: string,
  call: CallIdentity | undefined,
  valueText: string | undefined,
): number {
  pos = bytes(buf, pos, K_RUN_ID);
  pos = bytes(buf, pos, quotedRunId(runId));
  pos = bytes(buf, pos, K_ID);
  pos = jsonString(buf, pos, id);
  pos = bytes(buf, pos, K_NAME);
  pos = jsonString(buf, pos, name);
  pos = bytes(buf, pos, K_TASK_NAME);
  pos = bytes(buf, pos, quotedTaskName(taskName));
  pos = bytes(buf, pos, K_TS);
  pos = jsonNumber(buf, pos, ts);
  pos = bytes(buf, pos, K_START);
  pos = jsonNumber(buf, pos, start);
  pos = bytes(buf, pos, K_END);
  pos = jsonNumber(buf, pos, end);
  pos = bytes(buf, pos, K_STATE);
  pos = jsonString(buf, pos, state);
  if (call !== undefined) {
    pos = bytes(buf, pos, K_CALL_KEY);
    pos = jsonString(buf, pos, call.key);
    if (call.argsHash !== undefined) {
      pos = bytes(buf, pos, K_ARGS_HASH);
      pos = jsonString(buf, pos, call.argsHash);
    }
    buf[pos++] = 0x7d;
  }
  if (valueText !== undefined) {
    pos = bytes(buf, pos, K_VALUE);
    pos += buf.write(valueText, pos, 'utf8');
  }
  buf[pos] = 0x7d;
  return pos + 1;
}

/** The line as text (the uncommon shapes, and tests). */
export function compactTaskLine(r: Omit<TaskRunCompact, 'value'>, valueText?: string): string {
  if (isPlain(r)) {
    const buf = Buffer.allocUnsafe(plainLineBound(r.runId, r.id, r.name, r.taskName, r.state, r.call, valueText));
    return buf.toString('utf8', 0, writePlainLine(buf, 0, r.runId, r.id, r.name, r.taskName, r.ts, r.start, r.end, r.state, r.call, valueText));
  }
  const line = JSON.stringify(r);
  return valueText === undefined ? line : `${line.slice(0, -1)},"value":${valueText}}`;
}
