/**
 * What only the Postgres store has: migrations under a lock, the password kept out of sight, TLS options
 * passed through, large results moved into the database, leases and fencing between processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client, type PoolClient } from 'pg';
import { redactUrl } from '../../src/engine/postgres/connection';
import { checkLease } from '../../src/engine/postgres/hostLease';
import { MIGRATIONS, migrate } from '../../src/engine/postgres/migrations';
import { IDLE_IN_TRANSACTION_MS, PgStore } from '../../src/engine/postgres/pgStore';
import { BATCH_LINES } from '../../src/engine/postgres/pgRunHandle';
import { addRunJob } from '../../src/engine/postgres/runQueue';
import type { FlowRunDetail, PauseInputRecord, RunRecord } from '../../src/engine/records';
import { state } from '../../src/engine/states';
import { stateRecord } from '../../src/engine/stateRecord';
import { ROOT, logsOf, tempDir, waitFor } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const T = { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) };

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

describe('Postgres store', T, () => {
  // Seen in CI as a test file that never ended: a store closed while its change feed was still connecting
  // left that connection open, and the process alive, for good.
  it("prunes old slot claims by the database's clock: those whose runs were made once ten minutes old, those without a run noted once a day old; never the newest", async () => {
    const schema = freshSchema();
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const SLOT = 1_700_000_000_000;
      const slots = async (): Promise<number[]> => (await client.query<{ slot: string }>(`select slot from "${schema}".schedule_slots where schedule_id = '00000000ee' order by slot`)).rows.map((r) => Number(r.slot));
      for (let i = 0; i < 45; i++) {
        assert.equal((await store.schedules.claimSlot('00000000ee', SLOT + i * 1000)).claimed, true);
        if (i !== 1) await store.schedules.markSlotRun('00000000ee', SLOT + i * 1000, `run-${i}`);
      }
      assert.equal((await slots()).length, 45, 'claims a moment old are all kept');
      // Eleven minutes pass (as the database counts them).
      await client.query(`update "${schema}".schedule_slots set claimed_at = claimed_at - interval '11 minutes'`);
      assert.equal((await store.schedules.claimSlot('00000000ee', SLOT + 45_000)).claimed, true);
      let left = await slots();
      assert.equal(left.length, 21, left.join(','));
      assert.deepEqual([left[0], left[1], left.at(-1)], [SLOT + 1000, SLOT + 26_000, SLOT + 45_000], 'the claim without a run stays, and the 20 newest');
      // A day passes.
      await client.query(`update "${schema}".schedule_slots set claimed_at = claimed_at - interval '1 day'`);
      assert.equal((await store.schedules.claimSlot('00000000ee', SLOT + 46_000)).claimed, true);
      left = await slots();
      assert.deepEqual([left.length, left[0]], [20, SLOT + 27_000]);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('closed while its change feed connects, leaves nothing open: the process ends by itself', async () => {
    const script = `const { PgStore } = require('./src/engine/postgres/pgStore');
(async () => {
  for (let i = 0; i < 5; i++) {
    const store = await PgStore.open(${JSON.stringify(pgUrl())}, { home: ${JSON.stringify(tempDir())}, schema: ${JSON.stringify(freshSchema())} });
    store.shared.watch({})();
    await store.close();
  }
})();`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('close', (c, sig) => res([c, sig])));
    clearTimeout(timer);
    assert.equal(signal, null, 'the process did not end by itself within 60 s: something was left open');
    assert.equal(code, 0, err);
  });

  it('migrates a new schema once when several processes open it at the same moment, and refuses a newer schema', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PgStore.open(pgUrl(), { home: tempDir(), schema })));
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>(`select version from "${schema}".migrations order by version`);
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      await client.query(`insert into "${schema}".migrations (version, name) values (9999, 'from the future')`);
    } finally {
      await client.end();
    }
    await assert.rejects(PgStore.open(pgUrl(), { home: tempDir(), schema }), /migrated by a newer Flowdeck \(version 9999/);
    for (const s of stores) await s.close();
  });

  // Found on review: `flowdeck variables` (or `runs`, which reads newer columns) against a schema an older
  // Flowdeck had made failed (`relation … does not exist`) until some writing command migrated it.
  it('a read-only open of a schema an older Flowdeck made brings it up to date; of a newer one, refuses', async () => {
    const schema = freshSchema();
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const pool = { query: client.query.bind(client) } as unknown as PoolClient;
      await migrate(pool, schema, MIGRATIONS.slice(0, 1));
      const reader = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
      try {
        assert.deepEqual(await reader.variables.list(), []);
        assert.deepEqual(await reader.list({ limit: 10 }), []);
      } finally {
        await reader.close();
      }
      const { rows } = await client.query<{ version: number }>(`select version from "${schema}".migrations order by version`);
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      await client.query(`insert into "${schema}".migrations (version, name) values (9999, 'from the future')`);
      await assert.rejects(PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true }), /migrated by a newer Flowdeck \(version 9999/);
    } finally {
      await client.end();
    }
  });

  it("migration 11 writes the heads of the artifacts a store of version 10 holds: they are read without their data, whatever their lines' layout", async () => {
    const schema = freshSchema();
    const home = tempDir();
    let store = await PgStore.open(pgUrl(), { home, schema });
    const h = await store.createRun({ flowName: 'arts', source: '/arts.flow.ts', parameters: {} });
    const runId = h.id;
    await h.setState(state('Running'));
    await h.append([
      { k: 'artifact', runId, key: 'report', ts: 2, data: { kind: 'markdown', markdown: 'a "data":{"kind":"link"} {' } },
      { k: 'task', runId, id: 't1', name: 'work-0', taskName: 'work', call: { key: 'work#0', argsHash: 'h' }, ts: 3 },
      { k: 'artifact', runId, taskRunId: 't1', key: 'rows', ts: 4, data: { kind: 'table', columns: ['a'], rows: [['{'], [1]] } },
      // Laid out otherwise than a worker writes it: its data before its key.
      { k: 'artifact', runId, data: { kind: 'progress', progress: 40, description: '{ half }' }, key: 'odd', ts: 5 } as RunRecord,
      // A NUL character, which Postgres's jsonb refuses: read whole.
      { k: 'artifact', runId, key: 'nul', ts: 6, data: { kind: 'markdown', markdown: 'a \u0000 b' } },
      { k: 'state', runId, name: 'Completed', ts: 10 },
    ]);
    await h.setState(state('Completed', undefined, 10), { endTime: 10 });
    await h.close();
    await store.close();
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      // What an artifact's line that is not JSON at all would be: skipped by every reader, never a failed migration.
      await client.query(`insert into "${schema}".records (run_id, seq, kind, line) values ($1, 100, 'artifact', '{"k":"artifact","key":"cut')`, [runId]);
      // The store as version 10 had it.
      await client.query(`alter table "${schema}".records drop column artifact_head; delete from "${schema}".migrations where version = 11`);
      store = await PgStore.open(pgUrl(), { home, schema });
      try {
        const { rows } = await client.query<{ seq: string; head: string | null }>(`select seq, artifact_head as head from "${schema}".records where run_id = $1 and kind = 'artifact' order by seq`, [runId]);
        assert.deepEqual(
          rows.map((r) => (r.head === null ? null : (JSON.parse(r.head) as { key: string; data: unknown }))).map((head) => head && [head.key, head.data]),
          [['report', { kind: 'markdown' }], ['rows', { kind: 'table' }], ['odd', { kind: 'progress' }], null, null],
        );
        const want = (await store.readRun(runId))!;
        assert.deepEqual(want.artifacts?.map((a) => a.key), ['report', 'rows', 'odd', 'nul']);
        const parts = (await store.readRunParts(runId, { artifactData: false }))!;
        const taskRuns: FlowRunDetail['taskRuns'] = [];
        await parts.readTaskRuns((batch) => void taskRuns.push(...batch));
        assert.deepEqual({ ...parts.detail, taskRuns }, { ...want, artifacts: want.artifacts!.map(({ data, ...a }) => ({ ...a, kind: data.kind })) });
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
    }
  });

  it('a writer opening the store purges expired cache entries once a day (UTC), a reader never', async () => {
    const schema = freshSchema();
    let now = Date.UTC(2026, 0, 1, 12);
    const clock = { now: () => now };
    const cached = async (): Promise<number> => {
      const reader = await PgStore.open(pgUrl(), { home: tempDir(), schema, clock, readOnly: true });
      try {
        return (await reader.cache.entries()).length;
      } finally {
        await reader.close();
      }
    };
    const writer = await PgStore.open(pgUrl(), { home: tempDir(), schema, clock });
    await writer.cache.put('t:expiring', '1', now + 1000);
    await writer.cache.put('t:kept', '2');
    await writer.close();
    now += 2000;
    await (await PgStore.open(pgUrl(), { home: tempDir(), schema, clock })).close();
    assert.equal(await cached(), 2, 'purged already today: expired, but kept until tomorrow');
    now += 24 * 3600_000;
    assert.equal(await cached(), 2, 'a reader purges nothing');
    await (await PgStore.open(pgUrl(), { home: tempDir(), schema, clock })).close();
    assert.equal(await cached(), 1, "the day's first writer purged it");
  });

  it("writes a run's final state only if every batch before it was written: after a refused batch it is refused too, other lines still go", async () => {
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema: freshSchema() });
    try {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      const line = (message: string): string => `${JSON.stringify({ k: 'log', runId: h.id, ts: 1, level: 'INFO', source: 's', message })}\n`;
      await h.appendAfterAll!(line('first final, nothing failed yet'));
      // A text column takes no NUL character: Postgres refuses the whole batch.
      await assert.rejects(h.appendText(line('before').replace('before', 'bef\u0000ore')), /Could not record run/);
      await assert.rejects(h.appendAfterAll!(line('final after a refused batch')), /Could not record run/);
      await h.appendText(line('a plain line after it'));
      assert.deepEqual((await logsOf(store, h.id)).map((l) => l.message), ['first final, nothing failed yet', 'a plain line after it']);
    } finally {
      await store.close();
    }
  });

  it('writes a burst of appends in bounded transactions, in order: a writer left behind sends no transaction of every line queued', async () => {
    const schema = freshSchema();
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      const line = (i: number): string => `${JSON.stringify({ k: 'log', runId: h.id, ts: 1, level: 'INFO', source: 's', message: `m${i}` })}\n`;
      // As a map's task runs come while a batch is out: 30,000 appends queued at once, then one of 20,000 lines.
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 30_000; i++) writes.push(h.appendText(line(i)));
      writes.push(h.appendText(Array.from({ length: 20_000 }, (_, i) => line(30_000 + i)).join('')));
      writes.push(h.appendAfterAll!(line(50_000)));
      await Promise.all(writes);
      // Rows inserted by one transaction share its id (xmin).
      const { rows } = await client.query<{ n: string }>(`select count(*) as n from "${schema}".records where run_id = $1 and kind = 'log' group by xmin::text order by 1 desc`, [h.id]);
      assert.ok(rows.length > 1 && Number(rows[0]!.n) <= BATCH_LINES, `largest transaction ${rows[0]?.n} lines, in ${rows.length} transactions`);
      const messages = (await logsOf(store, h.id)).map((l) => l.message);
      assert.equal(messages.length, 50_001);
      assert.ok(messages.every((m, i) => m === `m${i}`), 'every line once, in order');
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('never shows the connection string\'s password: not in its location, not in an error', async () => {
    const secret = 'pw-Zq81xK-never-shown';
    const schema = freshSchema();
    const store = await PgStore.open(withPassword(pgUrl(), secret), { home: tempDir(), schema });
    assert.ok(!store.location.includes(secret), store.location);
    assert.equal(store.location, redactUrl(withPassword(pgUrl(), secret)));
    await store.close();
    const missing = new URL(withPassword(pgUrl(), secret));
    missing.pathname = '/no_such_database_here';
    const error = await PgStore.open(missing.toString(), { home: tempDir(), schema }).then(
      () => assert.fail('opened a database that does not exist'),
      (e: Error) => e,
    );
    assert.match(error.message, /no_such_database_here/);
    assert.match(error.message, /createdb/);
    assert.ok(!error.message.includes(secret), error.message);
    assert.equal(redactUrl('postgres://app:pw@db:5432/flows?sslmode=verify-full&password=pw2'), 'postgres://app@db:5432/flows?sslmode=verify-full&password=***');
  });

  it('passes TLS options through to the connection (sslmode=require against a server without TLS says so)', async () => {
    const u = new URL(pgUrl());
    u.searchParams.set('sslmode', 'require');
    await assert.rejects(PgStore.open(u.toString(), { home: tempDir(), schema: freshSchema() }), /SSL|TLS/i);
  });

  it('moves a result file into the database when its record is appended; another machine reads it, and gets it back in its own folder to resume — only to resume', async () => {
    const schema = freshSchema();
    const here = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    const h = await here.createRun({ flowName: 'f', source: 'flows/x.flow.ts', parameters: {} });
    const text = JSON.stringify(['y'.repeat(400_000)]);
    mkdirSync(h.resultsDir, { recursive: true });
    writeFileSync(join(h.resultsDir, 'task-1.dv'), text);
    await h.appendText(`${JSON.stringify({ k: 'result', runId: h.id, ref: { file: 'task-1.dv', bytes: text.length } })}\n`);
    assert.equal(existsSync(join(h.resultsDir, 'task-1.dv')), false, 'the local copy goes once it is stored');
    await h.setState(state('Crashed', 'host process ended'), { endTime: Date.now() });
    await h.close();
    const elsewhereHome = tempDir();
    const elsewhere = await PgStore.open(pgUrl(), { home: elsewhereHome, schema });
    assert.equal(await elsewhere.readResultText(h.id, { file: 'task-1.dv', bytes: text.length }), text);
    // Opened to add to its journal (a crash hook's logs, a scheduler's or worker's note): nothing is copied here.
    // It was: the run's whole result tree, at every such open.
    const noted = await elsewhere.openRun(h.id);
    await noted.close();
    assert.deepEqual(readdirSync(elsewhereHome).filter((f) => f === 'results'), [], 'a note copied results here');
    const reopened = await elsewhere.openRun(h.id, { resume: true });
    assert.equal(readFileSync(join(reopened.resultsDir, 'task-1.dv'), 'utf8'), text);
    await reopened.close();
    // A record naming a file that is not there is refused (and says which), rather than stored without its result.
    const h2 = await here.createRun({ flowName: 'f', source: 'x', parameters: {} });
    await assert.rejects(h2.appendText(`${JSON.stringify({ k: 'result', runId: h2.id, ref: { file: 'gone.dv', bytes: 1 } })}\n`), /gone\.dv/);
    await here.close();
    await elsewhere.close();
  });

  it('a process that stops responding loses its runs after its lease; when it wakes up, its writes are refused', async () => {
    const schema = freshSchema();
    const home = tempDir();
    // A separate process holds a run, with a lease of 1.5 s (heartbeat 0.25 s), then is frozen.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'fixtures', 'pgLeaseHolder.ts')], {
      cwd: ROOT,
      env: { ...process.env, PG_URL: pgUrl(), PG_SCHEMA: schema, PG_HOME: home },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(() => out.includes('holding '), 'the holder to create its run', 60_000);
      const runId = /holding (\S+)/.exec(out)![1]!;
      child.kill('SIGSTOP');
      const reader = await PgStore.open(pgUrl(), { home: tempDir(), schema, detectCrashed: false });
      try {
        await waitFor(async () => (await reader.markCrashed()).includes(runId), 'the frozen holder\'s run to be marked Crashed', 30_000);
        assert.equal((await reader.get(runId))!.state.name, 'Crashed');
        child.kill('SIGCONT');
        child.stdin!.write('append\n');
        await waitFor(() => out.includes('append:'), 'the holder to try writing again', 30_000);
        assert.match(out, /append: refused .*lost its lease/);
        assert.equal((await reader.readRun(runId))!.states.at(-1)!.name, 'Crashed');
      } finally {
        await reader.close();
      }
    } finally {
      child.kill('SIGCONT');
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  });

  it("a worker cut off in the middle of a write (its session left holding the run's row) does not stall the sweep, and its run is settled once the server ends that session", async () => {
    const schema = freshSchema();
    const lease = { heartbeatMs: 100, lapseMs: 600 };
    const cut = await PgStore.open(pgUrl(), { home: tempDir(), schema, kind: 'worker', lease, detectCrashed: false });
    const sweeper = await PgStore.open(pgUrl(), { home: tempDir(), schema, kind: 'worker', lease, detectCrashed: false });
    // What a cut worker's session looks like from the server: inside a transaction that took the run's row,
    // then nothing. (Flowdeck's own sessions are ended by the server after IDLE_IN_TRANSACTION_MS; this
    // stand-in asks for 1 s.)
    const cutSession = new Client({ connectionString: pgUrl() });
    cutSession.on('error', () => undefined);
    await cutSession.connect();
    const { rows: setting } = await sweeper.pool.query<{ idle_in_transaction_session_timeout: string }>('show idle_in_transaction_session_timeout');
    assert.equal(setting[0]!.idle_in_transaction_session_timeout, `${IDLE_IN_TRANSACTION_MS / 1000}s`, "the store's sessions are ended by the server when left idle in a transaction");
    try {
      const held = await cut.createRun({ flowName: 'f', source: 'x', parameters: {} });
      const free = await cut.createRun({ flowName: 'f', source: 'x', parameters: {} });
      await cutSession.query(`set idle_in_transaction_session_timeout = '1s'`);
      await cutSession.query('begin');
      await cutSession.query(`select id from "${schema}".runs where id = $1 for update`, [held.id]);
      // The worker is gone as far as the store is concerned: its lease is no more.
      await cut.lease!.end();
      // The sweep goes past the locked row (it used to wait on it for as long as the session lived: hours).
      const first = await sweeper.markCrashed();
      assert.deepEqual(first, [free.id], 'the run whose row is free is settled at once; the locked one is left for the next sweep');
      await waitFor(async () => (await sweeper.markCrashed()).includes(held.id), 'the held run to be settled once the server ended the cut session', 30_000);
      assert.equal((await sweeper.get(held.id))!.state.name, 'Crashed');
    } finally {
      await cutSession.end().catch(() => undefined);
      await cut.close().catch(() => undefined);
      await sweeper.close();
    }
  });

  it('a lease is at least four heartbeats, and one that is keeps itself across heartbeats', async () => {
    // At three, the lease's first tick found it a heartbeat old: past its fence (two heartbeats before it lapses).
    assert.throws(() => checkLease({ heartbeatMs: 1000, lapseMs: 3000 }), /A lease of 3 s with a heartbeat every 1 s cannot work: the lease must be at least four heartbeats/);
    assert.deepEqual(checkLease({ heartbeatMs: 1000, lapseMs: 4000 }), { heartbeatMs: 1000, lapseMs: 4000 });
    await assert.rejects(PgStore.open(pgUrl(), { home: tempDir(), schema: freshSchema(), lease: { heartbeatMs: 1000, lapseMs: 3000 }, detectCrashed: false }), /at least four heartbeats/);
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema: freshSchema(), lease: { heartbeatMs: 1000, lapseMs: 4000 }, detectCrashed: false });
    try {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      // Past the first tick and several more (each beat counted where the database takes it).
      const seen = (): Promise<string> => store.pool.query<{ t: string }>(`select last_seen::text as t from "${store.schema}".hosts where id = $1`, [store.lease!.id]).then((r) => r.rows[0]?.t ?? '');
      const first = await seen();
      await waitFor(async () => (await seen()) !== first, 'a heartbeat to be taken', 20_000);
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(store.lease!.fenced, false, 'the lease is kept');
      await h.setState(state('Running'));
      assert.equal((await store.get(h.id))!.state.name, 'Running');
      await h.close();
    } finally {
      await store.close();
    }
  });

  it('a worker that died after claiming a queued run but before taking it up leaves it queued again, for another worker to claim', async () => {
    const schema = freshSchema();
    const lease = { heartbeatMs: 100, lapseMs: 600 };
    // The dying worker's heartbeat never comes within the test: one could refresh its lease just after the
    // test makes it look gone, and then nothing would be taken from it (seen on a busy machine).
    const dying = await PgStore.open(pgUrl(), { home: tempDir(), schema, kind: 'worker', lease: { heartbeatMs: 60_000, lapseMs: 240_000 }, detectCrashed: false });
    const other = await PgStore.open(pgUrl(), { home: tempDir(), schema, kind: 'worker', lease, detectCrashed: false });
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const run = await other.shared.enqueue({ queue: 'q', flowName: 'f', source: 'builtin:github-repo-stats', parameters: {} });
      // The dying worker's queue has the job locked, and it has claimed the start.
      await dying.lease!.addQueueWorker('pool-of-the-dying-worker');
      await client.query(`update "${schema}_queue"._private_jobs set locked_by = 'pool-of-the-dying-worker', locked_at = now()`);
      assert.equal(await dying.claim(`start:${run.id}`), true);
      assert.equal(await other.claim(`start:${run.id}`), false);
      // It stops responding.
      await client.query(`update "${schema}".hosts set last_seen = now() - interval '1 hour' where id = $1`, [dying.lease!.id]);
      await other.markCrashed();
      assert.equal((await other.get(run.id))!.state.name, 'Scheduled');
      const { rows } = await client.query<{ locked_by: string | null }>(`select locked_by from "${schema}_queue"._private_jobs where key = $1`, [`run:${run.id}`]);
      assert.deepEqual(rows, [{ locked_by: null }], 'a job for the run is there for any worker to take');
      assert.equal(await other.claim(`start:${run.id}`), true);
    } finally {
      await client.end();
      await dying.close().catch(() => undefined);
      await other.close();
    }
  });

  it("hands runs waiting on their queues for a slot of their flow to workers when one frees, the oldest first; counts the runs waiting ahead of one on its queue", async () => {
    const schema = freshSchema();
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, kind: 'worker', detectCrashed: false });
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    // Queued one after another (a millisecond apart at least: the queue's order is their creation's).
    const queued = async (flowName: string, queue = 'q'): Promise<string> => {
      const before = Date.now();
      await waitFor(() => Date.now() > before, 'the clock to move on', 5_000);
      return (await store.shared.enqueue({ queue, flowName, source: 'builtin:github-repo-stats', parameters: {} })).id;
    };
    // Given back by a worker holding its job: a job due much later added, the run says why it waits.
    const givenBack = async (id: string, queue = 'q'): Promise<void> => {
      await client.query(`update "${schema}_queue"._private_jobs set locked_by = 'a-worker', locked_at = now() where key = $1`, [`run:${id}`]);
      await addRunJob(store.pool, schema, queue, id, `run:${id}`, { afterMs: 600_000 });
      assert.equal(await store.shared.markAwaitingSlot(id, 'Waiting for a concurrency slot: test'), true);
    };
    const dueNow = async (): Promise<string[]> => {
      const { rows } = await client.query<{ id: string }>(`select substr(key, 5) as id from "${schema}_queue"._private_jobs where key is not null and locked_at is null and run_at <= now() order by run_at, id`);
      return rows.map((r) => r.id);
    };
    try {
      const [a, b, c] = [await queued('f'), await queued('f'), await queued('f')];
      const elsewhere = await queued('f', 'other');
      const notWaiting = await queued('f');
      const otherFlow = await queued('g');
      for (const id of [a, b, c]) await givenBack(id);
      await givenBack(elsewhere, 'other');
      await givenBack(otherFlow);
      assert.deepEqual(await dueNow(), [notWaiting], 'only the run never given back is due now');
      assert.deepEqual(await Promise.all([a, b, c, elsewhere, notWaiting, otherFlow].map((id) => store.shared.waitingAhead(id))), [0, 1, 2, 0, 3, 0], 'ahead: runs of its flow on its queue, queued before it, waiting');
      // A slot of a flow of limit 2 frees: its two oldest waiting runs are due now, before the run queued after
      // them (their creation's time), in their order; the others keep waiting.
      assert.equal(await store.shared.flowSlotFreed('f', 2), 2);
      assert.deepEqual(await dueNow(), [a, b, notWaiting]);
      assert.equal(await store.shared.flowSlotFreed('h', 1), 0, 'no run waits for a flow of that name');
      // A run queued before that a worker will still take up counts as ahead: its job waiting to be picked, or
      // picked by a live worker, or its start claimed by one — once; not when nothing will take it up.
      assert.equal(await store.shared.waitingAhead(otherFlow), 0);
      const later = await queued('f');
      assert.equal(await store.shared.waitingAhead(later), 4, 'a, b, c, and the one whose job waits to be picked');
      const job = `"${schema}_queue"._private_jobs`;
      await client.query(`update ${job} set locked_by = 'picker', locked_at = now(), attempts = attempts + 1 where key = $1`, [`run:${notWaiting}`]);
      assert.equal(await store.shared.waitingAhead(later), 3, 'its job held by a worker no live host has (died)');
      await store.lease!.addQueueWorker('picker');
      assert.equal(await store.shared.waitingAhead(later), 4, 'its job held by a live worker');
      assert.equal(await store.claim(`start:${notWaiting}`), true);
      assert.equal(await store.shared.waitingAhead(later), 4, 'and its start claimed: once');
      await store.unclaim(`start:${notWaiting}`);
      await client.query(`update ${job} set locked_by = null, locked_at = null, attempts = max_attempts where key = $1`, [`run:${notWaiting}`]);
      assert.equal(await store.shared.waitingAhead(later), 3, 'its job failed for good');
      assert.equal(await store.claim(`start:${notWaiting}`), true);
      assert.equal(await store.shared.waitingAhead(later), 4, 'being taken up by a live worker though');
      await store.unclaim(`start:${notWaiting}`);
      await client.query(`update ${job} set attempts = 0 where key = $1`, [`run:${notWaiting}`]);
      await client.query(`update ${job} set attempts = max_attempts where key = $1`, [`run:${b}`]);
      assert.equal(await store.shared.waitingAhead(later), 3, 'given back, waiting for a slot, its job failed for good: b not counted');
      await client.query(`update ${job} set attempts = 0 where key = $1`, [`run:${b}`]);
      // Taken up (no longer waiting), it is neither ahead of another nor handed out again.
      await client.query(`update "${schema}".runs set state = jsonb_set(state, '{name}', '"Pending"'), state_type = 'PENDING' where id = $1`, [a]);
      assert.equal(await store.shared.waitingAhead(c), 1);
      assert.equal(await store.shared.flowSlotFreed('f', 5), 3, 'b, c and the one on the other queue');
      assert.deepEqual(await dueNow(), [a, b, c, elsewhere, notWaiting, later], "a's job as it was: due since the first slot freed");
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('resumes a suspended run workers ran on its queue, once: its input into its journal and a job for its next attempt; a run not queued, or not suspended, is not', async () => {
    const schema = freshSchema();
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, kind: 'worker', detectCrashed: false });
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    const suspend = async (id: string, seconds = 60): Promise<void> => {
      const h = await store.openRun(id);
      const s = state('Suspended', 'Publish?');
      s.pause = { until: Date.now() + seconds * 1000, key: 'pause-1' };
      await h.append([stateRecord(id, s)]);
      await h.setState(s, { endTime: s.timestamp });
      await h.close();
    };
    const given = (runId: string, approve: boolean): PauseInputRecord => ({ k: 'input', runId, key: 'pause-1', ts: Date.now(), value: { approve } });
    try {
      const queued = await store.shared!.enqueue({ queue: 'q', flowName: 'f', source: 'builtin:github-repo-stats', parameters: {} });
      assert.equal((await store.shared!.resumeQueued(queued.id, given(queued.id, true))).outcome, 'not-suspended', 'waiting to start, not suspended');
      // A subflow run it ran before it suspended, with a subflow run of its own: where their journals end is given.
      const sub = await store.createRun({ flowName: 'g', source: '/x.flow.ts', parameters: {}, parentRunId: queued.id });
      await sub.append([{ k: 'log', runId: sub.id, ts: 1, level: 'INFO', source: 's', message: 'one' }, { k: 'log', runId: sub.id, ts: 2, level: 'INFO', source: 's', message: 'two' }]);
      const subsub = await store.createRun({ flowName: 'h', source: '/x.flow.ts', parameters: {}, parentRunId: sub.id });
      const ends = { [sub.id]: (await store.shared!.readRecords(sub.id, 0)).last, [subsub.id]: (await store.shared!.readRecords(subsub.id, 0)).last };
      assert.ok(ends[sub.id]! >= 3, 'its created record and two lines');
      await sub.close();
      await subsub.close();
      await suspend(queued.id);
      const first = await store.shared!.resumeQueued(queued.id, given(queued.id, true));
      assert.deepEqual({ ...first, seq: 0 }, { outcome: 'queued', queue: 'q', seq: 0, subflowSeqs: ends });
      assert.equal((await store.shared!.resumeQueued(queued.id, given(queued.id, false))).outcome, 'resumed-already', 'one resume: the second is refused, its input not recorded');
      const detail = (await store.readRun(queued.id))!;
      assert.deepEqual(detail.inputs?.['pause-1']?.value, { approve: true });
      assert.equal(detail.state.name, 'Suspended', 'until a worker resumes it');
      const { rows } = await client.query<{ key: string }>(`select key from "${schema}_queue"._private_jobs where key = $1`, [`resume:${queued.id}:2`]);
      assert.equal(rows.length, 1, 'a job for its next attempt');

      const here = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      await here.close();
      await suspend(here.id);
      assert.equal((await store.shared!.resumeQueued(here.id, given(here.id, true))).outcome, 'not-queued');

      // Its time runs out while it waits for a worker: resumed in time, it is not expired; one not resumed is.
      const answered = await store.shared!.enqueue({ queue: 'q', flowName: 'f', source: 'builtin:github-repo-stats', parameters: {} });
      const unanswered = await store.shared!.enqueue({ queue: 'q', flowName: 'f', source: 'builtin:github-repo-stats', parameters: {} });
      await suspend(answered.id, 0.5);
      await suspend(unanswered.id, 0.5);
      assert.equal((await store.shared!.resumeQueued(answered.id, given(answered.id, true))).outcome, 'queued');
      const untilOf = async (id: string): Promise<number> => (await store.get(id))!.state.pause!.until;
      const latest = Math.max(await untilOf(answered.id), await untilOf(unanswered.id));
      await waitFor(() => Date.now() > latest, 'their time to run out', 10_000);
      await store.markCrashed();
      assert.equal((await store.get(answered.id))?.state.name, 'Suspended', 'resumed in time: a worker still resumes it');
      assert.equal((await store.get(unanswered.id))?.state.name, 'Failed');
    } finally {
      await client.end();
      await store.close();
    }
  });

  it("a resume's input stays with the pause it was sent to: left stored (its taker's clear failed), a later pause of the run is not handed it", async () => {
    const schema = freshSchema();
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      await h.setState(state('Running'));
      await h.setState(state('Paused', 'first'));
      // Nobody listens: the input stays on the row, as it does when the process that took it failed to clear it.
      assert.equal(await store.shared.requestResumePaused(h.id, { approve: 'first' }), 'requested');
      const stored = async (): Promise<string | null> => (await client.query<{ resume_input: string | null }>(`select resume_input from "${schema}".runs where id = $1`, [h.id])).rows[0]!.resume_input;
      assert.equal(await stored(), JSON.stringify({ input: { approve: 'first' } }));
      await h.setState(state('Running'));
      await h.setState(state('Paused', 'second'));
      // What a process reads of its paused runs once it listens again (pgStore.onResumePausedRequest's resync): nothing for the second pause.
      const asked = await (store as unknown as { resumesAsked(): Promise<{ id: string; text: string }[]> }).resumesAsked();
      assert.deepEqual(asked, []);
      assert.equal(await stored(), null);
      await h.close();
    } finally {
      await client.end();
      await store.close();
    }
  });

  it("a cancel asked of a run's attempt stays with it: taken over for its next attempt, the run has no cancel request left to act on", async () => {
    const schema = freshSchema();
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      await h.setState(state('Running'));
      assert.equal(await store.shared.requestCancel(h.id, 'stop attempt 1'), 'requested');
      const reason = async (): Promise<string | null> => (await client.query<{ cancel_reason: string | null }>(`select cancel_reason from "${schema}".runs where id = $1`, [h.id])).rows[0]!.cancel_reason;
      assert.equal(await reason(), 'stop attempt 1');
      await h.setState(state('Cancelled', 'stop attempt 1'), { endTime: Date.now() });
      await h.close();
      const again = await store.openRun(h.id);
      await again.setState(state('Running'), { attempt: 2, owner: { pid: process.pid, hostname: 'here' } });
      // What a process reads of its unfinished runs once it listens again (pgStore.onCancelRequest): nothing for attempt 2.
      assert.equal(await reason(), null);
      await again.close();
    } finally {
      await client.end();
      await store.close();
    }
  });
});
