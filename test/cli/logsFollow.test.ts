/**
 * `flowdeck logs <run> --follow`: a run another process runs, followed from this one until it ends — its
 * lines once each, in order, then an exit by its final state: cancelled (1), completed (0), or its host
 * killed (1, with the crash's end line), on the embedded store and on Postgres.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, startedRun, tempDir, waitFor, workspace, type CliResult } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  // Logs a line every 50 ms for two minutes unless cancelled.
  'flows/slow.flow.ts': flowSource(
    `export default flow({ name: 'slow' }, async () => { getRunLogger().info('slow started'); let i = 0; await new Promise((r, j) => { const t = setInterval(() => getRunLogger().info('tick ' + ++i), 50); setTimeout(() => { clearInterval(t); r(undefined); }, 120_000); getRunContext().signal.addEventListener('abort', () => { clearInterval(t); getRunLogger().info('cleaning up'); j(new Error('stopped')); }); }); });`,
  ),
  'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => { getRunLogger().info('ok ran'); return 1; });`),
  'flows/mixed.flow.ts': flowSource(`const fetch = task({ name: 'fetch' }, async (i: number) => { getRunLogger().info('got ' + i); if (i === 2) getRunLogger().warning('slow ' + i); return i; });
const fetchAll = task({ name: 'fetch-all' }, async () => { getRunLogger().info('all of them'); });
export default flow({ name: 'mixed' }, async () => { await fetch.map([0, 1, 2, 3]); await fetchAll(); getRunLogger().error('done badly'); });`),
};


/** `flowdeck logs <name> --follow`, with what it has printed so far. */
function follow(name: string, ws: string, env: NodeJS.ProcessEnv): { out: () => string; done: Promise<CliResult> } {
  let out = '';
  const done = runCli(['logs', name, '--follow'], { cwd: ws, env, onStdout: (c) => (out += c) });
  return { out: () => out, done };
}

/** The tick numbers a follower printed, which must count up one by one: no line twice, none lost. */
function ticksInOrder(text: string): number {
  const ticks = [...text.matchAll(/ - tick (\d+)$/gm)].map((m) => Number(m[1]));
  ticks.forEach((n, i) => assert.equal(n, i + 1, `tick lines in order, each once: ${ticks.slice(Math.max(0, i - 3), i + 3).join(', ')}`));
  return ticks.length;
}

async function followsToTheEnd(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const { name, done } = await startedRun(ws, env);
  const f = follow(name, ws, env);
  await waitFor(() => / - tick \d+$/m.test(f.out()), 'the follower to print the run\'s lines as they come', 30_000);
  await waitFor(() => ticksInOrder(f.out()) >= 5, 'a few more lines', 30_000);
  const cancel = await runCli(['cancel', name], { cwd: ws, env });
  assert.equal(cancel.code, 0, cancel.stderr);
  const followed = await f.done;
  assert.equal(followed.code, 1, followed.stderr);
  assert.match(followed.stdout, /Flow run '[a-z]+-[a-z]+' - slow started/);
  assert.match(followed.stdout, /cleaning up/);
  assert.equal([...followed.stdout.matchAll(/Finished in state Cancelled\('Cancelled by flowdeck cancel'\)/g)].length, 1, followed.stdout.slice(-2000));
  const ticks = ticksInOrder(followed.stdout);
  // Everything the run logged, as `logs` prints it after the end.
  const logs = await runCli(['logs', name], { cwd: ws, env });
  assert.equal(followed.stdout, logs.stdout);
  assert.equal((await done).code, 1);
  console.log(`# followed ${ticks} tick lines live, then the run's end`);

  // A finished run: its logs, exit 0.
  const ok = await runCli(['run', 'flows/ok.flow.ts', '--json'], { cwd: ws, env });
  const okName = (JSON.parse(ok.stdout) as { name: string }).name;
  const okFollow = await runCli(['logs', okName, '-f'], { cwd: ws, env });
  assert.equal(okFollow.code, 0, okFollow.stderr);
  assert.match(okFollow.stdout, /ok ran[\s\S]*Finished in state Completed\(\)/);
  if (!env.FLOWDECK_STORE) {
    // Its journal gone: said so, as `logs` says it, exit 1.
    const okId = (JSON.parse(ok.stdout) as { id: string }).id;
    rmSync(join(env.FLOWDECK_HOME!, 'runs', `${okId}.jsonl`));
    const goneFollow = await runCli(['logs', okName, '--follow'], { cwd: ws, env });
    assert.equal(goneFollow.code, 1);
    assert.match(goneFollow.stderr, new RegExp(`flowdeck: the logs of run '${okName}' are gone: its file ${okId}\\.jsonl is missing`));
  }
}

