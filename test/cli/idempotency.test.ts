/**
 * `flowdeck run --idempotency-key KEY`: a flow runs once for a key — two processes at the same moment, a
 * retry after it ended, a retry while it goes (followed to its end) — and the others report that run and
 * exit as it ended; another key, or another flow, is another run. On the embedded store and on Postgres.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  'deploy.flow.ts': `import { flow } from 'flowdeck';
import { appendFileSync, existsSync } from 'node:fs';
export default flow({ name: 'deploy' }, async ({ log, version, hold }: { log: string; version: string; hold?: string }) => {
  appendFileSync(log, version + '\\n');
  while (hold && !existsSync(hold)) await new Promise((r) => setTimeout(r, 20));
  if (version === 'bad') throw new Error('deploy of ' + version + ' failed');
  return 'deployed ' + version;
});
`,
};

async function onceAKey(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const log = join(ws, 'deploys.log');
  const cli = (...args: string[]) => runCli(args, { cwd: ws, env });
  const deploy = (version: string, key: string, ...extra: string[]) => cli('run', 'deploy.flow.ts', '--params', JSON.stringify({ log, version, ...Object.fromEntries(extra.map((h) => ['hold', h])) }), '--idempotency-key', key, '--json');
  const ran = (): string[] => readFileSync(log, 'utf8').trim().split('\n');

  // Two at the same moment: one run, both report it.
  const hold = join(ws, 'release');
  const both = Promise.all([deploy('v1', 'release-2026-12-06', hold), deploy('v1', 'release-2026-12-06', hold)]);
  await waitFor(() => {
    try {
      return ran().length >= 1;
    } catch {
      return false;
    }
  }, 'the run to start', 60_000);
  writeFileSync(hold, '');
  const [a, b] = await both;
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const ja = JSON.parse(a.stdout) as { id: string; result: string; idempotencyKey?: string };
  const jb = JSON.parse(b.stdout) as { id: string; result: string };
  assert.equal(ja.id, jb.id, 'both report the one run');
  assert.equal(ja.result, 'deployed v1');
  assert.equal(ja.idempotencyKey, 'release-2026-12-06', 'the run keeps its key');
  assert.equal(jb.result, 'deployed v1');
  assert.deepEqual(ran(), ['v1'], 'its code ran once');
  assert.ok([a.stderr, b.stderr].some((e) => /idempotency key 'release-2026-12-06' started flow run '[a-z]+-[a-z]+' \([0-9a-f-]+\) already; it (is (Pending|Running): following it|ended Completed\(\), and is not run again)/.test(e)), a.stderr + b.stderr);

  // Again once it ended: nothing runs, the same run is reported.
  const again = await deploy('v1', 'release-2026-12-06');
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { id: string }).id, ja.id);
  assert.match(again.stderr, /it ended Completed\(\), and is not run again/);
  assert.deepEqual(ran(), ['v1']);

  // Another key is another run; a failed one is reported failed again, not rerun, with how to resume it.
  assert.equal((await deploy('v2', 'release-2026-12-07')).code, 0);
  const bad = await deploy('bad', 'release-bad');
  assert.equal(bad.code, 1);
  const badAgain = await deploy('bad', 'release-bad');
  assert.equal(badAgain.code, 1);
  assert.match(badAgain.stderr, /it ended Failed\("deploy of bad failed"\), and is not run again \(`flowdeck resume [a-z]+-[a-z]+` resumes it from its checkpoints\)/);
  assert.deepEqual(ran(), ['v1', 'v2', 'bad']);
  const runs = JSON.parse((await cli('runs', '--json', '--flow', 'deploy')).stdout) as unknown[];
  assert.equal(runs.length, 3);

  const empty = await cli('run', 'deploy.flow.ts', '--idempotency-key', ' ');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--idempotency-key takes 1 to 200 characters/);
}

describe('flowdeck run --idempotency-key', { timeout: 240_000 }, () => {
  it('runs a flow once for a key: at the same moment, after it ended, after it failed (embedded store)', async () => {
    await onceAKey({ FLOWDECK_HOME: tempDir() });
  });

  it('the same on Postgres', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await onceAKey({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });
});
