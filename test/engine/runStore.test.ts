import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { currentProcess } from '../../src/engine/processIdentity';
import type { FlowRunSummary } from '../../src/engine/records';
import { CRASHED_HOST_MESSAGE, RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { CLI, ROOT, flowSource, tempDir, workspace } from '../support/engine';

function summary(store: RunStore, over: Partial<FlowRunSummary> = {}): FlowRunSummary {
  return {
    id: crypto.randomUUID(),
    name: store.newRunName(),
    flowName: 'f',
    source: '/x.flow.ts',
    parameters: {},
    state: state('Pending'),
    created: Date.now(),
    owner: currentProcess(),
    ...over,
  };
}

describe('run store', () => {
  it('skips a torn final record and loses nothing before it; the next write starts a fresh line', () => {
    const home = tempDir();
    const store = RunStore.open(home);
    const run = summary(store);
    const w = store.createRun(run);
    w.append([{ k: 'log', ts: 1, level: 'INFO', source: 's', msg: 'first' }, { k: 'log', ts: 2, level: 'INFO', source: 's', msg: 'second' }]);
    w.close();
    // A crash in the middle of a write leaves half a record.
    appendFileSync(store.runFile(run.id), '{"k":"log","ts":3,"level":"INFO","sou');
    appendFileSync(join(home, 'runs', 'index.jsonl'), '{"k":"state","id":"' + run.id + '","sta');
    const reopened = RunStore.open(home, { detectCrashed: false });
    // A torn tail without a newline may still be being written: it is not read yet.
    assert.equal(reopened.skippedIndexRecords, 0);
    assert.equal(reopened.get(run.id)!.state.name, 'Pending');
    assert.deepEqual(reopened.readLogs(run.id).map((l) => l.message), ['first', 'second']);
    assert.equal(reopened.readRun(run.id)!.skippedRecords, 1);
    const w2 = new (w.constructor as typeof import('../../src/engine/runStore').RunWriter)(reopened.runFile(run.id));
    w2.append([{ k: 'log', ts: 4, level: 'INFO', source: 's', msg: 'after crash' }]);
    w2.close();
    reopened.setRunState(run.id, state('Completed'));
    const again = RunStore.open(home, { detectCrashed: false });
    assert.equal(again.skippedIndexRecords, 1);
    assert.deepEqual(again.readLogs(run.id).map((l) => l.message), ['first', 'second', 'after crash']);
    assert.equal(again.get(run.id)!.state.name, 'Completed');
  });

  it('marks a non-terminal run whose host process is gone as Crashed on open', () => {
    const home = tempDir();
    const store = RunStore.open(home);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const run = summary(store, { state: state('Running'), owner: { ...currentProcess(), pid: dead, startTicks: 1 } });
    store.createRun(run).close();
    const alive = summary(store, { state: state('Running') });
    store.createRun(alive).close();
    const reopened = RunStore.open(home);
    assert.equal(reopened.get(run.id)!.state.name, 'Crashed');
    assert.equal(reopened.get(run.id)!.state.message, CRASHED_HOST_MESSAGE);
    assert.equal(reopened.get(alive.id)!.state.name, 'Running');
    assert.equal(reopened.readRun(run.id)!.states.at(-1)!.name, 'Crashed');
  });

  it('treats a reused PID as a different process (start time differs)', () => {
    const home = tempDir();
    const store = RunStore.open(home);
    const me = currentProcess();
    const run = summary(store, { state: state('Running'), owner: { ...me, startTicks: (me.startTicks ?? 0) + 12345 } });
    store.createRun(run).close();
    if (me.startTicks === undefined) return; // Only Linux exposes start times.
    assert.equal(RunStore.open(home).get(run.id)!.state.name, 'Crashed');
  });

  it('marks the run of a killed CLI process Crashed ("host process ended") on the next open, keeping its logs', async () => {
    const ws = workspace({ 'long.flow.ts': flowSource(`export default flow({ name: 'long' }, async () => { getRunLogger().info('started'); await new Promise((r) => setTimeout(r, 60000)); });`) });
    const home = tempDir();
    const child = spawn(process.execPath, [CLI, 'run', join(ws, 'long.flow.ts')], { env: { ...process.env, FLOWDECK_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((res) => child.stderr!.on('data', (c: Buffer) => c.toString().includes('started') && res()));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    // The orphaned worker notices its host is gone and exits too.
    const store = RunStore.open(home);
    const [run] = store.list();
    assert.equal(run!.state.name, 'Crashed');
    assert.equal(run!.state.message, 'host process ended');
    assert.ok(store.readLogs(run!.id).some((l) => l.message === 'started'));
  });

  it('lets two processes write one store at the same time without losing records', async () => {
    const home = tempDir();
    const script = `
      const { RunStore } = require(${JSON.stringify(join(ROOT, 'src/engine/runStore.ts'))});
      const { currentProcess } = require(${JSON.stringify(join(ROOT, 'src/engine/processIdentity.ts'))});
      const store = RunStore.open(process.env.FLOWDECK_HOME);
      for (let i = 0; i < 150; i++) {
        const now = Date.now();
        const s = { id: crypto.randomUUID(), name: store.newRunName(), flowName: process.argv[1], source: 'x', parameters: { i }, state: { type: 'PENDING', name: 'Pending', timestamp: now }, created: now, owner: currentProcess() };
        const w = store.createRun(s);
        store.setRunState(s.id, { type: 'RUNNING', name: 'Running', timestamp: now + 1 }, { startTime: now + 1 });
        w.append([{ k: 'log', ts: now, level: 'INFO', source: 'x', msg: 'm' + i }]);
        store.setRunState(s.id, { type: 'COMPLETED', name: 'Completed', timestamp: now + 2 }, { endTime: now + 2 });
        w.close();
      }`;
    const procs = ['one', 'two', 'three'].map((name) => spawn(process.execPath, ['--import', 'tsx', '-e', script, name], { env: { ...process.env, FLOWDECK_HOME: home }, cwd: ROOT, stdio: 'inherit' }));
    await Promise.all(procs.map((p) => new Promise((r) => p.on('close', r))));
    const store = RunStore.open(home);
    assert.equal(store.size, 450);
    assert.equal(store.skippedIndexRecords, 0);
    for (const flow of ['one', 'two', 'three']) assert.equal(store.list({ flowName: flow, stateType: 'COMPLETED' }).length, 150);
    assert.equal(new Set(store.list().map((r) => r.name)).size, 450);
  });

  it('picks up runs other processes add (refresh) and survives compaction', () => {
    const home = tempDir();
    const a = RunStore.open(home);
    const b = RunStore.open(home);
    const run = summary(b);
    b.createRun(run).close();
    assert.deepEqual(a.refresh(), [run.id]);
    b.setRunState(run.id, state('Completed'));
    assert.deepEqual(a.refresh(), [run.id]);
    assert.equal(a.get(run.id)!.state.name, 'Completed');
    b.compact();
    assert.deepEqual(a.refresh(), []);
    assert.equal(a.get(run.id)!.state.name, 'Completed');
    assert.equal(readFileSync(join(home, 'runs', 'index.jsonl'), 'utf8').trim().split('\n').length, 1);
  });

  it('compacts an index with many lines per run on open, keeping every run', () => {
    const home = tempDir();
    const store = RunStore.open(home);
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      const run = summary(store, { created: i });
      ids.push(run.id);
      store.createRun(run).close();
      for (const n of ['Running', 'Running', 'Running', 'Completed'] as const) store.setRunState(run.id, state(n));
    }
    const before = readFileSync(join(home, 'runs', 'index.jsonl'), 'utf8').trim().split('\n').length;
    assert.equal(before, 2000);
    const reopened = RunStore.open(home);
    const after = readFileSync(join(home, 'runs', 'index.jsonl'), 'utf8').trim().split('\n').length;
    assert.equal(after, 400);
    assert.equal(reopened.size, 400);
    assert.ok(reopened.list().every((r) => r.state.name === 'Completed'));
    assert.equal(reopened.list({ limit: 1 })[0]!.id, ids[399]);
  });

  it('deletes runs and prunes to a history limit', () => {
    const home = tempDir();
    const store = RunStore.open(home);
    for (let i = 0; i < 10; i++) {
      const r = summary(store, { created: i, state: state('Completed') });
      store.createRun(r).close();
    }
    const newest = store.list({ limit: 3 }).map((r) => r.id);
    store.prune(3);
    assert.deepEqual(RunStore.open(home).list().map((r) => r.id), newest);
  });

  it('expires cached results and keeps kv values', () => {
    const store = RunStore.open(tempDir());
    store.cachePut('k', { v: 1 }, Date.now() + 50);
    assert.deepEqual(store.cacheGet('k'), { value: { v: 1 } });
    assert.equal(store.cacheGet('k', Date.now() + 100), null);
    store.kvSet('github-etags', 'PrefectHQ/prefect', { etag: '"abc"' });
    assert.deepEqual(store.kvGet('github-etags', 'PrefectHQ/prefect'), { etag: '"abc"' });
    assert.equal(store.kvGet('github-etags', 'other'), undefined);
  });

  it('removes expired cache entries on open, at most once a day', () => {
    const home = tempDir();
    const store = RunStore.open(home);
    store.cachePut('old', 1, Date.now() - 1000);
    store.cachePut('fresh', 2, Date.now() + 60_000);
    store.cachePut('forever', 3);
    const cacheDir = join(home, 'cache');
    const count = () => readdirSync(cacheDir).filter((f) => f.endsWith('.json')).length;
    assert.equal(count(), 3);
    // Purged today already (when the store was first opened): nothing happens.
    RunStore.open(home);
    assert.equal(count(), 3);
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    utimesSync(join(cacheDir, '.purged'), dayAgo, dayAgo);
    const reopened = RunStore.open(home);
    assert.equal(count(), 2);
    assert.deepEqual(reopened.cacheGet('fresh'), { value: 2 });
    assert.deepEqual(reopened.cacheGet('forever'), { value: 3 });
  });

  it('refuses ids that could escape the store folder', () => {
    const store = RunStore.open(tempDir());
    assert.throws(() => store.runFile('../../etc/passwd'), /Not a run id/);
    writeFileSync(join(store.runsDir, 'x'), '');
  });
});

describe('run store: a long-lived reader', () => {
  it('notices a run whose owner died after the store was opened (markCrashed) and reports it', () => {
    const home = tempDir();
    const reader = RunStore.open(home);
    const writer = RunStore.open(home);
    const child = spawnSync(process.execPath, ['-e', '0']);
    const run = summary(writer, { state: state('Running'), owner: { ...currentProcess(), pid: child.pid!, startTicks: 1 } });
    writer.createRun(run).close();
    assert.deepEqual(reader.refresh(), [run.id]);
    assert.equal(reader.hasUnfinishedRuns(), true);
    assert.deepEqual(reader.markCrashed(), [run.id]);
    assert.equal(reader.get(run.id)!.state.name, 'Crashed');
    assert.equal(reader.hasUnfinishedRuns(), false);
    assert.deepEqual(reader.markCrashed(), []);
  });
});
