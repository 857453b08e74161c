/**
 * A history of more runs than a function call takes arguments: `runs --limit N` and `prune --dry-run`
 * measured their columns with `Math.max(...cells)` and copied the runs with `push(...runs)`, which past
 * ~125,000 runs throw `RangeError: Maximum call stack size exceeded` — the command failed with a stack
 * trace, exit 1. The history is made on Postgres: one real run, then 150,000 copies of its row (listing
 * reads rows only, not journals).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { columnWidths, textTableLines } from '../../src/cli/textTable';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const COPIES = 150_000;

describe('a history of 150,000 runs', { timeout: 300_000 }, () => {
  it('textTableLines and columnWidths measure 200,000 rows', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [`run-${i}`, 'flow', 'x']);
    assert.deepEqual(columnWidths(['NAME', 'FLOW', 'ID'], rows), [10, 4, 2]);
    const lines = textTableLines(['NAME', 'FLOW', 'ID'], rows);
    assert.equal(lines.length, 200_001);
    assert.equal(lines.at(-1), 'run-199999  flow  x');
  });

  it('runs --limit and prune --dry-run list every run (text and --json), exit 0', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const ws = workspace({ 'one.flow.ts': flowSource(`export default flow({ name: 'one' }, async () => 1);`) });
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const first = await runCli(['run', 'one.flow.ts'], { cwd: ws, env });
    assert.equal(first.code, 0, first.stderr);
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      const cols = (await client.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = $1 and table_name = 'runs' and column_name not in ('id', 'name', 'created')`, [schema])).rows.map((r) => `"${r.column_name}"`);
      await client.query(
        `insert into "${schema}".runs (id, name, created, ${cols.join(', ')}) select gen_random_uuid()::text, r.name || '-' || g, r.created - g, ${cols.map((c) => `r.${c}`).join(', ')} from "${schema}".runs r, generate_series(1, ${COPIES}) g`,
      );
    } finally {
      await client.end();
    }
    const all = COPIES + 1;
    const runs = await runCli(['runs', '--limit', String(all)], { cwd: ws, env });
    assert.equal(runs.code, 0, runs.stderr.slice(0, 2000));
    assert.equal(runs.stdout.trimEnd().split('\n').length, all + 1, 'the header and every run');
    const dry = await runCli(['prune', '--keep', '0', '--dry-run'], { cwd: ws, env });
    assert.equal(dry.code, 0, dry.stderr.slice(0, 2000));
    assert.match(dry.stdout, /Would delete 150,001 of 150,001 finished runs .*nothing was deleted \(--dry-run\)/);
    const json = await runCli(['prune', '--keep', '0', '--dry-run', '--json'], { cwd: ws, env });
    assert.equal(json.code, 0, json.stderr.slice(0, 2000));
    assert.equal((JSON.parse(json.stdout) as { deleted: unknown[] }).deleted.length, all);
  });
});
