/** Which runs marked Crashed `serve` tells of: read by the ids marked alone, each marked told once. */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { readChangedRuns } from '../../src/engine/changedRuns';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { crashedAtStart, crashedUnwatched } from '../../src/engine/notify/crashedUnwatched';
import { PgStore } from '../../src/engine/postgres/pgStore';
import type { FlowRunSummary } from '../../src/engine/records';
import { CRASHED_HOST_MESSAGE, type RunStore } from '../../src/engine/runStore';
import { state, type StateName } from '../../src/engine/states';
import { counted } from '../support/countedStore';
import { closingHandles, tempDir } from '../support/engine';
import { watchingQueries } from '../support/pgCliQueries';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

function run(id: string, extra: Partial<FlowRunSummary> = {}, name: StateName = 'Crashed'): FlowRunSummary {
  return { id, name: `run-${id}`, flowName: 'f', state: state(name, CRASHED_HOST_MESSAGE), created: 1, startTime: 2, endTime: 3, attempt: 1, trigger: { kind: 'schedule', id: 'abcdef0123', slot: 1 }, ...extra } as FlowRunSummary;
}

// Found on review: each time runs were marked Crashed, serve listed every Crashed root run in the store (a
// long history holds thousands) to keep those just marked; it reads the runs marked, by id.
test('crashedUnwatched reads the runs marked by their ids, not the store’s Crashed runs, and keeps those nobody else tells of', { timeout: 60_000 }, async () => {
  const runs = new Map(
    [
      run('told'),
      run('resumed', { trigger: { kind: 'resume' } }),
      run('manual', { trigger: undefined }),
      run('never-started', { startTime: undefined }),
      run('resumes-itself', { resumeOnCrash: true }),
      run('subflow', { parentRunId: 'told' }),
      run('completed', {}, 'Completed'),
      run('worker-died', { state: state('Crashed', 'Crashed: the worker process was killed (SIGKILL)') }),
      run('again', { attempt: 2 }),
      run('told-elsewhere'),
    ].map((r) => [r.id, r]),
  );
  const looked: string[] = [];
  const claims: string[] = [];
  const store = {
    list: async () => assert.fail('listed the store’s runs'),
    count: async () => assert.fail('counted the store’s runs'),
    get: async (id: string) => runs.get(id),
    isMarked: async (key: string) => {
      looked.push(key);
      return key === 'crash-notice:told-elsewhere';
    },
    marked: async (keys: string[]) => {
      looked.push(...keys);
      return new Set(keys.filter((k) => k === 'crash-notice:told-elsewhere'));
    },
    claim: async (key: string) => {
      claims.push(key);
      return true;
    },
    markOnce: async () => assert.fail('marked told before telling'),
  } as unknown as RunStore;
  const told = await crashedUnwatched(store, (await readChangedRuns(store, [...runs.keys(), 'told', 'gone'])).runs);
  assert.deepEqual(told.map((r) => r.id), ['told', 'resumed', 'again']);
  // Attempt 1's mark is the key the claim had before (a crash told then is not told again); a later attempt's names it.
  // Each is looked at before its claim and again after it (another may have told it meanwhile).
  assert.deepEqual([...new Set(looked)], ['crash-notice:told', 'crash-notice:resumed', 'crash-notice:again:2', 'crash-notice:told-elsewhere']);
  assert.deepEqual(claims, ['crash-notice-claim:told:1', 'crash-notice-claim:resumed:1', 'crash-notice-claim:again:2']);
});

// Found on review: serve read each run it saw change twice, once to decide whether to resume it and once to
// decide whether to tell of it; both are decided on one read, and telling reads nothing more.
test('the runs a change names are read once each, in order (gone or unreadable ones left out, the first failure given), and telling of them reads none again', { timeout: 30_000 }, async () => {
  const reads: string[] = [];
  const store = {
    get: async (ref: string) => {
      reads.push(ref);
      if (ref === 'broken') throw new Error('the disk went away');
      // `get` takes an id's prefix too: a run of another id is not the one that changed.
      return ref === 'gone' ? undefined : ref === 'prefix' ? run('prefixed') : run(ref);
    },
    isMarked: async () => false,
    marked: async () => new Set(),
    claim: async () => true,
  } as unknown as RunStore;
  const changed = await readChangedRuns(store, ['a', 'gone', 'b', 'a', 'broken', 'prefix', 'b']);
  assert.deepEqual(reads, ['a', 'gone', 'b', 'broken', 'prefix']);
  assert.deepEqual(changed.runs.map((r) => r.id), ['a', 'b']);
  assert.equal(changed.error?.message, 'the disk went away');
  reads.length = 0;
  assert.deepEqual((await crashedUnwatched(store, changed.runs)).map((r) => r.id), ['a', 'b']);
  assert.deepEqual(reads, [], 'telling read the runs again');
});

/** A run of `store` marked Crashed as a dead host's are (a subflow of `parentRunId`). */
async function crashed(store: RunStore, parentRunId?: string): Promise<string> {
  const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {}, trigger: { kind: 'schedule', id: 'abcdef0123', slot: 1 }, ...(parentRunId ? { parentRunId } : {}) });
  await h.setState(state('Running'), { startTime: Date.now() });
  await h.setState(state('Crashed', CRASHED_HOST_MESSAGE), { endTime: Date.now() });
  await h.close();
  return h.id;
}

/**
 * 200 runs crashed lately, three of them (and a subflow, which the listing of roots leaves out) marked as serve
 * opened the store: what a starting serve looks at is every one of them, read in a listing and a read of the
 * subflow alone — not each listed run read again by its id.
 */
async function readsAtStartInFewCalls(open: () => Promise<RunStore>, queries?: (sent: number) => void): Promise<void> {
  const store = closingHandles(await open());
  try {
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push(await crashed(store));
    const subflow = await crashed(store, ids[0]);
    const { store: watched, calls, asked } = counted(store);
    let sent = 0;
    const { runs, error } = await watchingQueries(() => crashedAtStart(watched, [ids[199]!, ids[5]!, subflow, ids[0]!], Date.now()), { sent: () => sent++ });
    assert.equal(error, undefined);
    assert.deepEqual(runs.map((r) => r.id).sort(), [...ids, subflow].sort());
    console.log(`${runs.length} runs: ${asked()} store calls (${JSON.stringify(Object.fromEntries(calls))}), ${sent} Postgres queries`);
    assert.deepEqual(Object.fromEntries(calls), { list: 1, get: 1 });
    queries?.(sent);
  } finally {
    await store.close();
  }
}

// Found on review: a starting serve listed the runs crashed lately, then read each of them again by its id —
// 200 runs, 202 store calls and as many queries on Postgres, one after another.
describe('a starting serve reads the runs crashed lately in a listing, not each again by its id', { timeout: 300_000 }, () => {
  it('embedded', async () => {
    await readsAtStartInFewCalls(() => EmbeddedStore.open(tempDir(), { detectCrashed: false }));
  });
  it('postgres', PG_SKIP !== undefined ? { skip: PG_SKIP } : {}, async () => {
    await readsAtStartInFewCalls(
      () => PgStore.open(pgUrl(), { home: tempDir(), schema: freshSchema(), detectCrashed: false }),
      (sent) => assert.ok(sent <= 2, `${sent} queries`),
    );
  });
});
