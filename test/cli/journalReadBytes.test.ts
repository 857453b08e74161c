/**
 * Reading one run's journal on Postgres (`inspect`, `runs --json` of a large run, readRun, the editor's
 * follower) fetched 5,000 rows a query whatever their length: task runs' values are kept inline up to
 * 256 KB each, so one query could bring 1.3 GB (2,000 task runs of 200 KB: 1.6 GB peak for `inspect
 * --json`). A query now also holds at most READ_BYTES of lines, a longer line alone; the records read are
 * the same, in the same order, as one query of the whole journal gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runJson } from '../../src/cli/runJson';
import { READ_BYTES, lineRecord } from '../../src/engine/postgres/journalRows';
import type { PgStore } from '../../src/engine/postgres/pgStore';
import type { RunRecord } from '../../src/engine/records';
import { JournalReplay } from '../../src/engine/runReducer';
import { state } from '../../src/engine/states';
import { cliInProcess, cliStore, watchingQueries } from '../support/pgCliQueries';
import { PG_SKIP } from '../support/postgres';

/**
 * A finished run: `n` task runs whose values are 250,000 characters each, logs, a result, and among them an
 * artifact of 5 MB — over the artifacts' limit, read back as skipped, but a line longer than a query's bytes
 * that must still be read (alone), not end the journal there.
 */
async function addRun(store: PgStore, n: number): Promise<string> {
  const h = await store.createRun({ flowName: 'long', source: '/long.flow.ts', parameters: { n } });
  const runId = h.id;
  await h.setState(state('Running'));
  const records: RunRecord[] = [{ k: 'state', runId, name: 'Running', ts: 1 }];
  for (let t = 0; t < n; t++) {
    records.push({ k: 'trun', runId, id: `t${t}`, name: `work-${t}`, taskName: 'work', call: { key: `work#${t}`, argsHash: 'h' }, ts: 3, start: 3, end: 4, state: 'Completed', value: { json: `${t}`.padEnd(250_000, 'x') } });
    if (t === n / 2) records.push({ k: 'artifact', runId, key: 'report', ts: 4, data: { kind: 'markdown', markdown: '#'.padEnd(5_000_000, 'y') } });
    if (t % 10 === 0) records.push({ k: 'log', runId, ts: 4, level: 'INFO', source: 's', message: `log ${t}` });
  }
  records.push({ k: 'result', runId, value: { json: { n } } }, { k: 'state', runId, name: 'Completed', ts: 7 });
  for (let at = 0; at < records.length; at += 10) await h.append(records.slice(at, at + 10));
  await h.setState(state('Completed', undefined, 7), { endTime: 7 });
  await h.close();
  return runId;
}

/** `work` run with the pools' queries counted: for each query that read journal lines, their bytes and rows. */
async function counted<T>(work: () => Promise<T>): Promise<{ value: T; queries: { bytes: number; rows: number }[] }> {
  const queries: { bytes: number; rows: number }[] = [];
  const value = await watchingQueries(work, {
    answered: (_sql, rows) => {
      const lines = rows.filter((row) => typeof row.line === 'string');
      if (lines.length > 0) queries.push({ bytes: lines.reduce((sum, row) => sum + Buffer.byteLength(row.line as string), 0), rows: lines.length });
    },
  });
  return { value, queries };
}

/** Each query within READ_BYTES, or a single line longer; the journal read in several. */
function assertBounded(what: string, queries: { bytes: number; rows: number }[]): void {
  console.log(`${what}: ${queries.length} queries, at most ${(Math.max(...queries.map((q) => q.bytes)) / 1e6).toFixed(1)} MB`);
  for (const q of queries) assert.ok(q.bytes <= READ_BYTES || q.rows === 1, `${what}: a query of ${q.rows} lines, ${q.bytes} bytes`);
  assert.ok(queries.length >= 4, `${what}: ${queries.length} queries`);
}

async function cli(env: NodeJS.ProcessEnv, argv: string[]): Promise<string> {
  const { code, stdout, stderr } = await cliInProcess(env, argv);
  assert.equal(code, 0, stderr);
  return stdout;
}

describe("a run's journal on Postgres", { timeout: 240_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('is read a few MB a query, not 5,000 lines whatever their length, the same records in the same order', async () => {
    const { env, store } = await cliStore();
    try {
      // 40 task runs of 250 KB and an artifact of 5 MB: 15 MB, one query before.
      const id = await addRun(store, 40);
      const lines = (await store.rows<{ line: string }>(`select line from ${store.t('records')} where run_id = $1 order by seq`, [id], 'read the journal whole')).map((r) => r.line);
      const parsed = lines.map((line) => lineRecord(line, id));
      const all = parsed.filter((r): r is RunRecord => r !== undefined);
      assert.equal(parsed.length - all.length, 1, 'the long artifact, skipped');
      // What the run's reads gave from one query of its whole journal.
      const replay = new JournalReplay((await store.get(id))!);
      for (const r of parsed) {
        if (r === undefined) replay.skipped++;
        else if (r.k !== 'log') replay.add(r);
      }
      const detail = replay.detail();
      assert.equal(detail.taskRuns.length, 40);
      const json = JSON.parse(JSON.stringify(await runJson(detail, store, { loadResultFiles: true }))) as unknown;

      const inspect = await counted(() => cli(env, ['inspect', id, '--json']));
      assertBounded('inspect --json', inspect.queries);
      assert.deepEqual(JSON.parse(inspect.value), json);

      const runs = await counted(() => cli(env, ['runs', '--json', '--limit', '1']));
      assertBounded('runs --json', runs.queries);
      assert.deepEqual(JSON.parse(runs.value), [JSON.parse(JSON.stringify(await runJson(detail, store, { loadResultFiles: false })))]);

      const read = await counted(() => store.readRun(id));
      assertBounded('readRun', read.queries);
      assert.deepEqual(read.value, detail);

      // The editor's follower of a run's journal (journalSource.ts): 2,000 records a read at most, and as many bytes.
      const followed = await counted(async () => {
        const records: RunRecord[] = [];
        for (let after = 0; ; ) {
          const { records: batch, last, full } = await store.shared.readRecords(id, after, 2000);
          records.push(...batch);
          after = last;
          if (!full) return records;
        }
      });
      assertBounded('readRecords', followed.queries);
      assert.deepEqual(followed.value, all);

      const logs: string[] = [];
      await store.readLogs(id, (batch) => void logs.push(...batch.map((l) => l.message)));
      assert.deepEqual(logs, all.flatMap((r) => (r.k === 'log' ? [r.message] : [])));
    } finally {
      await store.close();
    }
  });
});
