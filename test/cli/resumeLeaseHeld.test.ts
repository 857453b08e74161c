/**
 * `flowdeck resume` on Postgres of a run whose host was killed a moment ago: the host's lease on the store
 * still holds (it lapses 30 s after its last heartbeat), so the run is still Running, and may not be taken
 * over yet. The resume is refused before anything starts, saying so (exit 2) — it used to load the flow,
 * print a "Resuming … (attempt 2)" line and a Failed end the store never held, and blame the store folder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource, runCli, startedRun, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  'flows/slow.flow.ts': flowSource(
    `const wait = task({ name: 'wait' }, async () => { await new Promise((r) => setTimeout(r, 120_000)); });
export default flow({ name: 'slow' }, async () => { getRunLogger().info('slow started'); await wait(); });`,
  ),
};

describe('flowdeck resume of a run whose host still holds its lease', { timeout: 120_000 }, () => {
  it('on Postgres: is refused, saying the host holds its lease; nothing is written to the run', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() };
    const ws = workspace(FLOWS);
    const { name, child, done } = await startedRun(ws, env);
    child.kill('SIGKILL');
    assert.equal((await done).signal, 'SIGKILL');

    const resumed = await runCli(['resume', name], { cwd: ws, env });
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`Run '${name}' is (?:Running|Pending), and its host .* \\(pid \\d+\\) still holds its lease on the store`));
    assert.doesNotMatch(resumed.stderr, /Resuming flow run|Finished in state|store folder|lost its lease/);

    // The run is as its killed host left it: in its first attempt (Running, or Pending when the kill came before
    // the batch saying Running reached the database), with no line of a resume.
    const listed = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as { name: string; attempt: number; state: { name: string } }[];
    const run = listed.find((r) => r.name === name)!;
    assert.ok(['Running', 'Pending'].includes(run.state.name), run.state.name);
    assert.equal(run.attempt, 1);
    const logs = await runCli(['logs', name], { cwd: ws, env });
    assert.doesNotMatch(logs.stdout + logs.stderr, /Resuming|Failed/);
  });
});
