import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { RunRecord } from '../../src/engine/records';
import type { RunHandle } from '../../src/engine/runStore';
import { JournalFollower, type JournalBatch } from '../../src/extension/runs/journalFollower';
import { fileJournal, journalSourceOf } from '../../src/engine/journalSource';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { tempDir, waitFor } from '../support/engine';

async function storeWithRun() {
  const store = await EmbeddedStore.open(tempDir(), { durable: false });
  const handle = await store.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: { n: 1 } });
  return { store, handle, file: store.runFile(handle.id) };
}

function collect() {
  const batches: JournalBatch[] = [];
  const errors: Error[] = [];
  return {
    batches,
    errors,
    records: () => batches.flatMap((b) => b.records),
    logs: () => batches.flatMap((b) => b.records).filter((r) => r.k === 'log').map((r) => (r as { message: string }).message),
    onBatch: (b: JournalBatch) => void batches.push(b),
    onError: (e: Error) => void errors.push(e),
  };
}

const log = (runId: string, message: string, taskRunId?: string): RunRecord => ({ k: 'log', runId, ts: Date.now(), level: 'INFO', source: 'test', message, ...(taskRunId ? { taskRunId } : {}) });

test('each catch-up reads only what was appended since the last one, and a half-written line waits for its end', async () => {
  const { store, handle, file } = await storeWithRun();
  const seen = collect();
  const follower = new JournalFollower(fileJournal(file, handle.id), handle.id, seen.onBatch, seen.onError);
  await follower.catchUp();
  assert.equal(follower.fold?.run.name, handle.name, 'the run record starts the fold');
  assert.deepEqual(follower.fold?.run.parameters, { n: 1 });

  await handle.append([log(handle.id, 'one'), log(handle.id, 'two')]);
  await follower.catchUp();
  assert.deepEqual(seen.logs(), ['one', 'two']);

  // A reader can see a write half done: the file then ends in part of a line.
  const line = JSON.stringify(log(handle.id, 'three'));
  await appendFile(file, `\n${line.slice(0, 20)}`);
  await follower.catchUp();
  assert.deepEqual(seen.logs(), ['one', 'two'], 'a torn line is not read yet');
  const at = follower.position;
  await appendFile(file, `${line.slice(20)}\n`);
  await follower.catchUp();
  assert.deepEqual(seen.logs(), ['one', 'two', 'three'], 'nothing twice, nothing lost');
  assert.ok(follower.position > at);
  assert.equal(seen.errors.length, 0);
  follower.close();
  await handle.close();
  await store.close();
});

