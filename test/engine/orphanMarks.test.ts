/**
 * Notice marks of runs no longer in the store — a told mark set after a prune took its run, by a version that did
 * not refuse it, or a notice's claim left by a serve killed while telling a run deleted between its mark and its
 * claim — are swept by the next delete or prune, on either store, a bounded number at a time; no mark of a run
 * still there, nor another kind of claim, is.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { createClaim } from '../../src/engine/claimFiles';
import { systemClock, type Clock } from '../../src/engine/clock';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { crashNoticeClaimKey, crashNoticeKey } from '../../src/engine/notify/crashedUnwatched';
import { endsUntold, endTold, endToTell } from '../../src/engine/notify/endNotices';
import { noticeMarks } from '../../src/engine/notify/noticeMarks';
import { ORPHAN_MARKS_AT_ONCE } from '../../src/engine/orphanMarks';
import { PgStore } from '../../src/engine/postgres/pgStore';
import type { FlowRunSummary } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { closingHandles, tempDir } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

interface Backend {
  name: string;
  skip?: string;
  /** A store location: `open` as another process would; `writeAsBefore` sets marks as markOnce did before it refused a mark of a run gone. */
  space(): { open(clock?: Clock): Promise<RunStore>; writeAsBefore(keys: readonly string[]): Promise<void> };
}

const backends: Backend[] = [
  {
    name: 'embedded',
    space: () => {
      const home = tempDir();
      return {
        open: async (clock = systemClock) => closingHandles(await EmbeddedStore.open(home, { detectCrashed: false, clock })),
        // A claim file nobody takes over, its run not looked at.
        writeAsBefore: async (keys) => {
          mkdirSync(join(home, 'runs', 'claims'), { recursive: true });
          for (const k of keys) assert.ok(await createClaim(join(home, 'runs', 'claims', k.replace(/:/g, '_')), null), k);
        },
      };
    },
  },
  {
    name: 'postgres',
    ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}),
    space: () => {
      const home = tempDir();
      const schema = freshSchema();
      return {
        open: async (clock = systemClock) => closingHandles(await PgStore.open(pgUrl(), { home, schema, detectCrashed: false, clock })),
        // A claim row of no session, its run not looked at.
        writeAsBefore: async (keys) => {
          const client = new Client({ connectionString: pgUrl() });
          await client.connect();
          try {
            await client.query(`insert into "${schema}".claims (key, session) select k, null from unnest($1::text[]) as k`, [[...keys]]);
          } finally {
            await client.end();
          }
        },
      };
    },
  },
];

async function failedRun(store: RunStore): Promise<FlowRunSummary> {
  const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
  await h.setState(state('Running'), { startTime: Date.now() });
  await h.setState(state('Failed', 'no'), { endTime: Date.now() });
  await h.close();
  return (await store.get(h.id))!;
}

/** Every key a notice of run `id` sets: its end's, its pause's and its crash's marks and claims. */
function noticeKeysOf(id: string): string[] {
  const end = noticeMarks('end', id, '1');
  const pause = noticeMarks('pause', id, '1:1700000000000');
  return [end.toTell, end.claim, end.told, pause.toTell, pause.claim, pause.told, crashNoticeKey(id, 1), crashNoticeKey(id, 2), crashNoticeClaimKey(id, 2)];
}

for (const backend of backends) {
  describe(`marks of runs gone, ${backend.name}`, { timeout: 120_000, ...(backend.skip !== undefined ? { skip: backend.skip } : {}) }, () => {
    // Before 1593326 a serve telling a run's end as `serve --keep-runs` pruned it set its told mark after the
    // run and its other marks had gone: kept for good, nothing naming that run any more. A store upgraded keeps them.
    it('a delete sweeps the notice marks and claims of runs deleted before, and none of a run there — one made by another process since this one read the store too — nor any other claim', async () => {
      const space = backend.space();
      let now = Date.now();
      const [a, b] = [await space.open({ now: () => now }), await space.open()];
      try {
        const [gone, kept, next] = [await failedRun(a), await failedRun(a), await failedRun(a)];
        assert.deepEqual(await a.delete([gone.id]), [gone.id]);
        await space.writeAsBefore(noticeKeysOf(gone.id));
        assert.equal((await a.marked(noticeKeysOf(gone.id))).size, noticeKeysOf(gone.id).length, 'left as before');
        await endToTell(a, kept);
        await endTold(a, kept);
        // Made, ended and told of by another process after `a` last read the store.
        const fresh = await failedRun(b);
        await endToTell(b, fresh);
        await endTold(b, fresh);
        const other = `idempotency:${'ab'.repeat(32)}`;
        assert.ok(await b.claim(other));

        // Later than a store that reads every claim to find them (Postgres) looks again.
        now += 2 * 60 * 60_000;
        assert.deepEqual(await a.delete([next.id]), [next.id]);
        assert.deepEqual([...(await b.marked(noticeKeysOf(gone.id)))], [], 'swept');
        const told = (r: FlowRunSummary): string[] => [noticeMarks('end', r.id, '1').toTell, noticeMarks('end', r.id, '1').told];
        assert.deepEqual([...(await b.marked([...told(kept), ...told(fresh), other]))].sort(), [...told(kept), ...told(fresh), other].sort(), 'kept');
      } finally {
        await a.close();
        await b.close();
      }
    });

    it(`sweeps at most ${ORPHAN_MARKS_AT_ONCE} at a time, the rest at the next delete`, async () => {
      const space = backend.space();
      const store = await space.open();
      try {
        const keys = Array.from({ length: ORPHAN_MARKS_AT_ONCE + 7 }, () => `end-notice-told:${randomUUID()}:1`);
        await space.writeAsBefore(keys);
        const [one, two] = [await failedRun(store), await failedRun(store)];
        await store.delete([one.id]);
        assert.equal((await store.marked(keys)).size, 7);
        await store.delete([two.id]);
        assert.equal((await store.marked(keys)).size, 0);
      } finally {
        await store.close();
      }
    });

    // A serve takes the telling of a run's end in two steps: its mark, then its claim. A run deleted (by a prune
    // elsewhere) between the two has its mark gone with it, and the claim made after: the notice still goes (the
    // run did end) and the serve gives the claim back once it went. Killed before that, it left the claim for good.
    it("a notice's claim of a run deleted between its mark and its claim, left by a serve killed meanwhile, is neither told again nor kept", async () => {
      const space = backend.space();
      const [serve, pruner] = [await space.open(), await space.open()];
      try {
        const [run, next] = [await failedRun(serve), await failedRun(serve)];
        // The serve's store, the run deleted by another process just before the claim is made.
        const deleting = {
          markOnce: (key: string) => serve.markOnce(key),
          claim: async (key: string) => {
            await pruner.refresh();
            assert.deepEqual(await pruner.delete([run.id]), [run.id]);
            return serve.claim(key);
          },
        } as unknown as RunStore;
        await endToTell(deleting, run);
        const claim = noticeMarks('end', run.id, '1').claim;
        // The serve killed there: the next serve to start finds nothing to tell of the run gone.
        const nextServe = await space.open();
        try {
          assert.deepEqual(await endsUntold(nextServe, Date.now()), []);
        } finally {
          await nextServe.close();
        }
        // A later prune (`flowdeck prune`, its own process).
        const prune = await space.open();
        try {
          assert.deepEqual(await prune.delete([next.id]), [next.id]);
          assert.deepEqual([...(await prune.marked([claim]))], [], 'the claim of the run gone is swept');
        } finally {
          await prune.close();
        }
      } finally {
        await serve.close();
        await pruner.close();
      }
    });
  });
}
