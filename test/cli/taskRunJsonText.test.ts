/**
 * A task run's printed JSON, written field by field, is the very text JSON.stringify pretty-prints: for
 * task runs of every shape the store holds and for fields of types a record should not have.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { taskRunJson } from '../../src/cli/runJson';
import { taskRunJsonText } from '../../src/cli/taskRunJsonText';
import type { TaskRunRecord } from '../../src/engine/records';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXTS = ['', 'noop-0', 'fetch "repo" \\ 1', 'line\nbreak\ttab', 'ünïcödé ✓ 🚀', '\u0000\u001f\u2028\u2029', 'lone \ud800 surrogate', '</script>'];
const NUMBERS = [0, 1, 2, 7, -0, 0.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53];

function pick<T>(next: () => number, xs: readonly T[]): T {
  return xs[Math.floor(next() * xs.length)]!;
}

function taskRun(next: () => number): TaskRunRecord {
  const t: TaskRunRecord = {
    id: `${pick(next, ['a6b2da14', 'x"y'])}-${Math.floor(next() * 1e6).toString(36)}`,
    flowRunId: 'run',
    name: pick(next, TEXTS),
    taskName: 'noop',
    state: { type: pick(next, ['COMPLETED', 'FAILED', 'RUNNING'] as const), name: pick(next, ['Completed', 'Failed', 'Running', 'Cached']), timestamp: 1 } as TaskRunRecord['state'],
    attempts: pick(next, NUMBERS),
    flowAttempt: pick(next, [1, 2, 3]),
  };
  if (next() < 0.5) t.state = { ...t.state, message: pick(next, TEXTS) };
  if (next() < 0.1) t.state = { ...t.state, failure: { name: 'Error', message: pick(next, TEXTS), stack: 'Error: x\n    at f (/w/a.flow.ts:3:9)', frame: { file: '/w/a.flow.ts', line: 3, column: 9 } } };
  if (next() < 0.8) t.startTime = 1_796_294_769_445 + Math.floor(next() * 1000);
  if (next() < 0.7) t.endTime = 1_796_294_769_445 + Math.floor(next() * 100_000);
  if (next() < 0.3) t.reusedFrom = { attempt: pick(next, [1, 2]), taskRunId: 'earlier' };
  if (next() < 0.3) t.slotWaitMs = pick(next, NUMBERS);
  return t;
}

function expected(t: TaskRunRecord, pad: string): string {
  return JSON.stringify(taskRunJson(t), null, 2).replace(/\n/g, `\n${pad}`);
}

test('a task run is printed as JSON.stringify pretty-prints it, indented', { timeout: 30_000 }, () => {
  const next = random(20261203);
  let withMessage = 0;
  let withFailure = 0;
  for (let i = 0; i < 5000; i++) {
    const t = taskRun(next);
    if (t.state.message !== undefined) withMessage++;
    if (t.state.failure !== undefined) withFailure++;
    const pad = pick(next, ['', '    ', '      ']);
    assert.equal(taskRunJsonText(t, pad), expected(t, pad), `task run ${i}: ${JSON.stringify(t)}`);
  }
  assert.ok(withMessage > 1000, 'task runs with a message were printed');
  assert.ok(withFailure > 200, 'task runs with a failure were printed');
});

test('fields of another type than a record has are printed as JSON.stringify prints them', { timeout: 30_000 }, () => {
  const base = taskRun(random(1));
  const odd: Partial<Record<string, unknown>>[] = [
    { name: { first: 'a' } },
    { id: null },
    { attempts: '1' },
    { startTime: null },
    { slotWaitMs: { ms: 3 } },
    { state: { type: 'COMPLETED', name: 'Completed', message: { nested: ['a', 1] } } },
    { state: { type: 'COMPLETED', name: ['Completed'] } },
    { flowAttempt: undefined, reusedFrom: { attempt: '2', taskRunId: 'x' } },
  ];
  for (const change of odd) {
    const t = { ...base, ...change } as TaskRunRecord;
    assert.equal(taskRunJsonText(t, '    '), expected(t, '    '), JSON.stringify(change));
  }
});

test('a time outside what a Date can hold fails as it did before', { timeout: 30_000 }, () => {
  const t = { ...taskRun(random(2)), startTime: 1e20 };
  assert.throws(() => expected(t, ''), RangeError);
  assert.throws(() => taskRunJsonText(t, ''), RangeError);
});