test('task runs keep every state they went through: attempts, the wait before a retry, the end', async () => {
  const { store, handle, file } = await storeWithRun();
  const seen = collect();
  const follower = new JournalFollower(fileJournal(file, handle.id), handle.id, seen.onBatch, seen.onError);
  const id = handle.id;
  await handle.append([
    { k: 'state', runId: id, name: 'Running', ts: 1000 },
    { k: 'task', runId: id, id: 't1', name: 'fetch-0', taskName: 'fetch', ts: 1001 },
    { k: 'tstate', runId: id, id: 't1', name: 'Running', ts: 1002, attempt: 1 },
    { k: 'tstate', runId: id, id: 't1', name: 'AwaitingRetry', ts: 1100, message: 'Retry 1/2 in 1 second' },
    { k: 'tstate', runId: id, id: 't1', name: 'Retrying', ts: 2100, attempt: 2 },
    { k: 'tstate', runId: id, id: 't1', name: 'Failed', ts: 2200, failure: { name: 'Error', message: 'boom', frame: { file: '/ws/hello.flow.ts', line: 7, column: 11 } } },
    { k: 'task', runId: id, id: 't2', name: 'fetch-1', taskName: 'fetch', ts: 2300 },
    { k: 'state', runId: id, name: 'Failed', ts: 2400, message: 'boom' },
  ]);
  await follower.catchUp();
  const t1 = follower.taskHistory('t1')!.map((s) => `${s.name}@${s.ts}${s.attempt ? `#${s.attempt}` : ''}`);
  assert.deepEqual(t1, ['Pending@1001', 'Running@1002#1', 'AwaitingRetry@1100', 'Retrying@2100#2', 'Failed@2200']);
  assert.equal(follower.taskHistory('t1')!.at(-1)!.failure?.frame?.line, 7);
  // t2 never ran: the run's end settles it, and its history says so.
  assert.deepEqual(follower.taskHistory('t2')!.map((s) => s.name), ['Pending', 'Failed']);
  assert.equal(follower.fold!.run.state.name, 'Failed');
  const last = seen.batches.at(-1)!;
  assert.ok(last.run && last.tasks.has('t1') && last.tasks.has('t2'));
  follower.close();
  await handle.close();
  await store.close();
});

test("a huge run is followed holding a bounded number of task runs and their states, counting the others", { timeout: 60_000 }, async () => {
  const { store, handle, file } = await storeWithRun();
  const seen = collect();
  const follower = new JournalFollower(fileJournal(file, handle.id), handle.id, seen.onBatch, seen.onError, { bounds: { first: 100, failed: 10, window: 50 } });
  const id = handle.id;
  const records: RunRecord[] = [{ k: 'state', runId: id, name: 'Running', ts: 1000 }];
  for (let i = 0; i < 5000; i++) records.push({ k: 'trun', runId: id, id: `t${i}`, name: `add-${i}`, taskName: 'add', ts: 1001 + i, start: 1001 + i, end: 1002 + i, state: i % 100 === 99 ? 'Failed' : 'Completed' });
  await handle.append(records);
  await follower.catchUp();
  const fold = follower.fold!;
  assert.equal(fold.total, 5000);
  assert.ok(fold.tasks.size <= 100 + 10 + 50, `holds ${fold.tasks.size} task runs`);
  assert.ok(follower.taskStates.size <= fold.tasks.size, `and ${follower.taskStates.size} histories`);
  await handle.append([{ k: 'state', runId: id, name: 'Failed', ts: 9000, message: 'fifty failed' }]);
  await follower.catchUp();
  assert.equal(fold.tasks.size, 100 + 10, 'once it ended: the first ones and the first failed ones');
  assert.ok([...follower.taskStates.keys()].every((k) => fold.tasks.has(k)), 'no history kept of a task run let go');
  for (const k of fold.tasks.keys()) assert.equal(follower.taskHistory(k)?.length, 3, `the whole history of ${k}`);
  assert.deepEqual(follower.taskHistory('t99')!.map((s) => `${s.name}@${s.ts}`), ['Pending@1100', 'Running@1100', 'Failed@1101']);
  assert.equal(follower.taskHistory('t4998'), undefined, 'one let go has none');
  assert.deepEqual(fold.counts(), { Completed: 4950, Failed: 50 });
  assert.equal(seen.errors.length, 0);
  follower.close();
  await handle.close();
  await store.close();
});

test('a quick task run written as one record has its whole history: pending, running, its end', async () => {
  const { store, handle, file } = await storeWithRun();
  const seen = collect();
  const follower = new JournalFollower(fileJournal(file, handle.id), handle.id, seen.onBatch, seen.onError);
  await handle.append([
    { k: 'state', runId: handle.id, name: 'Running', ts: 1000 },
    { k: 'trun', runId: handle.id, id: 't1', name: 'add-0', taskName: 'add', ts: 1001, start: 1002, end: 1003, state: 'Completed', value: 3 },
    // Started as it was created, as a big map's task runs are: its record alone says it all.
    { k: 'trun', runId: handle.id, id: 't2', name: 'add-1', taskName: 'add', ts: 1004, start: 1004, end: 1005, state: 'Failed', message: 'Error: no', attempt: 2 },
  ]);
  await follower.catchUp();
  const line = (s: { name: string; ts: number; attempt?: number; message?: string }): string => `${s.name}@${s.ts}${s.attempt ? `#${s.attempt}` : ''}${s.message ? ` ${s.message}` : ''}`;
  assert.deepEqual(follower.taskHistory('t1')!.map(line), ['Pending@1001', 'Running@1002#1', 'Completed@1003']);
  assert.deepEqual(follower.taskHistory('t2')!.map(line), ['Pending@1004', 'Running@1004#2', 'Failed@1005 Error: no']);
  assert.equal(follower.taskStates.has('t2'), false, 'read from its record, not kept');
  assert.ok(seen.batches.some((b) => b.tasks.has('t1')));
  follower.close();
  await handle.close();
  await store.close();
});

test('following picks up appends by itself (watch or poll) and stops looking once closed', { timeout: 30_000 }, async () => {
  const { store, handle, file } = await storeWithRun();
  const seen = collect();
  const follower = new JournalFollower(fileJournal(file, handle.id), handle.id, seen.onBatch, seen.onError, { intervalMs: 10, pollMs: 200 });
  await follower.catchUp();
  follower.follow();
  for (let i = 0; i < 5; i++) await handle.append([log(handle.id, `line ${i}`)]);
  await waitFor(() => seen.logs().length === 5, 'the five lines arrive', 10_000);
  follower.close();
  await handle.append([log(handle.id, 'after close')]);
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(seen.logs(), ['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
  await handle.close();
  await store.close();
});

test('a finished run that starts a new attempt (a resume) is followed on', { timeout: 30_000 }, async () => {
  const { store, handle, file } = await storeWithRun();
  const seen = collect();
  const follower = new JournalFollower(fileJournal(file, handle.id), handle.id, seen.onBatch, seen.onError, { intervalMs: 10, pollMs: 200 });
  await handle.append([{ k: 'state', runId: handle.id, name: 'Running', ts: 1000 }, { k: 'state', runId: handle.id, name: 'Failed', ts: 2000, message: 'boom' }]);
  await follower.catchUp();
  follower.follow();
  assert.equal(follower.fold!.run.state.name, 'Failed');
  await handle.append([{ k: 'state', runId: handle.id, name: 'AwaitingRetry', ts: 3000, attempt: 2 }, log(handle.id, 'resumed')]);
  await waitFor(() => seen.logs().includes('resumed'), 'the new attempt read', 10_000);
  assert.equal(follower.fold!.run.state.name, 'AwaitingRetry');
  assert.equal(follower.fold!.run.attempt, 2);
  follower.close();
  await handle.close();
  await store.close();
});

test('a state only the index knows (a crash mark) is merged into the fold', async () => {
  const { store, handle, file } = await storeWithRun();
  const seen = collect();
  const follower = new JournalFollower(fileJournal(file, handle.id), handle.id, seen.onBatch, seen.onError);
  await follower.catchUp();
  const summary = (await store.get(handle.id))!;
  const crashed = { ...summary, state: { type: 'CRASHED' as const, name: 'Crashed' as const, timestamp: Date.now() + 1000, message: 'host process ended' } };
  assert.equal(follower.mergeSummary(crashed), true);
  assert.equal(follower.fold!.run.state.name, 'Crashed');
  assert.equal(follower.mergeSummary(crashed), false, 'the same word twice changes nothing');
  follower.close();
  await handle.close();
  await store.close();
});

test('a journal that is gone is reported, not thrown', async () => {
  const seen = collect();
  const follower = new JournalFollower(fileJournal(`${tempDir()}/missing.jsonl`, 'abc'), 'abc', seen.onBatch, seen.onError);
  await follower.catchUp();
  assert.equal(seen.errors.length, 1);
  assert.match(seen.errors[0]!.message, /ENOENT/);
});

/**
 * A run made by a store of "another machine" (a writer) and followed through a read-only store of its own,
 * the follower's poll pushed out of the way: only a notification, or a look once it listens, can wake it.
 */
async function followedFromAfar(body: (f: { handle: RunHandle; follower: JournalFollower; seen: ReturnType<typeof collect> }) => Promise<void>): Promise<void> {
  const schema = freshSchema();
  const writer = await PgStore.open(pgUrl(), { home: tempDir(), schema });
  const reader = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
  const handle = await writer.createRun({ flowName: 'far', source: 'builtin:x', parameters: {} });
  const seen = collect();
  const follower = new JournalFollower(journalSourceOf(reader, handle.id), handle.id, seen.onBatch, seen.onError, { pollMs: 600_000 });
  try {
    await body({ handle, follower, seen });
    assert.equal(seen.errors.length, 0);
  } finally {
    follower.close();
    await handle.close();
    await reader.close();
    await writer.close();
  }
}

test('follows a run of another machine from a shared store: woken by its notifications, every record once, across pages', { timeout: 180_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
  await followedFromAfar(async ({ handle, follower, seen }) => {
    await follower.catchUp();
    assert.equal(follower.fold?.run.name, handle.name);
    follower.follow();
    const messages = Array.from({ length: 2500 }, (_, i) => `line ${i}`);
    await handle.append(messages.map((m) => log(handle.id, m)));
    await waitFor(() => seen.logs().length >= messages.length, 'the appended lines to reach the follower', 60_000);
    await handle.append([log(handle.id, 'last')]);
    await waitFor(() => seen.logs().includes('last'), 'the last line to reach the follower', 60_000);
    assert.deepEqual(seen.logs(), [...messages, 'last']);
  });
});

test('a shared store: lines written between its catch-up and its follow — announced before it listened — still reach it', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
  await followedFromAfar(async ({ handle, follower, seen }) => {
    await follower.catchUp();
    await handle.append([log(handle.id, 'while not yet listening')]);
    follower.follow();
    await waitFor(() => seen.logs().includes('while not yet listening'), 'the line written before the follower listened', 30_000);
  });
});

test("a shared store's journal read for logs and the run's state leaves out its task runs in the query, across pages", { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
  const schema = freshSchema();
  const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
  const handle = await store.createRun({ flowName: 'map', source: 'builtin:x', parameters: {} });
  const id = handle.id;
  // 3,000 task runs between 2,500 log lines: pages of the filtered read are full of logs, and the task
  // runs that sit between them are never fetched.
  const records: RunRecord[] = [{ k: 'state', runId: id, name: 'Running', ts: 1000 }];
  for (let i = 0; i < 3000; i++) {
    records.push({ k: 'trun', runId: id, id: `t${i}`, name: `add-${i}`, taskName: 'add', ts: 1001 + i, start: 1001 + i, end: 1002 + i, state: 'Completed' });
    if (i % 6 !== 5) records.push(log(id, `line ${records.length}`));
  }
  records.push({ k: 'state', runId: id, name: 'Completed', ts: 9000 });
  try {
    await handle.append(records);
    const whole = collect();
    const wholeEnd = await journalSourceOf(store, id).read(0, (batch) => whole.onBatch({ records: batch, tasks: new Set(), run: false }));
    const filtered = collect();
    const end = await journalSourceOf(store, id, { logsAndRun: true }).read(0, (batch) => filtered.onBatch({ records: batch, tasks: new Set(), run: false }));
    assert.equal(whole.records().filter((r) => r.k === 'trun').length, 3000);
    assert.equal(filtered.records().filter((r) => r.k === 'trun').length, 0);
    assert.equal(filtered.logs().length, 2500);
    assert.deepEqual(filtered.logs(), whole.logs());
    assert.deepEqual(filtered.records().filter((r) => r.k === 'state').map((r) => (r as { name: string }).name), ['Running', 'Completed']);
    assert.ok(filtered.records().some((r) => r.k === 'run'), "the run's own record is read");
    // Both reads end at the journal's last row, so a follower goes on from there.
    assert.equal(end.end, wholeEnd.end);
  } finally {
    await handle.close();
    await store.close();
  }
});
