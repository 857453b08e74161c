/**
 * On Postgres a run's journal lines are written behind it, and the host held every line the database had
 * not taken yet: a map of a million no-op tasks peaked at ~700 MB (host + worker), a task logging 1 GB at
 * ~920 MB (found by a hunt). Past a bound the host now stops reading the worker until the backlog is down
 * to half, and the worker waits on its pipe. Here the database takes nothing (the journal's table locked by
 * another connection) while a flow maps far more task runs than the bound: the host's backlog stops at the
 * bound, and once the lock goes every line is written, in order. A cancel is heard through a hold, and the
 * bound holds for what a cancelled run logs as it winds down.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BACKLOG_LINES, type PgRunHandle } from '../../src/engine/postgres/pgRunHandle';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { FlowRunner } from '../../src/engine/runner';
import type { RunHandle } from '../../src/engine/runStore';
import { DIST, flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { lockTable } from '../support/pgLockWait';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

/** Task runs mapped: three times the bound, so a host that holds them all is far past it. */
const ITEMS = 3 * BACKLOG_LINES;
/** What the host may read past the bound before it stops: the lines of a read of the pipe, and its own. */
const SLACK = 5000;

/**
 * `path`'s flow started on a store of its own, and waited for till it runs with every line written; its
 * handle as the runner gets it: its backlog is what the host holds.
 */
async function startRun(home: string, schema: string, path: string, parameters: Record<string, string>, cancelGraceMs: number): Promise<{ store: PgStore; runner: FlowRunner; run: Awaited<ReturnType<FlowRunner['start']>>; handle: PgRunHandle }> {
  const store = await PgStore.open(pgUrl(), { home, schema, detectCrashed: false });
  let handle: PgRunHandle | undefined;
  const createRun = store.createRun.bind(store);
  store.createRun = async (...args: Parameters<typeof store.createRun>): Promise<RunHandle> => {
    const h = await createRun(...args);
    handle = h as PgRunHandle;
    return h;
  };
  const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home }, cancelGraceMs, timeoutGraceMs: 1000 });
  const run = await runner.start({ source: { kind: 'file', path }, parameters });
  await waitFor(async () => (await store.readRun(run.id))?.state.name === 'Running' && handle !== undefined && handle.backlog.lines === 0, 'the run running, all written');
  return { store, runner, run, handle: handle! };
}

