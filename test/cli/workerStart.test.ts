/**
 * A run's worker that never says it began loading its flow — held before the flow file's own code runs: by a
 * preload (`NODE_OPTIONS=--require …`), by Node 20's `module.register` whose loader thread could not start
 * (too few file descriptors) — is not waited for for ever: past FLOWDECK_WORKER_START_SECONDS it is killed
 * and the start ends saying so. A flow file's own top level, once the worker said it runs it, is not bound.
 * Each worker here is held by a preload given through NODE_OPTIONS, which acts only in a flow's worker
 * (FLOWDECK_HOST_PID set) and only on its main thread (Node's loader thread runs preloads too).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { alive, flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';

/** A preload that blocks a worker's main thread for good, once it has written its pid to PID_FILE. */
const HANG = `
if (process.env.FLOWDECK_HOST_PID && require('node:worker_threads').isMainThread) {
  require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
`;

/** A preload that takes every free file descriptor of a worker but SPARE, as a process near its `ulimit -n` is. */
const FILL = `
if (process.env.FLOWDECK_HOST_PID && require('node:worker_threads').isMainThread) {
  const fs = require('node:fs');
  const held = [];
  try { for (;;) held.push(fs.openSync(require('node:os').devNull, 'r')); } catch {}
  for (let i = 0; i < Number(process.env.SPARE); i++) fs.closeSync(held.pop());
}
`;

function preload(source: string): string {
  const file = join(tempDir(), 'preload.cjs');
  writeFileSync(file, source);
  return `--require ${file}`;
}

test('a worker that never reports is killed past FLOWDECK_WORKER_START_SECONDS; the start ends saying so, no run created', { timeout: 120_000 }, async () => {
  const ws = workspace({ 'held.flow.ts': flowSource(`export default flow({ name: 'held' }, async () => 'ran');`) });
  const home = tempDir();
  const pidFile = join(tempDir(), 'pid');
  const env = { FLOWDECK_HOME: home, NODE_OPTIONS: preload(HANG), PID_FILE: pidFile, FLOWDECK_WORKER_START_SECONDS: '1' };
  const r = await runCli(['run', 'held.flow.ts'], { cwd: ws, env, timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /its worker process did not start within 1 s/);
  assert.match(r.stderr, /FLOWDECK_WORKER_START_SECONDS/);
  assert.match(r.stderr, /No run was created/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await waitFor(() => !alive(pid), 'the held worker to be gone', 10_000);
  const runs = await runCli(['runs', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
  assert.deepEqual(JSON.parse(runs.stdout), []);
});

test("a flow file's top level that takes longer than the bound is not killed: the worker said it runs it", { timeout: 120_000 }, async () => {
  const ws = workspace({
    'slow.flow.ts': flowSource(`await new Promise((r) => setTimeout(r, 6000));\nexport default flow({ name: 'slow-top' }, async () => 'ran');`),
  });
  const r = await runCli(['run', 'slow.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir(), FLOWDECK_WORKER_START_SECONDS: '3' }, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Finished in state Completed\(\)/);
});

test("after 10 s a worker still held before the file's code runs is said to be not started yet, with its bound; Ctrl-C stops it", { timeout: 120_000 }, async () => {
  const ws = workspace({ 'held.flow.ts': flowSource(`export default flow({ name: 'held' }, async () => 'ran');`) });
  const home = tempDir();
  const pidFile = join(tempDir(), 'pid');
  const env = { FLOWDECK_HOME: home, NODE_OPTIONS: preload(HANG), PID_FILE: pidFile, FLOWDECK_WORKER_START_SECONDS: '45' };
  let told = false;
  const r = await runCli(['run', 'held.flow.ts'], {
    cwd: ws,
    env,
    timeoutMs: 90_000,
    onStderr: (c, child) => {
      if (!told && c.includes('still loading the flow after 10 s')) {
        told = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(told, r.stderr);
  assert.match(r.stderr, /flowdeck: still loading the flow after 10 s: its worker process has not started yet \(killed if it has not in 45 s: FLOWDECK_WORKER_START_SECONDS\)/);
  assert.doesNotMatch(r.stderr, /top level/);
  assert.equal(r.code, 130, r.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await waitFor(() => !alive(pid), 'the held worker to be gone', 10_000);
  const runs = await runCli(['runs', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
  assert.deepEqual(JSON.parse(runs.stdout), []);
});

test('FLOWDECK_WORKER_START_SECONDS that is no number above 0 is refused naming it, exit 2', { timeout: 60_000 }, async () => {
  const ws = workspace({ 'ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 'ran');`) });
  const r = await runCli(['run', 'ok.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir(), FLOWDECK_WORKER_START_SECONDS: 'soon' } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /FLOWDECK_WORKER_START_SECONDS must be a number of seconds above 0, got "soon"/);
});

test('an ES module flow with a relative import, its worker a few file descriptors short, ends at once naming EMFILE and `ulimit -n`', { timeout: 300_000 }, async () => {
  // On Node 20 `module.register` waited for ever for a loader thread that could not start (3 spare descriptors
  // or fewer when it was called); where Node has `module.registerHooks` no thread is started. Each spare
  // count must end in a run or in the limit named — never in the start's bound.
  const ws = workspace({
    'helper.ts': `export const greet = (n: string): string => \`hi \${n}\`;\n`,
    'rel.flow.ts': flowSource(`import { greet } from './helper';\nexport default flow({ name: 'rel' }, async () => greet('x'));`),
  });
  const home = tempDir();
  // Compiled once with descriptors to spare: the runs below need no compiler, only the module hooks.
  assert.equal((await runCli(['run', 'rel.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home } })).code, 0);
  const outcomes: string[] = [];
  for (let spare = 0; spare <= 8; spare++) {
    const r = await runCli(['run', 'rel.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home, NODE_OPTIONS: preload(FILL), SPARE: String(spare), FLOWDECK_WORKER_START_SECONDS: '30' }, timeoutMs: 45_000 });
    assert.doesNotMatch(r.stderr, /did not start within/, `${spare} spare: the start waited out its bound`);
    if (r.code === 0) {
      outcomes.push(`${spare}: ran`);
      continue;
    }
    assert.equal(r.code, 1, `${spare} spare: ${r.stderr}`);
    // With 4 the thread starts, and fails to open the preload (Node's loader thread runs preloads too): said as Node says it.
    assert.match(r.stderr, /too many open files/, `${spare} spare`);
    assert.match(r.stderr, /EMFILE/, `${spare} spare`);
    assert.match(r.stderr, /ulimit -n/, `${spare} spare`);
    outcomes.push(`${spare}: refused`);
  }
  console.log(outcomes.join(', '));
  assert.ok(outcomes.at(-1)!.endsWith('ran'), `with descriptors to spare the flow runs: ${outcomes.join(', ')}`);
});
