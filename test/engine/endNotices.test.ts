/**
 * What a starting `serve` asks the store to find the ends (endsUntold) and pauses (pausesUntold) it is to tell
 * again: the marks of every run it looks at (up to 200) read together, not one question per key — counted as
 * store calls on both stores and as queries on Postgres.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { endNotTold, endsUntold, endTold, endToTell } from '../../src/engine/notify/endNotices';
import { pauseNotTold, pausesUntold, pauseTold, pauseToTell } from '../../src/engine/notify/pauseNotices';
import { PgStore } from '../../src/engine/postgres/pgStore';
import type { FlowRunSummary } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { counted } from '../support/countedStore';
import { closingHandles, tempDir } from '../support/engine';
import { watchingQueries } from '../support/pgCliQueries';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

/** `n` runs that ended (Failed) or, `suspended`, wait Suspended. */
async function runs(store: RunStore, n: number, suspended = false): Promise<FlowRunSummary[]> {
  const out: FlowRunSummary[] = [];
  for (let i = 0; i < n; i++) {
    const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
    await h.setState(state('Running'), { startTime: Date.now() });
    await h.setState(suspended ? state('Suspended', 'Publish?') : state('Failed', 'no'), suspended ? {} : { endTime: Date.now() });
    await h.close();
    out.push((await store.get(h.id))!);
  }
  return out;
}

const UNTOLD = 3;

/**
 * 200 runs whose notices were told and UNTOLD given up, made with `told`/`toTell`/`notTold`: `find` finds
 * those given up, with at most a store call to read the marks of them all, then a claim and a look each.
 */
async function findsInFewCalls(
  open: () => Promise<RunStore>,
  make: (store: RunStore, n: number) => Promise<FlowRunSummary[]>,
  marks: { toTell: typeof endToTell; told: typeof endTold; notTold: typeof endNotTold },
  find: (store: RunStore) => Promise<FlowRunSummary[]>,
  queries?: (count: number) => void,
): Promise<void> {
  const store = closingHandles(await open());
  try {
    const made = await make(store, 200);
    for (const [i, r] of made.entries()) {
      await marks.toTell(store, r);
      await (i < UNTOLD ? marks.notTold(store, r) : marks.told(store, r));
    }
    const { store: watched, calls } = counted(store);
    let sent = 0;
    const found = await watchingQueries(() => find(watched), { sent: () => sent++ });
    assert.deepEqual(found.map((r) => r.id).sort(), made.slice(0, UNTOLD).map((r) => r.id).sort());
    const asked = [...calls.values()].reduce((a, b) => a + b, 0);
    console.log(`found ${found.length} of 200: ${asked} store calls (${JSON.stringify(Object.fromEntries(calls))}), ${sent} Postgres queries`);
    // A listing, one read of every mark, then for each one found its claim and a look at its told mark.
    assert.ok(asked <= 2 + 2 * UNTOLD, `${asked} store calls: ${JSON.stringify(Object.fromEntries(calls))}`);
    queries?.(sent);
  } finally {
    await store.close();
  }
}

const ends = { toTell: endToTell, told: endTold, notTold: endNotTold };
const pauses = { toTell: pauseToTell, told: pauseTold, notTold: pauseNotTold };

// Found on review: the ends left untold came newest first, so told again the newest went alone and the rest were
// summed up under the oldest as their latest — the other way round from their first telling.
it('the ends to tell again come in the order they ended, oldest first', { timeout: 60_000 }, async () => {
  const store = closingHandles(await EmbeddedStore.open(tempDir(), { detectCrashed: false }));
  try {
    const made = await runs(store, 3);
    for (const r of made) {
      await endToTell(store, r);
      await endNotTold(store, r);
    }
    assert.deepEqual((await endsUntold(store, Date.now())).map((r) => r.id), made.map((r) => r.id));
  } finally {
    await store.close();
  }
});

describe('the notices a starting serve tells again, found in a few store calls', { timeout: 300_000 }, () => {
  const embedded = (): Promise<RunStore> => EmbeddedStore.open(tempDir(), { detectCrashed: false });
  it('embedded: the ends of 200 runs', async () => {
    await findsInFewCalls(embedded, (s, n) => runs(s, n), ends, (s) => endsUntold(s, Date.now()));
  });
  it('embedded: the pauses of 200 runs', async () => {
    await findsInFewCalls(embedded, (s, n) => runs(s, n, true), pauses, (s) => pausesUntold(s));
  });

  const pg = (): Promise<RunStore> => PgStore.open(pgUrl(), { home: tempDir(), schema: freshSchema(), detectCrashed: false });
  const skip = PG_SKIP !== undefined ? { skip: PG_SKIP } : {};
  // Found on review: 200 ended runs, each told, made 401 queries one after another (two marks read per run).
  it('postgres: the ends of 200 runs, in a few queries', skip, async () => {
    await findsInFewCalls(pg, (s, n) => runs(s, n), ends, (s) => endsUntold(s, Date.now()), (sent) => assert.ok(sent <= 2 + 2 * UNTOLD, `${sent} queries`));
  });
  it('postgres: the pauses of 200 runs, in a few queries', skip, async () => {
    await findsInFewCalls(pg, (s, n) => runs(s, n, true), pauses, (s) => pausesUntold(s), (sent) => assert.ok(sent <= 2 + 2 * UNTOLD, `${sent} queries`));
  });
});
