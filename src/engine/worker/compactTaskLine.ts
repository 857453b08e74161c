/**
 * The `trun` line of a task run that started and ended between two writes of the worker's buffer: the
 * line a big map sends once per task run. The common one — a first attempt with no message, cache key,
 * tags or reuse — is written out field by field, which is the same text as `JSON.stringify` of the record
 * (test/engine/compactTaskLine.test.ts) at less than half the cost; any other goes through JSON.stringify.
 * `valueText`, the result already serialized (and masked), is spliced in as it is, never parsed here.
 */
import type { TaskRunCompact } from '../records';

/** The last run id as JSON: every line of a big map repeats it. */
let runIdText = ['', '""'];

function quotedRunId(id: string): string {
  if (runIdText[0] !== id) runIdText = [id, JSON.stringify(id)];
  return runIdText[1]!;
}

/**
 * The last task name as JSON, and that JSON without its closing quote: a task run's name and call key
 * are the task name and a number (`noop-41`, `noop#41`), written as the open text, the rest, a quote —
 * JSON.stringify of each short string cost ~0.3 µs, three times a line.
 */
let taskName = '';
let taskNameText = '""';
let taskNameOpen = '"';

function setTaskName(name: string): void {
  taskName = name;
  taskNameText = JSON.stringify(name);
  taskNameOpen = taskNameText.slice(0, -1);
}

/** `text` quoted as JSON. `taskName` followed by a separator and digits (a name, a key) without JSON.stringify. */
function quotedOwn(text: string): string {
  const n = taskName.length;
  if (text.length <= n + 1 || !text.startsWith(taskName)) return JSON.stringify(text);
  for (let i = n + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return JSON.stringify(text);
  }
  const sep = text.charCodeAt(n);
  // '-' (a name) or '#' (a call key): neither is escaped in JSON.
  return sep === 45 || sep === 35 ? `${taskNameOpen}${text.slice(n)}"` : JSON.stringify(text);
}

/** A task run id as the worker makes them (hex, a dash, base 36) needs no escaping. */
function quotedId(id: string): string {
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c === 45)) return JSON.stringify(id);
  }
  return `"${id}"`;
}

export function compactTaskLine(r: Omit<TaskRunCompact, 'value'>, valueText?: string): string {
  const plain =
    r.attempt === undefined && r.message === undefined && r.cacheKey === undefined && r.tags === undefined && r.reusedFrom === undefined && r.ref === undefined && r.note === undefined;
  let line: string;
  if (plain) {
    if (r.taskName !== taskName) setTaskName(r.taskName);
    // Times are whole epoch milliseconds and state names plain words: written as they are.
    line = `{"k":"trun","runId":${quotedRunId(r.runId)},"id":${quotedId(r.id)},"name":${quotedOwn(r.name)},"taskName":${taskNameText},"ts":${r.ts},"start":${r.start},"end":${r.end},"state":"${r.state}"`;
    if (r.call !== undefined) line += r.call.argsHash === undefined ? `,"call":{"key":${quotedOwn(r.call.key)}}` : `,"call":{"key":${quotedOwn(r.call.key)},"argsHash":${JSON.stringify(r.call.argsHash)}}`;
    return valueText === undefined ? `${line}}` : `${line},"value":${valueText}}`;
  }
  line = JSON.stringify(r);
  return valueText === undefined ? line : `${line.slice(0, -1)},"value":${valueText}}`;
}