describe('flowdeck logs: choosing lines', { timeout: 240_000 }, () => {
  it('--level, --task (a task\'s runs, or one), --tail and --json choose and shape what is printed; bad values exit 2 saying what fits', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const ws = workspace(FLOWS);
    const ran = await runCli(['run', 'flows/mixed.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(ran.code, 0, ran.stderr);
    const name = (JSON.parse(ran.stdout) as { name: string }).name;
    const logs = async (...args: string[]): Promise<string[]> => {
      const r = await runCli(['logs', name, ...args], { cwd: ws, env });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trimEnd().split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} \| /, ''));
    };
    assert.deepEqual(await logs('--level', 'WARNING'), ["WARNING | Task run 'fetch-2' - slow 2", `ERROR   | Flow run '${name}' - done badly`]);
    // A task's runs are its numbered runs — not another task whose name starts the same.
    assert.deepEqual(await logs('--task', 'fetch'), ['got 0', 'got 1', 'got 2', 'slow 2', 'got 3'].map((m, i) => `${m === 'slow 2' ? 'WARNING' : 'INFO   '} | Task run 'fetch-${[0, 1, 2, 2, 3][i]}' - ${m}`));
    assert.deepEqual(await logs('--task', 'fetch-all', '--level', 'error'), [''], 'a task of the run that logged nothing chosen: nothing, exit 0');
    assert.deepEqual(await logs('--task', 'fetch-all'), ["INFO    | Task run 'fetch-all-0' - all of them", "INFO    | Task run 'fetch-all-0' - Finished in state Completed()"]);
    assert.deepEqual(await logs('--task', 'fetch', '--tail', '2'), ["WARNING | Task run 'fetch-2' - slow 2", "INFO    | Task run 'fetch-3' - got 3"]);
    assert.deepEqual(await logs('--tail', '1', '--follow'), [`INFO    | Flow run '${name}' - Finished in state Completed()`], 'an ended run followed: its last lines');
    const json = (await runCli(['logs', name, '--task', 'fetch-2', '--json'], { cwd: ws, env })).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(json.map((j) => [j.level, j.source, j.message, typeof j.taskRunId, Number.isNaN(Date.parse(j.time as string))]), [
      ['INFO', "Task run 'fetch-2'", 'got 2', 'string', false],
      ['WARNING', "Task run 'fetch-2'", 'slow 2', 'string', false],
    ]);
    for (const [args, message] of [
      [['--level', 'loud'], /--level takes one of debug, info, warning, error, critical \(that level and above\); got 'loud'/],
      [['--tail', '0'], /--tail must be a whole number from 1 to 1,000,000, got '0'/],
      [['--task', ' '], /--task takes a task's name/],
      // A task the run has not (a typo): said, with the tasks it has, not an empty answer.
      [['--task', 'nope'], /^flowdeck logs: run '[a-z]+-[a-z]+' has no task or task run named 'nope'; its tasks: fetch, fetch-all \(`flowdeck inspect [a-z]+-[a-z]+` lists its task runs\)\n$/],
      [['--task', 'fetch-9'], /has no task or task run named 'fetch-9'/],
    ] as const) {
      const bad = await runCli(['logs', name, ...args], { cwd: ws, env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, message);
    }
  });

  it('--follow --tail N of a run going: its last N lines stored, then every new one, none lost', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const ws = workspace(FLOWS);
    const { name, done } = await startedRun(ws, env);
    await waitFor(async () => ((await runCli(['logs', name], { cwd: ws, env })).stdout.match(/ - tick \d+$/gm) ?? []).length >= 10, 'ten ticks stored', 60_000);
    let out = '';
    const f = runCli(['logs', name, '--follow', '--tail', '3'], { cwd: ws, env, onStdout: (c) => (out += c) });
    await waitFor(() => (out.match(/ - tick \d+$/gm) ?? []).length >= 8, 'the follower to print new lines', 60_000);
    const cancel = await runCli(['cancel', name], { cwd: ws, env });
    assert.equal(cancel.code, 0, cancel.stderr);
    const followed = await f;
    await done;
    assert.equal(followed.code, 1, followed.stderr);
    const ticks = [...followed.stdout.matchAll(/ - tick (\d+)$/gm)].map((m) => Number(m[1]));
    assert.ok(ticks[0]! >= 8, `it began with the last 3 lines stored (at least 10 then), not at the first: tick ${ticks[0]}`);
    ticks.forEach((n, i) => assert.equal(n, ticks[0]! + i, 'then every line, in order, once'));
    assert.doesNotMatch(followed.stdout, /slow started/);
    assert.match(followed.stdout, /Finished in state Cancelled/);
  });
});

describe('flowdeck logs --follow', { timeout: 240_000 }, () => {
  it('follows a run another terminal runs until it ends: each line once, in order; exit by its final state', async () => {
    await followsToTheEnd({ FLOWDECK_HOME: tempDir() });
  });

  it("ends with a crash's end line when the run's host is killed, found within seconds", async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const ws = workspace(FLOWS);
    const { name, child, done } = await startedRun(ws, env);
    const f = follow(name, ws, env);
    await waitFor(() => / - tick \d+$/m.test(f.out()), 'the follower to print lines', 30_000);
    child.kill('SIGKILL');
    await done;
    const followed = await f.done;
    assert.equal(followed.code, 1, followed.stderr);
    assert.match(followed.stdout, /Finished in state Crashed\('host process ended'\)\n$/);
    ticksInOrder(followed.stdout);
  });

  it('on Postgres: follows a run another process runs until it ends', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await followsToTheEnd({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });
});
