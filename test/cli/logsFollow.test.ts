/**
 * `flowdeck logs <run> --follow`: a run another process runs, followed from this one until it ends — its
 * lines once each, in order, then an exit by its final state: cancelled (1), completed (0), or its host
 * killed (1, with the crash's end line), on the embedded store and on Postgres.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, waitFor, workspace, type CliResult } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  // Logs a line every 50 ms for two minutes unless cancelled.
  'flows/slow.flow.ts': flowSource(
    `export default flow({ name: 'slow' }, async () => { getRunLogger().info('slow started'); let i = 0; await new Promise((r, j) => { const t = setInterval(() => getRunLogger().info('tick ' + ++i), 50); setTimeout(() => { clearInterval(t); r(undefined); }, 120_000); getRunContext().signal.addEventListener('abort', () => { clearInterval(t); getRunLogger().info('cleaning up'); j(new Error('stopped')); }); }); });`,
  ),
  'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => { getRunLogger().info('ok ran'); return 1; });`),
};

/** `flowdeck run flows/slow.flow.ts`, once its flow has started: its name, its CLI process, its end. */
async function slowRun(ws: string, env: NodeJS.ProcessEnv): Promise<{ name: string; child: ChildProcess; done: Promise<CliResult> }> {
  let seen = '';
  let done!: Promise<CliResult>;
  let child!: ChildProcess;
  const name = await new Promise<string>((res, rej) => {
    done = runCli(['run', 'flows/slow.flow.ts'], {
      cwd: ws,
      env,
      onStderr: (chunk, c) => {
        child = c;
        seen += chunk;
        const m = /flow run '([a-z]+-[a-z]+)'[\s\S]*slow started/.exec(seen);
        if (m) res(m[1]!);
      },
    });
    done.then((r) => rej(new Error(`the run ended before its flow started (${r.code}): ${r.stderr}`)), rej);
  });
  return { name, child, done };
}

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
  const { name, done } = await slowRun(ws, env);
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

describe('flowdeck logs --follow', { timeout: 240_000 }, () => {
  it('follows a run another terminal runs until it ends: each line once, in order; exit by its final state', async () => {
    await followsToTheEnd({ FLOWDECK_HOME: tempDir() });
  });

  it("ends with a crash's end line when the run's host is killed, found within seconds", async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const ws = workspace(FLOWS);
    const { name, child, done } = await slowRun(ws, env);
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
