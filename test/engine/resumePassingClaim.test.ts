/**
 * A resume begun while a run's next attempt is claimed for a moment by what is no resume — its last attempt's
 * end clearing its results folders (runner.ts dropUnrecordedResults), a delete, a suspension's expiry — was
 * refused as "resumed meanwhile" (trying again worked). The window is forced here: the claim is held by
 * another process and let go as the resume first finds it taken. `resume --queue` on Postgres (sending the
 * run to workers) was refused so too — "is being resumed already", exit 2 — and waits alike now.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PoolClient } from 'pg';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { attemptKey, resumeKey } from '../../src/engine/resumePlan';
import { FlowRunner } from '../../src/engine/runner';
import type { QueuedResume } from '../../src/engine/sharedStore';
import { DIST, flowSource, runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

function effects(log: string): string[] {
  return readFileSync(log, 'utf8').trim().split('\n');
}

describe('a resume begun while the run\'s next attempt is claimed for a moment', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  const log = join(tempDir(), 'effects.txt');
  appendFileSync(log, '');
  const ws = workspace({
    'flaky.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
const step = task({ name: 'step' }, async (i: number) => { appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n'); if (i === 2 && !process.env.FIXED) throw new Error('not yet'); return i; });
export default flow({ name: 'flaky' }, async () => (await step(1)) + (await step(2)));`),
  });

  async function failedRun(schema: string): Promise<{ id: string; name: string }> {
    const first = await runCli(['run', 'flaky.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() } });
    assert.equal(first.code, 1, first.stderr);
    return JSON.parse(first.stdout) as { id: string; name: string };
  }

  async function resumer(schema: string): Promise<{ store: PgStore; runner: FlowRunner }> {
    const home = tempDir();
    const store = await PgStore.open(pgUrl(), { home, schema });
    after(() => store.close());
    const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home, FIXED: '1' }, cancelGraceMs: 1000, timeoutGraceMs: 1000 });
    return { store, runner };
  }

  /**
   * A failed run of flaky.flow.ts, its next attempt claimed by a second store (`holder`): what a resume
   * finds while the run's last attempt tidies up, or while another resume loads its flow. `takeOver`: the
   * holder takes the run over (its attempt 2 going), as another resume does.
   */
  async function heldClaim(schema: string): Promise<{ failed: { id: string; name: string }; holder: PgStore; key: string; takeOver(): Promise<void> }> {
    const failed = await failedRun(schema);
    const holder = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    after(() => holder.close());
    const key = attemptKey(failed.id, 2);
    assert.equal(await holder.claim(key), true);
    const takeOver = async (): Promise<void> => {
      const h = await holder.openRun(failed.id);
      await h.setState({ type: 'SCHEDULED', name: 'AwaitingRetry', timestamp: Date.now(), message: 'Resuming (attempt 2)' }, { attempt: 2, owner: { pid: process.pid, hostname: holder.hostname } });
      await h.close();
    };
    return { failed, holder, key, takeOver };
  }

  it('waits for the claim to pass, then resumes the run', async () => {
    const schema = freshSchema();
    const { failed, holder: cleanup, key } = await heldClaim(schema);
    const { store, runner } = await resumer(schema);
    const claim = store.claim.bind(store);
    let found = 0;
    store.claim = async (k: string) => {
      const got = await claim(k);
      // The cleanup ends just as the resume finds its claim: its folders cleared, the attempt given back.
      if (k === key && !got && found++ === 0) await cleanup.unclaim(key);
      return got;
    };
    const active = await runner.resume(failed.id, { cwd: ws });
    const end = await active.done;
    assert.equal(found, 1, 'the resume found the attempt claimed once');
    assert.deepEqual([end.state.name, end.attempt], ['Completed', 2]);
  });

  it('a resume that took the run over meanwhile is not waited for: refused as resumed meanwhile', async () => {
    const schema = freshSchema();
    const { failed, key, takeOver } = await heldClaim(schema);
    const { store, runner } = await resumer(schema);
    const claim = store.claim.bind(store);
    let found = 0;
    store.claim = async (k: string) => {
      const got = await claim(k);
      // The other resume takes the run over (its attempt 2 going) as this one finds the claim taken.
      if (k === key && !got && found++ === 0) await takeOver();
      return got;
    };
    const before = effects(log).length;
    await assert.rejects(runner.resume(failed.id, { cwd: ws }), new RegExp(`Run '${failed.name}' was resumed meanwhile`));
    assert.equal(found, 1, 'refused once it saw the run moved on, not after trying again');
    assert.equal(effects(log).length, before, 'nothing ran');
  });

  /** A store whose sends to a queue call `after` with the try's outcome, once each is done. */
  async function sender(schema: string, after_: (outcome: string, tries: number) => Promise<void>): Promise<PgStore> {
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema });
    after(() => store.close());
    const transaction = store.transaction.bind(store);
    let tries = 0;
    store.transaction = (async (doing: string, work: (client: PoolClient) => Promise<unknown>) => {
      const done = await transaction(doing, work);
      if (doing === 'send a run to a queue') await after_((done as QueuedResume).outcome, ++tries);
      return done;
    }) as typeof store.transaction;
    return store;
  }

  it('resume --queue (Postgres) waits for the claim to pass, then sends the run to its queue', async () => {
    const schema = freshSchema();
    const { failed, holder: cleanup, key } = await heldClaim(schema);
    const outcomes: string[] = [];
    const store = await sender(schema, async (outcome, tries) => {
      outcomes.push(outcome);
      // The cleanup ends just as the send finds the attempt claimed.
      if (tries === 1) await cleanup.unclaim(key);
    });
    const sent = await store.shared.resumeOnQueue(failed.id, { queue: 'q', seen: { attempt: 1, state: 'Failed' } });
    assert.deepEqual(outcomes, ['resumed-already', 'queued']);
    assert.equal(sent.outcome, 'queued');
    const { rows } = await store.pool.query<{ n: string }>(`select count(*) as n from "${schema}_queue".jobs where key = $1`, [resumeKey(failed.id, 2)]);
    assert.equal(Number(rows[0]!.n), 1, 'its job is on the queue');
  });

  it('resume --queue (Postgres): a claim held on (a resume here loading its flow) is refused as resumed already, after a bounded wait', async () => {
    const schema = freshSchema();
    const { failed } = await heldClaim(schema);
    const outcomes: string[] = [];
    const store = await sender(schema, async (outcome) => {
      outcomes.push(outcome);
    });
    const sent = await store.shared.resumeOnQueue(failed.id, { queue: 'q', seen: { attempt: 1, state: 'Failed' } });
    assert.equal(sent.outcome, 'resumed-already');
    assert.ok(outcomes.length > 1 && outcomes.every((o) => o === 'resumed-already'), outcomes.join());
  });

  it('resume --queue (Postgres): a resume that took the run over meanwhile is not waited for', async () => {
    const schema = freshSchema();
    const { failed, takeOver } = await heldClaim(schema);
    const outcomes: string[] = [];
    const store = await sender(schema, async (outcome, tries) => {
      outcomes.push(outcome);
      if (tries === 1) await takeOver();
    });
    const sent = await store.shared.resumeOnQueue(failed.id, { queue: 'q', seen: { attempt: 1, state: 'Failed' } });
    assert.deepEqual(outcomes, ['resumed-already', 'changed'], 'refused once it saw the run moved on');
    assert.equal(sent.outcome, 'changed');
  });
});
