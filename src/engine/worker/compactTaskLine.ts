/**
 * The `trun` line of a task run that started and ended between two writes of the worker's buffer: the
 * line a big map sends once per task run. The common one — a first attempt with no message, cache key,
 * tags or reuse — is written out field by field, which is the same text as `JSON.stringify` of the record
 * (test/engine/compactTaskLine.test.ts) at less than half the cost; any other goes through JSON.stringify.
 * `valueText`, the result already serialized (and masked), is spliced in as it is, never parsed here.
 */
import type { TaskRunCompact } from '../records';

/** The last run id and task name as JSON: every line of a big map repeats both. */
let runIdText = ['', '""'];
let taskNameText = ['', '""'];

function quotedRunId(id: string): string {
  if (runIdText[0] !== id) runIdText = [id, JSON.stringify(id)];
  return runIdText[1]!;
}

function quotedTaskName(name: string): string {
  if (taskNameText[0] !== name) taskNameText = [name, JSON.stringify(name)];
  return taskNameText[1]!;
}

export function compactTaskLine(r: Omit<TaskRunCompact, 'value'>, valueText?: string): string {
  const plain =
    r.attempt === undefined && r.message === undefined && r.cacheKey === undefined && r.tags === undefined && r.reusedFrom === undefined && r.ref === undefined && r.note === undefined;
  let line: string;
  if (plain) {
    const q = JSON.stringify;
    // Times are whole epoch milliseconds and state names plain words: written as they are.
    line = `{"k":"trun","runId":${quotedRunId(r.runId)},"id":${q(r.id)},"name":${q(r.name)},"taskName":${quotedTaskName(r.taskName)},"ts":${r.ts},"start":${r.start},"end":${r.end},"state":"${r.state}"`;
    if (r.call !== undefined) line += r.call.argsHash === undefined ? `,"call":{"key":${q(r.call.key)}}` : `,"call":{"key":${q(r.call.key)},"argsHash":${q(r.call.argsHash)}}`;
    return valueText === undefined ? `${line}}` : `${line},"value":${valueText}}`;
  }
  line = JSON.stringify(r);
  return valueText === undefined ? line : `${line.slice(0, -1)},"value":${valueText}}`;
}
