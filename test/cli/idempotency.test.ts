/**
 * `flowdeck run --idempotency-key KEY`: a flow runs once for a key — two processes at the same moment, a
 * retry after it ended, a retry while it goes (followed to its end) — and the others report that run and
 * exit as it ended; another key, or another flow, is another run. On the embedded store and on Postgres.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCli, tempDir, waitFor, workspace } from '../support/engine';
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
  assert.match(badAgain.stderr, /it ended Failed\('deploy of bad failed'\), and is not run again \(`flowdeck resume [a-z]+-[a-z]+` resumes it from its checkpoints\)/);
  assert.deepEqual(ran(), ['v1', 'v2', 'bad']);
  const runs = JSON.parse((await cli('runs', '--json', '--flow', 'deploy')).stdout) as unknown[];
  assert.equal(runs.length, 3);

  const empty = await cli('run', 'deploy.flow.ts', '--idempotency-key', ' ');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--idempotency-key takes 1 to 200 characters/);
}

/**
 * A host killed (`kill -9`) while it starts the run of a key: `dies` 'before' making the run (the key's
 * run recorded, the run not), or 'after' (the run made, nothing more done: the moment a host that records
 * the key after making its run leaves the key free). Then `flowdeck run` with the key.
 */
async function killedWhileStarting(env: NodeJS.ProcessEnv, dies: 'before' | 'after'): Promise<void> {
  const ws = workspace(FLOWS);
  const log = join(ws, 'deploys.log');
  const file = join(ws, 'deploy.flow.ts');
  const params = { log, version: 'v1' };
  const src = (f: string) => JSON.stringify(join(ROOT, 'src', f));
  const script = `const { openStore } = require(${src('engine/openStore.ts')});
const { idempotencyScope, runOnce } = require(${src('cli/idempotentRun.ts')});
(async () => {
  const store = await openStore({ env: process.env });
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
  await runOnce(store, io, { flow: await idempotencyScope({ kind: 'file', path: ${JSON.stringify(file)} }, undefined), key: 'k-1', json: false, follow: true, mask: (t) => t }, async (runId) => {
    if (${JSON.stringify(dies)} === 'after') await store.createRun({ flowName: 'deploy', source: ${JSON.stringify(file)}, parameters: ${JSON.stringify(params)} }, { id: runId });
    process.kill(process.pid, 'SIGKILL');
    return 0;
  });
})();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const signal = await new Promise<NodeJS.Signals | null>((r) => child.on('close', (_code, sig) => r(sig)));
  assert.equal(signal, 'SIGKILL', `the host was to kill itself while starting the run; it printed:\n${stderr}`);

  const again = await runCli(['run', 'deploy.flow.ts', '--params', JSON.stringify(params), '--idempotency-key', 'k-1', '--json'], { cwd: ws, env });
  const runs = JSON.parse((await runCli(['runs', '--json', '--flow', 'deploy'], { cwd: ws, env })).stdout) as { id: string; state: { name: string } }[];
  assert.equal(runs.length, 1, `one run of the key: ${JSON.stringify(runs)}`);
  if (dies === 'after') {
    // The killed host's run is the key's: reported as it ended (Crashed), not run again.
    assert.equal(again.code, 1, again.stderr);
    // (Postgres finds a dead host when its lease lapses: the run may still show as going, then ends Crashed.)
    assert.match(again.stderr, /idempotency key 'k-1' started flow run '[a-z]+-[a-z]+' \([0-9a-f-]+\) already; it (ended Crashed|is Pending: following it\n.*Finished in state Crashed)/);
    assert.equal(runs[0]!.state.name, 'Crashed');
    assert.equal(existsSync(log), false, 'the flow never ran');
  } else {
    // No run was made: the key is free, and its run starts now.
    assert.equal(again.code, 0, again.stderr);
    assert.equal(runs[0]!.state.name, 'Completed');
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['v1']);
  }
}

/**
 * A later `flowdeck run` with the key follows the key's run while it goes; the run ends and is deleted (a
 * prune, `flowdeck delete`) before the follower looks again. The follower is stopped (SIGSTOP) across the
 * end and the delete, so it finds the run gone on its next look: it says so, and exits 1 — no stack trace.
 */
async function followedRunDeleted(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const log = join(ws, 'deploys.log');
  const hold = join(ws, 'release');
  const args = ['run', 'deploy.flow.ts', '--params', JSON.stringify({ log, version: 'v1', hold }), '--idempotency-key', 'k-del', '--json'];
  const owner = runCli(args, { cwd: ws, env });
  await waitFor(() => existsSync(log), 'the key\'s run to start', 60_000);
  let stopped: ReturnType<typeof spawn> | undefined;
  let seen = '';
  const follower = runCli(args, {
    cwd: ws,
    env,
    onStderr: (chunk, child) => {
      seen += chunk;
      if (!stopped && /following it/.test(seen)) {
        stopped = child;
        child.kill('SIGSTOP');
      }
    },
  });
  await waitFor(() => stopped !== undefined, 'the follower to follow the run', 60_000);
  writeFileSync(hold, '');
  const ended = await owner;
  assert.equal(ended.code, 0, ended.stderr);
  const { id } = JSON.parse(ended.stdout) as { id: string };
  const deleted = await runCli(['delete', id], { cwd: ws, env });
  assert.equal(deleted.code, 0, deleted.stderr);
  stopped!.kill('SIGCONT');
  const followed = await follower;
  assert.equal(followed.code, 1, followed.stderr);
  assert.match(followed.stderr, /flowdeck: flow run '[a-z]+-[a-z]+' was deleted from .* \(a prune, another process\) before its end was seen/);
  assert.match(followed.stderr, new RegExp(`flowdeck: flow run ${id} was deleted \\(a prune, another process\\) before its JSON could be printed`));
  assert.doesNotMatch(followed.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(followed.stderr, /flowdeck logs:/, 'named as the command it is');
  assert.equal(followed.stdout, '');
}

describe('flowdeck run --idempotency-key', { timeout: 240_000 }, () => {
  it('a follower of the key\'s run that finds it deleted after it ended says so, exit 1, no stack trace (embedded store)', async () => {
    await followedRunDeleted({ FLOWDECK_HOME: tempDir() });
  });
  it('runs a flow once for a key: at the same moment, after it ended, after it failed (embedded store)', async () => {
    await onceAKey({ FLOWDECK_HOME: tempDir() });
  });

  it('the same on Postgres', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await onceAKey({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  for (const dies of ['after', 'before'] as const) {
    it(`a host killed ${dies} making the key's run: the next run with the key ${dies === 'after' ? 'reports that run' : 'starts it'} (embedded store)`, async () => {
      await killedWhileStarting({ FLOWDECK_HOME: tempDir() }, dies);
    });

    it(`the same on Postgres (killed ${dies} making it)`, { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
      await killedWhileStarting({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir(), FLOWDECK_LEASE_SECONDS: '4', FLOWDECK_HEARTBEAT_SECONDS: '1' }, dies);
    });
  }

  it("a key is the flow's, by its name: the same flow from another checkout (or a built-in, or --flow) shares it; another flow does not", async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const [one, two] = [workspace(FLOWS), workspace(FLOWS)];
    const log = join(tempDir(), 'deploys.log');
    const deploy = (ws: string, ...extra: string[]) => runCli(['run', 'deploy.flow.ts', '--params', JSON.stringify({ log, version: 'v1' }), '--idempotency-key', 'same', '--json', ...extra], { cwd: ws, env });
    const first = await deploy(one);
    assert.equal(first.code, 0, first.stderr);
    const fromTwo = await deploy(two);
    assert.equal(fromTwo.code, 0, fromTwo.stderr);
    assert.match(fromTwo.stderr, /idempotency key 'same' started flow run .* already; it ended Completed\(\)/);
    assert.equal((JSON.parse(fromTwo.stdout) as { id: string }).id, (JSON.parse(first.stdout) as { id: string }).id);
    const named = await deploy(two, '--flow', 'deploy');
    assert.equal((JSON.parse(named.stdout) as { id: string }).id, (JSON.parse(first.stdout) as { id: string }).id, '--flow names the same flow');
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['v1'], 'its code ran once');
    writeFileSync(join(two, 'other.flow.ts'), FLOWS['deploy.flow.ts'].replace("name: 'deploy'", "name: 'deploy-staging'"));
    const other = await runCli(['run', 'other.flow.ts', '--params', JSON.stringify({ log, version: 'v2' }), '--idempotency-key', 'same'], { cwd: two, env });
    assert.equal(other.code, 0, other.stderr);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['v1', 'v2'], 'another flow, another scope');
  });
});
