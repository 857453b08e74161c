/**
 * A burst of `flowdeck run`s against a Postgres role allowed few connections (`CONNECTION LIMIT`, as a
 * managed database's plan or `max_connections` sets): the server refuses a connection past the limit
 * ("too many connections", SQLSTATE 53300), and a process refused so waits for a free one instead of
 * exiting 2 as if its store could not be used. Real processes, a role of the test's own, bounded waits.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Client, type PoolClient } from 'pg';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { state } from '../../src/engine/states';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const LIMIT = 4;
const RUNS = 8;

/** Runs `sql` as the test server's superuser. */
async function asAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Keeps the server full for `url`'s role: takes every slot that is free, and each that frees meanwhile,
 * until stopped (then gives them all back).
 */
class ServerFiller {
  readonly held: Client[] = [];
  private stopped = false;
  private readonly going: Promise<void>;

  constructor(private readonly url: string) {
    this.going = this.fill();
  }

  private async fill(): Promise<void> {
    while (!this.stopped) {
      const client = new Client({ connectionString: this.url });
      client.on('error', () => undefined);
      try {
        await client.connect();
        this.held.push(client);
      } catch {
        await client.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.going;
    await Promise.all(this.held.map((c) => c.end().catch(() => undefined)));
  }
}

/**
 * Runs `ask` while `store`'s LISTEN connection is given back: its pool's one connection busy and the server
 * (a role limited to 3) full, a second checkout waits, the LISTEN connection steps aside meanwhile and a
 * filler takes its slot too. Then the server is freed and the checkouts end, so the store listens again.
 */
async function whileListenGivenBack(store: PgStore, url: string, ask: () => Promise<void>): Promise<void> {
  await store.feed.start();
  const busy = await store.pool.connect();
  let filler: ServerFiller | undefined;
  let waiting: Promise<PoolClient> | undefined;
  try {
    await waitFor(() => store.pool.totalCount === 1, 'the connections opening the store left idle closed');
    filler = new ServerFiller(url);
    await waitFor(() => filler!.held.length === 1, 'the free slot taken');
    waiting = store.pool.connect();
    await waitFor(() => filler!.held.length === 2, "the LISTEN connection's slot taken");
    await ask();
  } finally {
    await filler?.stop();
    busy.release();
    (await waiting)?.release();
  }
}

describe('a burst of CLI runs against a Postgres connection limit', { skip: PG_SKIP, timeout: 280_000 }, () => {
  const roles: string[] = [];
  const schema = freshSchema();
  after(async () => {
    if (PG_SKIP) return;
    for (const role of roles) await asAdmin(`drop owned by "${role}"; drop role if exists "${role}"`).catch(() => undefined);
  });

  /** A new role allowed `limit` connections, which may create schemas; the test server's URL as that role. */
  async function limitedRole(limit: number): Promise<string> {
    const role = `t_lim_${randomBytes(4).toString('hex')}`;
    roles.push(role);
    const url = new URL(pgUrl());
    await asAdmin(`create role "${role}" login connection limit ${limit}; grant create on database "${url.pathname.slice(1)}" to "${role}"`);
    url.username = role;
    return url.toString();
  }
  /**
   * A one-off store on a role limited to 3 connections, with a run of it Running, and another store of the same
   * schema (not limited) to ask things of that run from.
   */
  async function runAndAsker() {
    const url = await limitedRole(3);
    const own = freshSchema();
    const store = await PgStore.open(url, { home: tempDir(), schema: own, pool: 'oneOff' });
    const asker = await PgStore.open(pgUrl(), { home: tempDir(), schema: own });
    const close = async (): Promise<void> => {
      await asker.close();
      await store.close();
    };
    try {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      await h.setState(state('Running'));
      return { url, own, store, asker, h, close };
    } catch (e) {
      await close();
      throw e;
    }
  }

  it(`${RUNS} runs at once, the role allowed ${LIMIT} connections: each waits for one and completes`, async () => {
    const env = { FLOWDECK_STORE: await limitedRole(LIMIT), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const ws = workspace({ 'tiny.flow.ts': flowSource(`const one = task({ name: 'one' }, async () => 1);\nexport default flow({ name: 'tiny' }, async () => (await one()) + 1);`) });

    // The store made first, alone (its schema and queue), as it would be before a burst.
    const first = await runCli(['run', 'tiny.flow.ts'], { cwd: ws, env, timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stderr);

    const burst = await Promise.all(Array.from({ length: RUNS }, () => runCli(['run', 'tiny.flow.ts', '--json'], { cwd: ws, env, timeoutMs: 200_000 })));
    const waited = burst.filter((r) => /waits for a free connection/.test(r.stderr)).length;
    console.log(`${waited} of ${RUNS} runs waited for a connection (role limit ${LIMIT})`);
    for (const r of burst) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { state: { name: string } }).state.name, 'Completed');
      // Said once per process, however many checkouts waited.
      assert.ok((r.stderr.match(/waits for a free connection/g) ?? []).length <= 1, r.stderr);
    }
  });

  it('a server that never frees a slot: the store gives up after its wait, naming the limit and what to do', async () => {
    const url = await limitedRole(1);
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      const said: string[] = [];
      await assert.rejects(PgStore.open(url, { home: tempDir(), schema: freshSchema(), connectionWaitMs: 1500, onConnectionWait: (m) => said.push(m) }), (e: Error) => {
        assert.equal(e.name, 'PostgresStoreError');
        assert.match(e.message, /Could not open the run store in the Postgres store postgres:\/\/t_lim_\w+@.*: too many connections for role "t_lim_\w+", still after waiting \d+ s for a free connection\. Raise the limit \(ALTER ROLE … CONNECTION LIMIT/);
        return true;
      });
      assert.equal(said.length, 1, 'the wait is said once');
      assert.match(said[0]!, /has no free connection for this process \(too many connections for role "t_lim_\w+"\): it waits for a free connection, up to 2 s/);
    } finally {
      await holder.end();
    }
  });

  it("a cancel asked while the process's LISTEN connection was given back (its pool waiting for a slot) is heard once it listens again", async () => {
    const { url, store, asker, h, close } = await runAndAsker();
    try {
      const heard: string[] = [];
      store.onCancelRequest((id, reason) => {
        heard.push(`${id}: ${reason}`);
        return true;
      });
      await whileListenGivenBack(store, url, async () => assert.equal(await asker.shared.requestCancel(h.id, 'stop it now'), 'requested'));
      await waitFor(() => heard.length > 0, 'the cancel heard', 30_000);
      assert.deepEqual(heard, [`${h.id}: stop it now`]);
    } finally {
      await close();
    }
  });

  it("a store's lease holds on a server kept full for longer than it could go without a heartbeat: the heartbeat keeps its connection", async () => {
    const url = await limitedRole(3);
    const lost: string[] = [];
    // Heartbeats 1.5 s apart, each after the pool's 1 s idle timeout; fenced after 3 s without one.
    const store = await PgStore.open(url, { home: tempDir(), schema: freshSchema(), pool: 'oneOff', lease: { heartbeatMs: 1500, lapseMs: 6000 }, onLeaseLost: (why) => lost.push(why) });
    const filler = new ServerFiller(url);
    try {
      await waitFor(() => filler.held.length > 0, 'the free slots taken');
      // Full for twice as long as the lease goes without a heartbeat before it is fenced.
      await new Promise((r) => setTimeout(r, 6000));
      await filler.stop();
      assert.deepEqual(lost, []);
      assert.equal(store.lease!.fenced, false);
    } finally {
      await filler.stop();
      await store.close();
    }
  });

  it("input sent to a paused run while the process's LISTEN connection was given back (its pool waiting for a slot) is heard once it listens again", async () => {
    const { url, own, store, asker, h, close } = await runAndAsker();
    try {
      await h.setState(state('Paused'));
      const heard: string[] = [];
      store.onResumePausedRequest((id, input) => {
        heard.push(`${id}: ${JSON.stringify(input)}`);
        return true;
      });
      await whileListenGivenBack(store, url, async () => assert.equal(await asker.shared.requestResumePaused(h.id, { approved: true }), 'requested'));
      await waitFor(() => heard.length > 0, 'the resume heard', 30_000);
      assert.deepEqual(heard, [`${h.id}: {"approved":true}`]);
      // Taken: the row's input is cleared (just after the listener is handed it), so a later resync does not pass it on again.
      const stored = async (): Promise<string | null> => (await asker.pool.query<{ resume_input: string | null }>(`select resume_input from "${own}".runs where id = $1`, [h.id])).rows[0]!.resume_input;
      await waitFor(async () => (await stored()) === null, 'the taken input cleared from the run row', 30_000);
    } finally {
      await close();
    }
  });
});
