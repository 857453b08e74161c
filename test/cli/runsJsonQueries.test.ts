/**
 * `runs --json` on Postgres read each run with a query for its row and one per pass over its journal (three
 * or more a run): 160,000 runs took minutes where the table took a second. The runs' small journals are now
 * read together, a few queries for many runs: more runs printed cost no query more each. What is printed is
 * still what each run's own read gives (readRun), journals of more than a query's batch included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runJson } from '../../src/cli/runJson';
import { addFinishedRun } from '../support/finishedRun';
import { cliInProcess, cliStore, watchingQueries } from '../support/pgCliQueries';
import { PG_SKIP } from '../support/postgres';

/**
 * `runs --json --limit N` run in this process: what it printed, how many queries its pools made, and the
 * bytes of the lines each query reading many journals at once brought back.
 */
async function runsJson(env: NodeJS.ProcessEnv, limit: number): Promise<{ text: string; queries: number; journalQueries: number[] }> {
  let queries = 0;
  const journalQueries: number[] = [];
  const { code, stdout, stderr } = await watchingQueries(() => cliInProcess(env, ['runs', '--json', '--limit', String(limit)]), {
    sent: () => void queries++,
    answered: (sql, rows) => {
      if (sql.includes('unnest(')) journalQueries.push(rows.reduce((sum, row) => sum + Buffer.byteLength(row.line as string), 0));
    },
  });
  assert.equal(code, 0, stderr);
  return { text: stdout, queries, journalQueries };
}

describe('runs --json on Postgres', { timeout: 240_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('reads many runs in a few queries, not some per run, and prints each as its own read gives it', async () => {
    const { env, store } = await cliStore();
    try {
      const ids: string[] = [];
      // A journal of more than a query's batch (READ_BATCH, 5,000 records) among small ones.
      const tasks = new Map<string, number>();
      const add = async (i: number, n: number): Promise<void> => {
        const id = await addFinishedRun(store, i, n, { slow: true });
        ids.push(id);
        tasks.set(id, n + 1);
      };
      for (let i = 0; i < 10; i++) await add(i, i === 4 ? 5_100 : 3);
      const few = await runsJson(env, 10);
      for (let i = 10; i < 70; i++) await add(i, i % 7);
      const many = await runsJson(env, 70);
      console.log(`queries: ${few.queries} for 10 runs, ${many.queries} for 70`);
      // Three or more queries a run before: 180 more for 60 more runs.
      assert.ok(many.queries - few.queries < 10, `${few.queries} queries for 10 runs, ${many.queries} for 70`);
      const printed = JSON.parse(many.text) as { id: string; taskRuns: unknown[] }[];
      assert.deepEqual(printed.map((r) => r.id).sort(), [...ids].sort());
      for (const run of printed) assert.deepEqual(run, JSON.parse(JSON.stringify(await runJson((await store.readRun(run.id))!, store, { loadResultFiles: false }))), run.id);
      assert.equal(printed.find((r) => r.id === ids[4])!.taskRuns.length, 5_101);
      // What was compared: every task run written, none skipped as unreadable.
      assert.deepEqual(new Map(printed.map((r) => [r.id, r.taskRuns.length])), tasks);
    } finally {
      await store.close();
    }
  });

  it('reads small journals of long lines a few MB a query, not 20,000 lines whatever their size, and prints each run as its own read gives it', async () => {
    const { env, store } = await cliStore();
    try {
      const ids: string[] = [];
      // Task runs' values as long as an inline result may be (256 KB): about 1.5 MB a run, 9 MB in all, in
      // 66 lines; and a run of 5 MB alone.
      const tasks = new Map<string, number>();
      const add = async (i: number, n: number, long?: number): Promise<void> => {
        const id = await addFinishedRun(store, i, n, { ...(long !== undefined ? { long } : {}), slow: true });
        ids.push(id);
        tasks.set(id, n + 1);
      };
      for (let i = 0; i < 6; i++) await add(i, 6, 250_000);
      await add(6, 20, 250_000);
      await add(7, 3);
      const { text, journalQueries } = await runsJson(env, 8);
      console.log(`journal queries: ${journalQueries.map((b) => `${(b / 1e6).toFixed(1)} MB`).join(', ')}`);
      // One query for them all before: 9 MB.
      assert.ok(journalQueries.length >= 3, `${journalQueries.length} queries`);
      for (const bytes of journalQueries) assert.ok(bytes <= 4 * 1024 * 1024, `a query of ${bytes} bytes`);
      const printed = JSON.parse(text) as { id: string; taskRuns: unknown[] }[];
      assert.deepEqual(printed.map((r) => r.id).sort(), [...ids].sort());
      for (const run of printed) assert.deepEqual(run, JSON.parse(JSON.stringify(await runJson((await store.readRun(run.id))!, store, { loadResultFiles: false }))), run.id);
      // What was compared: every task run written, none skipped as unreadable.
      assert.deepEqual(new Map(printed.map((r) => [r.id, r.taskRuns.length])), tasks);
    } finally {
      await store.close();
    }
  });
});