describe('a Postgres run whose records the database does not take yet', { timeout: 240_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('holds no more than the bound in the host, and writes every line in order once the database takes them', async () => {
    const schema = freshSchema();
    const home = tempDir();
    const ws = workspace({
      'big.flow.ts': flowSource(`
import { existsSync, writeFileSync } from 'node:fs';
const noop = task({ name: 'noop' }, async (n: number) => n);
export default flow({ name: 'big' }, async ({ gate, mapped }: { gate: string; mapped: string }) => {
  while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 20));
  await noop.map(Array.from({ length: ${ITEMS} }, (_, i) => i));
  writeFileSync(mapped, '');
  return 'done';
});
`),
    });
    const gate = join(ws, 'gate');
    const mapped = join(ws, 'mapped');
    const { store, run, handle } = await startRun(home, schema, join(ws, 'big.flow.ts'), { gate, mapped }, 1000);

    // Inserts into the journal wait for this lock: the database takes nothing. Released before the store
    // closes (closing waits for the run's writes), whatever the test found.
    const lock = await lockTable(`"${schema}".records`, 'exclusive');
    after(async () => {
      await run.done.catch(() => undefined);
      await store.close();
    });
    writeFileSync(gate, '');

    await waitFor(() => handle.backlog.lines >= BACKLOG_LINES, 'the backlog at its bound', 120_000);
    // Held from here on: a host reading on would have the whole map (3× the bound) in hand, and the map done.
    // Waited for a while, or until the map ends: then the host read it all.
    await waitFor(() => existsSync(mapped), 'the map to end', 10_000).catch(() => undefined);
    assert.equal(existsSync(mapped), false, 'the map ended while the database took nothing: the host read every line');
    assert.ok(handle.peakBacklog <= BACKLOG_LINES + SLACK, `the host held ${handle.peakBacklog} unwritten lines (bound ${BACKLOG_LINES})`);

    await lock.unlock();
    const detail = await run.done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.ok(handle.peakBacklog <= BACKLOG_LINES + SLACK, `the host held ${handle.peakBacklog} unwritten lines (bound ${BACKLOG_LINES})`);

    const { rows } = await store.pool.query<{ seq: string; kind: string; line: string }>(`select seq, kind, line from "${schema}".records where run_id = $1 order by seq`, [run.id]);
    const { rows: row } = await store.pool.query<{ journal_seq: string }>(`select journal_seq from "${schema}".runs where id = $1`, [run.id]);
    assert.equal(rows.length, Number(row[0]!.journal_seq));
    rows.forEach((r, i) => assert.equal(Number(r.seq), i + 1));
    // Each item's task run once, in the order mapped (as `task` records or a `trun` line each).
    const items = rows.filter((r) => r.kind === 'task' || r.kind === 'trun').map((r) => Number((JSON.parse(r.line) as { call: { key: string } }).call.key.split('#')[1]));
    assert.equal(items.length, ITEMS);
    items.forEach((n, i) => assert.equal(n, i));
    assert.equal(rows.at(-1)!.kind, 'log');
    assert.ok(rows.some((r) => r.kind === 'state' && r.line.includes('"Completed"')));
  });

  it('hears a cancel while the host is held, and holds what the cancelled run logs as it winds down to the bound', async () => {
    const schema = freshSchema();
    const home = tempDir();
    const ws = workspace({
      'winds.flow.ts': flowSource(`
import { existsSync, writeFileSync } from 'node:fs';
export default flow({ name: 'winds' }, async ({ gate, heard, wound }: { gate: string; heard: string; wound: string }) => {
  const log = getRunLogger();
  const signal = getRunContext().signal;
  signal.addEventListener('abort', () => writeFileSync(heard, ''));
  while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 20));
  // Logs till it is cancelled, letting its event loop turn now and then (where a cancel is read).
  for (let i = 0; !signal.aborted; ) {
    for (let k = 0; k < 1000; k++) log.info('running ' + i++);
    await new Promise((r) => setImmediate(r));
  }
  // Winding down, it logs three times the bound more.
  for (let k = 0; k < ${ITEMS}; k++) {
    log.info('winding down ' + k);
    if (k % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  writeFileSync(wound, '');
});
`),
    });
    const gate = join(ws, 'gate');
    const heard = join(ws, 'heard');
    const wound = join(ws, 'wound');
    // Grace enough to wind down: the worker is never killed here before it has logged it all.
    const { store, runner, run, handle } = await startRun(home, schema, join(ws, 'winds.flow.ts'), { gate, heard, wound }, 200_000);

    const lock = await lockTable(`"${schema}".records`, 'exclusive');
    after(async () => {
      runner.kill(run.id, 'the test is over');
      await run.done.catch(() => undefined);
      await store.close();
    });
    writeFileSync(gate, '');

    await waitFor(() => handle.backlog.lines >= BACKLOG_LINES, 'the backlog at its bound', 120_000);
    const peakBefore = handle.peakBacklog;
    assert.ok(runner.cancel(run.id));
    // The worker hears it though the host is not reading it for the store's sake.
    await waitFor(() => existsSync(heard), 'the flow to hear its cancel', 60_000);
    // Held from here on: a host reading on would have the whole wind-down (3× the bound) in hand.
    await waitFor(() => existsSync(wound), "the wind-down to be read", 20_000).catch(() => undefined);
    assert.ok(handle.peakBacklog <= BACKLOG_LINES + SLACK, `the host held ${handle.peakBacklog} unwritten lines after the cancel, ${peakBefore} before it (bound ${BACKLOG_LINES})`);
    assert.equal(existsSync(wound), false, 'the run wound down while the database took nothing: the host read every line');

    await lock.unlock();
    const detail = await run.done;
    assert.equal(detail.state.name, 'Cancelled', detail.state.message);
    assert.ok(existsSync(wound), 'the flow wound down in its grace');
    assert.ok(handle.peakBacklog <= BACKLOG_LINES + SLACK, `the host held ${handle.peakBacklog} unwritten lines (bound ${BACKLOG_LINES})`);
    const { rows } = await store.pool.query<{ n: string }>(`select count(*) as n from "${schema}".records where run_id = $1 and kind = 'log' and line like '%winding down%'`, [run.id]);
    assert.equal(Number(rows[0]!.n), ITEMS, 'every line it logged winding down is on record');
  });
});
