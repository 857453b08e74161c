/**
 * A run on Postgres resumed on another machine (another FLOWDECK_HOME) reuses its checkpointed results kept
 * out of line (too large for a journal line): the resume copies them from the database into its own results
 * folder — and only a resume does (pgStore.openRun), so this checks the copy still comes when it is needed.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

describe('a Postgres run resumed on another machine', { timeout: 180_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('reuses a large checkpointed result from the store, not running its task again', async () => {
    const effects = join(tempDir(), 'effects.txt');
    const ws = workspace({
      'big.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
const big = task({ name: 'big' }, async () => { appendFileSync(${JSON.stringify(effects)}, 'big\\n'); return 'x'.repeat(8000); });
const check = task({ name: 'check' }, async (n: number) => { if (!process.env.FIXED) throw new Error('not yet'); return n; });
export default flow({ name: 'big' }, async () => check((await big()).length));`),
    });
    // Results over 1 KB are kept out of line (in the store's results table), not in the journal.
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_INLINE_RESULT_KB: '1' };
    const first = await runCli(['run', 'big.flow.ts', '--json'], { cwd: ws, env: { ...env, FLOWDECK_HOME: tempDir() } });
    assert.equal(first.code, 1, first.stderr);
    const failed = JSON.parse(first.stdout) as { name: string };

    const elsewhere = tempDir();
    const resumed = await runCli(['resume', failed.name, '--json'], { cwd: ws, env: { ...env, FLOWDECK_HOME: elsewhere, FIXED: '1' } });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((JSON.parse(resumed.stdout) as { result: unknown }).result, 8000);
    assert.equal(readFileSync(effects, 'utf8'), 'big\n', 'the task whose result was checkpointed ran again');
    assert.match(resumed.stderr, /Reused|reused/);
    // Its copy went with the run's end: the folder is only a staging place.
    assert.deepEqual(readdirSync(join(elsewhere, 'results')).length, 0);
  });
});
