/**
 * What issue 8 saw go wrong, each reproduced through the real CLI or runner, then held: last log lines
 * before a crash, huge results, signals to the whole terminal process group, timeouts that must be final,
 * a host killed under a busy worker, unusable store folders, a full disk, secrets in names, log bursts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { FlowRunner } from '../../src/engine/runner';
import { CLI, DIST, ROOT, alive, flowSource, logsOf, makeRunner, runCli, tempDir, waitFor, workspace } from '../support/engine';

/** Processes not yet ended (a zombie has ended), with their parent and command line. */
function processes(): { pid: number; ppid: number; args: string[] }[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (state === 'Z') return [];
        return [{ pid: Number(d), ppid: Number(ppid), args: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').slice(0, -1) }];
      } catch {
        return []; // Ended meanwhile.
      }
    });
}

/** The host-watch shells watching `worker`. */
function watchesOf(worker: number): { pid: number; ppid: number; args: string[] }[] {
  return processes().filter((p) => p.args.includes('flowdeck-host-watch') && p.args.includes(String(worker)));
}

const T = { timeout: 120_000 };

/** Waits (bounded) for the worker and its child to be gone, then finds the run Crashed in the store at `home`. */
async function diedAndCrashed(pids: { worker: number; grandchild: number }, home: string, what: string): Promise<void> {
  await waitFor(() => !alive(pids.worker) && !alive(pids.grandchild), what, 30_000);
  const store = await EmbeddedStore.open(home);
  assert.equal((await store.list())[0]!.state.name, 'Crashed');
  await store.close();
}

/**
 * A flow that starts a child process, leaves `{ worker, grandchild }` pids in `dir/pids.json` (whole or not at
 * all: the test reads it as soon as it exists), then runs `loop`.
 */
function withChildFlow(name: string, dir: string, loop: string): string {
  return flowSource(`import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
export default flow({ name: '${name}' }, async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  writeFileSync(${JSON.stringify(join(dir, 'pids.json.tmp'))}, JSON.stringify({ worker: process.pid, grandchild: child.pid }));
  renameSync(${JSON.stringify(join(dir, 'pids.json.tmp'))}, ${JSON.stringify(join(dir, 'pids.json'))});
  ${loop}
});`);
}


/** Every file under `dir`, read as text (for "this secret is nowhere on disk"). */
function everyFile(dir: string): string {
  let text = '';
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    text += e.isDirectory() ? everyFile(p) : readFileSync(p, 'latin1');
  }
  return text;
}

const EXIT_LINE = `const t = task({ name: 'doomed' }, async () => { getRunLogger().info('about to exit'); process.exit(3); });`;

describe('the last words survive', T, () => {
  it('keeps the line logged just before process.exit, in the store and the CLI output', async () => {
    const ws = workspace({
      'exit.flow.ts': flowSource(`
${EXIT_LINE}
export default flow({ name: 'exit' }, async () => { await t(); });`),
    });
    const home = tempDir();
    const r = await runCli(['run', 'exit.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Task run 'doomed-0' - about to exit/);
    const doc = JSON.parse(r.stdout) as { id: string; state: { name: string; message: string } };
    assert.equal(doc.state.name, 'Crashed');
    assert.match(doc.state.message, /exit code 3/);
    const store = await EmbeddedStore.open(home, { readOnly: true });
    assert.ok((await logsOf(store, doc.id)).some((l) => l.message === 'about to exit'));
    // Said where the flow's code called it, so the Crashed run points at that line.
    const crashed = (await store.readRun(doc.id))!.state;
    assert.match(crashed.message!, /^Worker process exited unexpectedly \(exit code 3\) after process\.exit\(3\) in the flow's code$/);
    assert.equal(crashed.failure?.message, 'process.exit(3) was called');
    assert.deepEqual(crashed.failure?.frame, { file: join(ws, 'exit.flow.ts'), line: 3, column: EXIT_LINE.indexOf('process.exit') + 'process.'.length + 1 });
  });

  it('keeps the lines before an uncaught exception, and says what was thrown', async () => {
    const ws = workspace({
      'throw.flow.ts': flowSource(`export default flow({ name: 'throw' }, async () => {
  getRunLogger().warning('last words');
  setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
  await new Promise((r) => setTimeout(r, 5000));
});`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'throw.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Crashed');
    assert.match(detail.state.message!, /after an uncaught exception: thrown from a timer$/);
    // Where it was thrown: the Crashed run's failure card and its Problems entry point at the line.
    assert.equal(detail.state.failure?.message, 'thrown from a timer');
    assert.equal(detail.state.failure?.frame?.file, join(ws, 'throw.flow.ts'));
    assert.equal(detail.state.failure?.frame?.line, 4);
    const messages = (await logsOf(store, detail.id)).map((l) => l.message);
    assert.ok(messages.includes('last words'));
    assert.ok(messages.some((m) => m.includes('Uncaught exception') && m.includes('thrown from a timer')));
  });
});

describe('a worker out of memory', T, () => {
  it('ends its run Crashed saying it ran out of memory, with the task run it died in', async () => {
    const ws = workspace({
      'hog.flow.ts': flowSource(`const hog = task({ name: 'hog' }, () => { const held: number[][] = []; for (;;) held.push(new Array(100_000).fill(held.length)); });
export default flow({ name: 'hog' }, async () => { await hog(); });`),
    });
    const home = tempDir();
    // A small heap, for the worker (and the CLI) to reach its limit in moments.
    const r = await runCli(['run', 'hog.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, NODE_OPTIONS: '--max-old-space-size=64' }, timeoutMs: 90_000 });
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { state: { name: string; message: string }; taskRuns: { name: string; state: { name: string } }[] };
    assert.equal(doc.state.name, 'Crashed');
    assert.match(doc.state.message, /^Worker process exited unexpectedly \(signal SIGABRT\) after running out of memory: its JavaScript heap reached Node's limit at \d+ MB\. .*--max-old-space-size/);
    // It never yielded, and its worker died in it: its task run is on record all the same.
    assert.deepEqual(doc.taskRuns.map((t) => [t.name, t.state.name]), [['hog-0', 'Crashed']]);
  });

  it('while its flow loads: the start fails saying so, not with the tail of Node\'s native stack', async () => {
    const ws = workspace({
      'heavy.flow.ts': flowSource(`const held: number[][] = [];
for (;;) held.push(new Array(100_000).fill(held.length));
export default flow({ name: 'heavy' }, async () => held.length);`),
    });
    const r = await runCli(['run', 'heavy.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir(), NODE_OPTIONS: '--max-old-space-size=64' }, timeoutMs: 90_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Loading .*heavy\.flow\.ts failed: its worker process stopped while loading \(signal SIGABRT\) after running out of memory: its JavaScript heap reached Node's limit at \d+ MB/);
  });

  it('a flow file that keeps loading (a top-level await): after 10 s the terminal is told what holds the run up, and Ctrl-C stops it', async () => {
    const ws = workspace({ 'stuck.flow.ts': flowSource(`await new Promise((r) => setTimeout(r, 120_000));\nexport default flow({ name: 'stuck' }, async () => 1);`) });
    let told = false;
    const r = await runCli(['run', 'stuck.flow.ts'], {
      cwd: ws,
      env: { FLOWDECK_HOME: tempDir() },
      timeoutMs: 90_000,
      onStderr: (c, child) => {
        if (!told && c.includes('still loading the flow after 10 s')) {
          told = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.ok(told, r.stderr);
    assert.match(r.stderr, /flowdeck: still loading the flow after 10 s: the flow file's top level is still running \(its imports and top-level code: a top-level await or loop, a slow import\), and the run does not start till it ends\. Ctrl-C stops it\./);
    assert.doesNotMatch(r.stderr, /has not started yet/);
    assert.equal(r.code, 130, r.stderr);
  });

  it('a flow file that ends its process as it is imported (process.exit): exit 2 naming the file, without a stack of Flowdeck\'s', async () => {
    const ws = workspace({ 'quits.flow.ts': flowSource(`process.exit(0);\nexport default flow({ name: 'quits' }, async () => 1);`) });
    const r = await runCli(['run', 'quits.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^flowdeck: Loading .*quits\.flow\.ts failed: its worker process stopped while loading \(exit code 0\); does the file call process\.exit\(\)/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  it('a worker killed from outside as its file loads (kill -9, the OOM killer): exit 1 saying so and to run again, not blaming the file', async () => {
    // The file says where its worker is, then waits (bounded) to be killed as it loads.
    const ws = workspace({});
    const pidFile = join(ws, 'PID');
    writeFileSync(join(ws, 'waits.flow.ts'), flowSource(`import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
await new Promise((r) => setTimeout(r, 60_000));
export default flow({ name: 'waits' }, async () => 1);`));
    const running = runCli(['run', 'waits.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() }, timeoutMs: 90_000 });
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 'the worker to load its file', 60_000);
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    const r = await running;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^flowdeck: Loading .*waits\.flow\.ts did not finish: its worker process was killed while loading \(signal SIGKILL — killed from outside the flow/m);
    assert.match(r.stderr, /run it again/);
    assert.doesNotMatch(r.stderr, /process\.exit\(\)/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  it('is not said of a worker that only printed the words and died otherwise', async () => {
    const ws = workspace({
      'fake.flow.ts': flowSource(`export default flow({ name: 'fake' }, async () => {
  console.error('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory');
  await new Promise((r) => setTimeout(r, 50));
  process.kill(process.pid, 'SIGKILL');
});`),
    });
    const { runner } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'fake.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Crashed');
    assert.match(detail.state.message!, /^Worker process exited unexpectedly \(signal SIGKILL — killed from outside the flow/);
    assert.doesNotMatch(detail.state.message!, /memory: its JavaScript heap/);
  });
});

describe('size is bounded, never fatal', T, () => {
  it('keeps a 300 MB result in a file of its own; runs --json lists the run without loading it', async () => {
    const ws = workspace({
      'big.flow.ts': flowSource(`
const big = task({ name: 'big', persistResult: true }, async () => 'x'.repeat(300 * 1024 * 1024));
export default flow({ name: 'big' }, async () => { const s = await big(); return s.length; });`),
    });
    const home = tempDir();
    const started = performance.now();
    const r = await runCli(['run', 'big.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    const runMs = performance.now() - started;
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { id: string; result: number };
    assert.equal(doc.result, 300 * 1024 * 1024);
    const store = await EmbeddedStore.open(home, { readOnly: true });
    const task = (await store.readRun(doc.id))!.taskRuns[0]!;
    assert.equal(task.state.name, 'Completed');
    assert.ok(task.resultRef && task.resultRef.bytes > 300 * 1024 * 1024, 'kept out of line');
    assert.equal(statSync(join(home, 'runs', `${doc.id}.results`, task.resultRef!.file)).size, task.resultRef!.bytes);
    const listed = await runCli(['runs', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 1);
    console.log(`# 300 MB result: run ${Math.round(runMs)} ms; result file ${task.resultRef!.bytes} bytes; runs --json ${listed.stdout.length} bytes`);
  });

  it('does not keep a result over FLOWDECK_MAX_RESULT_MB, says so, and the run still completes', async () => {
    const ws = workspace({
      'over.flow.ts': flowSource(`
const t = task({ name: 'over', persistResult: true }, async () => new Uint8Array(3 * 1024 * 1024).fill(7));
export default flow({ name: 'over' }, async () => (await t()).length);`),
    });
    const home = tempDir();
    const r = await runCli(['run', 'over.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, FLOWDECK_MAX_RESULT_MB: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Task run 'over-0' returned a result of \d+\.\d MiB, over the 1\.0 MiB limit \(FLOWDECK_MAX_RESULT_MB\): it was not kept/);
    assert.equal((JSON.parse(r.stdout) as { result: number }).result, 3 * 1024 * 1024);
  });

  it('fails a task whose kept result holds something that cannot be kept, naming the path', async () => {
    const ws = workspace({ 'fn.flow.ts': flowSource(`const t = task({ name: 'fn', persistResult: true }, async () => ({ rows: [{ ok: 1 }, { run: () => 1 }] }));\nexport default flow({ name: 'fn' }, async () => { await t(); });`) });
    const { runner } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'fn.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Failed');
    assert.match(detail.taskRuns[0]!.state.message!, /^Task run returned a value that cannot be kept: Cannot keep a function at \.rows\[1\]\.run/);
    assert.match(detail.state.message!, /^Task run 'fn-0' returned a value that cannot be kept: Cannot keep a function at \.rows\[1\]\.run/);
  });

  it('cuts a log line over the limit, saying how much was cut', async () => {
    const ws = workspace({ 'll.flow.ts': flowSource(`export default flow({ name: 'll' }, async () => { getRunLogger().info('y'.repeat(3 * 1024 * 1024)); });`) });
    const { runner, store } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'll.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed');
    const line = (await logsOf(store, detail.id)).find((l) => l.message.startsWith('yyy'))!;
    assert.ok(line.message.length < 1.1 * 1024 * 1024);
    assert.match(line.message, /… \(2097152 more bytes cut: log lines are limited to 1048576 bytes\)$/);
  });
});

describe('signals to the whole process group, as a terminal sends them', T, () => {
  const CLEANUP = (dir: string) =>
    flowSource(`import { writeFileSync } from 'node:fs';
const work = task({ name: 'work' }, async () => {
  try {
    getRunLogger().info('working');
    await new Promise((_, reject) => getRunContext().signal.addEventListener('abort', () => reject(getRunContext().signal.reason)));
  } finally {
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(${JSON.stringify(join(dir, 'finally.txt'))}, 'cleaned up');
  }
});
export default flow({ name: 'cleanup', onCancellation: () => { writeFileSync(${JSON.stringify(join(dir, 'hook.txt'))}, 'hook ran'); } }, async () => { await work(); });`);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the group cancels: the signal fires, awaited finally blocks and onCancellation run, exit 1 Cancelled`, async () => {
      const dir = tempDir();
      const ws = workspace({ 'c.flow.ts': CLEANUP(dir) });
      let sent = false;
      const r = await runCli(['run', 'c.flow.ts', '--json'], {
        cwd: ws,
        env: { FLOWDECK_HOME: tempDir() },
        detached: true,
        onStderr: (chunk, child) => {
          if (!sent && chunk.includes('working')) {
            sent = true;
            process.kill(-child.pid!, signal);
          }
        },
      });
      assert.equal(r.code, 1, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { state: { name: string } }).state.name, 'Cancelled');
      assert.equal(readFileSync(join(dir, 'finally.txt'), 'utf8'), 'cleaned up');
      assert.equal(readFileSync(join(dir, 'hook.txt'), 'utf8'), 'hook ran');
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`a hook that never returns (onCompletion) after the run ended: ${signal} stops it, the run stays Completed`, async () => {
      const ws = workspace({ 'hangs.flow.ts': flowSource(`export default flow({ name: 'hangs', onCompletion: () => { getRunLogger().info('hook started'); return new Promise(() => {}); } }, async () => 'done');`) });
      const home = tempDir();
      let sent = false;
      let said = '';
      const r = await runCli(['run', 'hangs.flow.ts', '--json'], {
        cwd: ws,
        env: { FLOWDECK_HOME: home },
        timeoutMs: 90_000,
        onStderr: (chunk, child) => {
          // Once the host has the run's end too: the hook's first line may come to it before the end does.
          said += chunk;
          if (!sent && said.includes('hook started') && said.includes('Finished in state Completed()')) {
            sent = true;
            child.kill(signal);
          }
        },
      });
      assert.ok(sent, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      if (signal === 'SIGINT') assert.match(r.stderr, /Flow run '.+' has ended; stopping its hooks, which still run \(Ctrl-C again to stop them at once\)/);
      assert.equal((JSON.parse(r.stdout) as { state: { name: string } }).state.name, 'Completed');
    });
  }

  it('a second Ctrl-C stops at once, exit 130, and takes every process the flow started with it', async () => {
    const dir = tempDir();
    const ws = workspace({
      'stuck.flow.ts': flowSource(`import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
export default flow({ name: 'stuck' }, async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  // Whole or not at all: the test reads it as soon as it exists.
  writeFileSync(${JSON.stringify(join(dir, 'pids.json.tmp'))}, JSON.stringify({ worker: process.pid, grandchild: child.pid }));
  renameSync(${JSON.stringify(join(dir, 'pids.json.tmp'))}, ${JSON.stringify(join(dir, 'pids.json'))});
  getRunLogger().info('spawned');
  for (;;) await new Promise((r) => setTimeout(r, 1000));
});`),
    });
    let interrupts = 0;
    const r = await runCli(['run', 'stuck.flow.ts', '--json'], {
      cwd: ws,
      env: { FLOWDECK_HOME: tempDir() },
      detached: true,
      onStderr: (chunk, child) => {
        if (interrupts === 0 && chunk.includes('spawned')) {
          interrupts++;
          process.kill(-child.pid!, 'SIGINT');
        } else if (interrupts === 1 && chunk.includes('Ctrl-C again')) {
          interrupts++;
          process.kill(-child.pid!, 'SIGINT');
        }
      },
    });
    assert.equal(r.code, 130, r.stderr);
    const doc = JSON.parse(r.stdout) as { state: { name: string; message: string } };
    assert.equal(doc.state.name, 'Cancelled');
    assert.match(doc.state.message, /second Ctrl-C/);
    const pids = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as { worker: number; grandchild: number };
    await waitFor(() => !alive(pids.worker) && !alive(pids.grandchild), 'the worker and the process it started to be gone', 30_000);
  });
});

describe('a timeout is final', T, () => {
  it('a timed-out task that ignores its signal never acts afterwards: its worker is killed, the run ends TimedOut', async () => {
    const dir = tempDir();
    const charges = join(dir, 'charges.txt');
    const ws = workspace({
      'charge.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
const charge = task({ name: 'charge-card', timeoutSeconds: 0.3, retries: 1 }, async () => {
  await new Promise((r) => setTimeout(r, 2500));
  appendFileSync(${JSON.stringify(charges)}, 'charged\\n');
});
export default flow({ name: 'charge' }, async () => { await charge(); });`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'charge.flow.ts') } })).done;
    assert.equal(detail.state.name, 'TimedOut');
    assert.match(detail.state.message!, /Task run 'charge-card-0' exceeded timeout of 0\.3 second\(s\) and did not stop within 1 s; its worker process was killed/);
    assert.equal(detail.taskRuns[0]!.state.name, 'TimedOut');
    // The task run's log ends as any task run's does, with its final state (`logs --task charge-card` shows it).
    const own = (await logsOf(store, detail.id)).filter((l) => l.taskRunId === detail.taskRuns[0]!.id);
    assert.match(own.at(-1)?.message ?? '', /^Finished in state TimedOut\('Task run exceeded timeout of 0\.3 second\(s\) and did not stop within 1 s; its worker process was killed/);
    assert.equal(own.at(-1)?.level, 'ERROR');
    // Longer than the task would have needed to act: nothing happened.
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(existsSync(charges), false, 'the card was charged after the run was recorded as timed out');
  });
});

describe('a worker never outlives its host', T, () => {
  it('kill -9 of the CLI while the worker spins in a synchronous loop: the worker and its children die within seconds', async () => {
    const dir = tempDir();
    const home = tempDir();
    const ws = workspace({
      'spin.flow.ts': withChildFlow('spin', dir, 'for (;;) {}'),
    });
    const cli = spawn(process.execPath, [CLI, 'run', 'spin.flow.ts'], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore' });
    await waitFor(() => existsSync(join(dir, 'pids.json')), 'the flow to start', 60_000);
    const pids = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as { worker: number; grandchild: number };
    cli.kill('SIGKILL');
    await diedAndCrashed(pids, home, 'the orphaned worker and its child to die');
  });

  it('a worker busy logging whose host is killed stops at its next write, with its children, even with its watch gone too', async (t) => {
    if (process.platform === 'win32' || !existsSync('/proc/self/stat')) return t.skip('reads processes from /proc');
    const dir = tempDir();
    const home = tempDir();
    const ws = workspace({
      // Never yields to the event loop (so no IPC disconnect is heard); logs a line every millisecond.
      'chatty.flow.ts': withChildFlow(
        'chatty',
        dir,
        `const log = getRunLogger();
  for (let last = 0; ; ) {
    const now = Date.now();
    if (now - last >= 1) {
      last = now;
      log.info('tick');
    }
  }`,
      ),
    });
    const cli = spawn(process.execPath, [CLI, 'run', 'chatty.flow.ts'], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore' });
    const ended = new Promise<void>((res) => cli.on('exit', () => res()));
    await waitFor(() => existsSync(join(dir, 'pids.json')), 'the flow to start', 60_000);
    const pids = JSON.parse(readFileSync(join(dir, 'pids.json'), 'utf8')) as { worker: number; grandchild: number };
    // Should it not stop, nothing else would: it must not spin on through the rest of the tests.
    t.after(() => {
      for (const pid of [-pids.worker, pids.worker, pids.grandchild]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone, as it should be.
        }
      }
    });
    // The watch would end the worker within a second; without it, only the worker's own write can tell.
    const watches = watchesOf(pids.worker);
    assert.equal(watches.length, 1, `one watch of the worker: ${JSON.stringify(watches)}`);
    process.kill(-watches[0]!.pid, 'SIGKILL');
    await waitFor(() => watchesOf(pids.worker).length === 0, 'the watch to be gone', 30_000);
    cli.kill('SIGKILL');
    await ended;
    await diedAndCrashed(pids, home, 'the worker, writing to a pipe nobody reads, and its child to die');
  });

  it("an editor's standby worker starts its own watch: the host, a large process there, is not forked once more", async (t) => {
    if (process.platform === 'win32' || !existsSync('/proc/self/stat')) return t.skip('reads processes from /proc');
    const store = await EmbeddedStore.open(tempDir());
    const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), standby: true });
    try {
      runner.prepareStandby();
      await waitFor(() => runner.standbyPid() !== undefined, 'the standby worker', 30_000);
      const worker = runner.standbyPid()!;
      await waitFor(() => watchesOf(worker).length === 1, "the standby's watch", 30_000);
      const [watch] = watchesOf(worker);
      assert.equal(watch!.ppid, worker, 'the worker started its watch');
      assert.deepEqual(watch!.args.slice(-2), [String(process.pid), String(worker)]);
    } finally {
      await runner.dispose();
      await store.close();
    }
  });

  it('the CLI watches its worker (not the worker itself, at its start), and the watch ends with the run', async (t) => {
    if (process.platform === 'win32' || !existsSync('/proc/self/stat')) return t.skip('reads processes from /proc');
    const dir = tempDir();
    const gate = join(dir, 'gate');
    const ws = workspace({
      'wait.flow.ts': flowSource(`import { existsSync, renameSync, writeFileSync } from 'node:fs';
export default flow({ name: 'wait' }, async () => {
  writeFileSync(${JSON.stringify(join(dir, 'pid.tmp'))}, String(process.pid));
  renameSync(${JSON.stringify(join(dir, 'pid.tmp'))}, ${JSON.stringify(join(dir, 'pid'))});
  for (let i = 0; i < 600 && !existsSync(${JSON.stringify(gate)}); i++) await new Promise((r) => setTimeout(r, 100));
});`),
    });
    const cli = spawn(process.execPath, [CLI, 'run', 'wait.flow.ts'], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: tempDir() }, stdio: 'ignore' });
    const ended = new Promise<number | null>((res) => cli.on('exit', (code) => res(code)));
    await waitFor(() => existsSync(join(dir, 'pid')), 'the flow to start', 60_000);
    const worker = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    const watches = () => watchesOf(worker);
    const now = watches();
    assert.equal(now.length, 1, `one watch of the worker: ${JSON.stringify(now)}`);
    assert.equal(now[0]!.ppid, cli.pid, 'the CLI started the watch');
    assert.deepEqual(now[0]!.args.slice(-2), [String(cli.pid), String(worker)]);
    assert.deepEqual(processes().filter((p) => p.ppid === worker), [], 'the worker started no process of its own');
    writeFileSync(gate, '');
    assert.equal(await ended, 0);
    await waitFor(() => watches().length === 0 && !processes().some((p) => p.pid === worker), 'the watch and the worker to be gone', 30_000);
  });

  it('a worker whose host died before its watch began goes at once (the host pid comes from the host, not from the parent at start)', async () => {
    // FLOWDECK_HOST_PID names a process that is not the worker's parent: as if the host had died while
    // the worker started, leaving it a child of init.
    const worker = spawn(process.execPath, [join(DIST, 'worker.js')], { env: { ...process.env, FLOWDECK_HOST_PID: '1' }, stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'ipc'], detached: true });
    const exit = await new Promise<NodeJS.Signals | number | null>((res) => worker.on('exit', (code, signal) => res(signal ?? code)));
    assert.equal(exit, 'SIGKILL');
  });

  it('enforces a deadline on a worker that never yields (the state with its deadline got out first)', async () => {
    const ws = workspace({ 'busy.flow.ts': flowSource(`export default flow({ name: 'busy', timeoutSeconds: 0.5 }, () => { for (;;) {} });`) });
    const { runner } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'busy.flow.ts') } })).done;
    assert.equal(detail.state.name, 'TimedOut');
    assert.match(detail.state.message!, /exceeded timeout of 0.5 second\(s\) and did not stop within 1 s; its worker process was killed/);
  });
});

describe('an unusable store folder is bad input', T, () => {
  const flowFile = () => workspace({ 'ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 1);`) });

  it('names the folder and why, exit 2, for a file, /proc and a folder in it, and /sys — and ends', async () => {
    const ws = flowFile();
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    const cases: [string, RegExp][] = [
      [file, /it is a file, not a folder/],
      [join(file, 'below'), /a part of the path is a file|could not be created/],
      ['/proc/nope', /could not be created|files cannot be created/],
      // /proc itself exists: the folders a command makes at its end (its code cache) once spun Node 20's recursive mkdir for ever.
      ['/proc', /files cannot be created/],
      ['/sys/kernel', /files cannot be created|permission denied|read-only/],
    ];
    for (const [home, why] of cases) {
      const r = await runCli(['run', 'ok.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home } });
      assert.equal(r.code, 2, `${home}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`The Flowdeck store folder ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be used: `));
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const runs = await runCli(['runs'], { env: { FLOWDECK_HOME: file } });
    assert.equal(runs.code, 2);
    assert.match(runs.stderr, /it is a file, not a folder/);
    // A read of a folder with no store in it: nothing to list, and it ends.
    const none = await runCli(['runs'], { env: { FLOWDECK_HOME: '/proc' }, timeoutMs: 60_000 });
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /No runs yet/);
  });
});

describe('a full disk', T, () => {
  it('ends the run Failed naming the reason (never Crashed), the host lives on, and the end is recorded once there is room', async (t) => {
    const probe = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && echo ok'], { encoding: 'utf8' });
    if (probe.stdout.trim() !== 'ok') {
      t.skip(`a private tmpfs cannot be mounted here (unshare -rm: ${probe.stderr.trim() || probe.status}); the full-disk path needs one`);
      return;
    }
    const ws = workspace({
      'flood.flow.ts': flowSource(`export default flow({ name: 'flood' }, async () => {
  for (let i = 0; i < 400; i++) { getRunLogger().info('line ' + i + ' ' + 'z'.repeat(4000)); await new Promise((r) => setImmediate(r)); }
});`),
    });
    // A 1.5 MB file system for the store, with 256 KB taken by a file the script deletes once the run has
    // failed; the CLI's output goes elsewhere (a full disk would swallow it).
    const out = tempDir();
    const script = `set -e
mount -t tmpfs -o size=1536k tmpfs /mnt
mkdir /mnt/home
head -c 262144 /dev/zero > /mnt/filler
( set +e; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} run flood.flow.ts --json > ${out}/out.json 2> ${out}/err.txt; echo $? > ${out}/code ) &
n=0
while ! grep -q 'no space left' ${out}/err.txt 2>/dev/null; do sleep 0.1; n=$((n+1)); [ $n -lt 600 ]; done
rm /mnt/filler
wait
cat ${out}/code; cat ${out}/err.txt >&2
${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} runs --json`;
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { cwd: ws, encoding: 'utf8', env: { ...process.env, FLOWDECK_HOME: '/mnt/home' }, timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
    const [code, ...rest] = r.stdout.split('\n');
    assert.equal(code, '1', r.stderr.slice(-2000));
    assert.ok(/no space left on the device \(ENOSPC\)/.test(r.stderr), 'the CLI said the disk is full');
    const runs = JSON.parse(rest.join('\n')) as { state: { name: string; message: string } }[];
    assert.equal(runs[0]!.state.name, 'Failed', JSON.stringify(runs[0]!.state));
    assert.match(runs[0]!.state.message, /Flowdeck could not record the run, so it was stopped: Could not write .*no space left on the device/);
  });
});

describe('secrets stay off the disk', T, () => {
  it('masks a secret that made it into task, flow and subflow names, cache keys and kv values', async () => {
    const secret = 'sekrit-value-1234567890';
    const ws = workspace({
      's.flow.ts': flowSource(`
const s = process.env.MY_API_KEY!;
const t = task({ name: 'fetch-' + s, cacheKey: () => 'key-' + s }, async () => 'value');
const child = flow({ name: 'child-' + s }, async () => { await getRunContext().kv.set('ns', 'k', { token: s }); return 1; });
export default flow({ name: 'parent' }, async () => { await t(); await child(); getRunLogger().info('kv holds ' + JSON.stringify(await getRunContext().kv.get('ns', 'k'))); });`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home, { env: { ...process.env, FLOWDECK_HOME: home, MY_API_KEY: secret } });
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 's.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(detail.taskRuns[0]!.name, 'fetch-***-0');
    const disk = everyFile(home);
    assert.ok(!disk.includes(secret), 'the secret is on disk');
    assert.ok(!disk.includes(Buffer.from(secret).toString('base64')), 'the secret is on disk in base64');
  });
});

describe('the host keeps up with a burst', T, () => {
  it('a flow logging 50,000 lines in a tight loop: every line stored, the final state shown promptly, the host loop never blocked long', async () => {
    const N = 50_000;
    const ws = workspace({ 'burst.flow.ts': flowSource(`export default flow({ name: 'burst' }, async () => { const log = getRunLogger(); for (let i = 0; i < ${N}; i++) log.info('burst line ' + i); return ${N}; });`) });
    const { runner, store } = await makeRunner(tempDir());
    const delay = monitorEventLoopDelay({ resolution: 10 });
    let finalSeenAt = 0;
    let finalStateTs = 0;
    runner.on('run', (r) => {
      if (r.state.type === 'COMPLETED') {
        finalSeenAt = Date.now();
        finalStateTs = r.state.timestamp;
      }
    });
    delay.enable();
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'burst.flow.ts') } })).done;
    delay.disable();
    assert.equal(detail.state.name, 'Completed');
    const lines = (await logsOf(store, detail.id)).filter((l) => l.message.startsWith('burst line '));
    assert.equal(lines.length, N);
    assert.equal(lines.at(-1)!.message, `burst line ${N - 1}`);
    console.log(`# burst of ${N} lines: final state shown ${finalSeenAt - finalStateTs} ms after the worker set it; longest host event-loop block ${(delay.max / 1e6).toFixed(1)} ms (p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms)`);
  });
});

describe('store writes are checked', T, () => {
  it('a journal write refused by the system ends that run Failed with the reason, never Crashed, and the host lives on', async (t) => {
    if (spawnSync('prlimit', ['--version']).status !== 0) {
      t.skip('prlimit (util-linux) is needed to cap the file size for this test');
      return;
    }
    const home = tempDir();
    const ws = workspace({
      'big.flow.ts': flowSource(`export default flow({ name: 'big' }, async () => { for (let i = 0; i < 200; i++) { getRunLogger().info('tick ' + i + ' ' + 'q'.repeat(2000)); await new Promise((r) => setImmediate(r)); } });`),
      'small.flow.ts': flowSource(`export default flow({ name: 'small' }, async () => 'fine');`),
    });
    // A host process whose files may not grow past 200 KB: the big run's journal hits the limit (EFBIG).
    const host = join(ws, 'host.ts');
    writeFileSync(
      host,
      `import { makeRunner, valueOf } from ${JSON.stringify(join(ROOT, 'test/support/engine'))};
(async () => {
  const { runner, store } = await makeRunner(${JSON.stringify(home)});
  const big = await (await runner.start({ source: { kind: 'file', path: ${JSON.stringify(join(ws, 'big.flow.ts'))} } })).done;
  const small = await (await runner.start({ source: { kind: 'file', path: ${JSON.stringify(join(ws, 'small.flow.ts'))} } })).done;
  const stored = await store.get(big.id);
  console.log(JSON.stringify({ big: big.state, stored: stored!.state, small: small.state.name, value: valueOf(small) }));
  process.exit(0);
})();`,
    );
    const r = spawnSync('prlimit', ['--fsize=204800', process.execPath, '--import', 'tsx', host], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { big: { name: string; message: string }; stored: { name: string }; small: string; value: string };
    assert.equal(out.big.name, 'Failed');
    assert.match(out.big.message, /Flowdeck could not record the run, so it was stopped: Could not write .*EFBIG/);
    assert.equal(out.stored.name, 'Failed');
    assert.equal(out.small, 'Completed');
    assert.equal(out.value, 'fine');
  });

  it('a run whose records are all written but whose final state is refused ends Failed, never Completed, on disk and as reported', async (t) => {
    if (spawnSync('prlimit', ['--version']).status !== 0) {
      t.skip('prlimit (util-linux) is needed to cap the file size for this test');
      return;
    }
    const ws = workspace({
      'last.flow.ts': flowSource(`import { existsSync } from 'node:fs';
const step = task({ name: 'step' }, async () => 1);
export default flow({ name: 'last' }, async () => {
  await step();
  getRunLogger().info('cap me');
  for (let i = 0; i < 3000 && !existsSync(process.env.CAPPED_FILE!); i++) await new Promise((r) => setTimeout(r, 10));
  return 7;
});`),
    });
    // The host caps its own file size at the journal's size once 'cap me' is on disk, plus exactly the bytes
    // the run writes before its final state (measured on an uncapped run of the same flow): every record
    // fits, the final state's write does not (EFBIG).
    const host = join(ws, 'host.ts');
    writeFileSync(
      host,
      `import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRunner } from ${JSON.stringify(join(ROOT, 'test/support/engine'))};
import { EmbeddedStore } from ${JSON.stringify(join(ROOT, 'src/engine/embeddedStore'))};
const ws = ${JSON.stringify(ws)};
async function once(home: string, capped: string, room: number | undefined) {
  const { runner, store } = await makeRunner(home, { env: { ...process.env, FLOWDECK_HOME: home, CAPPED_FILE: capped } });
  let marker = -1;
  runner.on('log', (l) => {
    if (l.message !== 'cap me') return;
    void (async () => {
      const journal = join(home, 'runs', l.runId + '.jsonl');
      for (let i = 0; i < 3000 && !readFileSync(journal, 'utf8').includes('"cap me"'); i++) await new Promise((r) => setTimeout(r, 10));
      marker = readFileSync(journal).length;
      if (room !== undefined) {
        const r = spawnSync('prlimit', ['--pid', String(process.pid), '--fsize=' + (marker + room) + ':unlimited'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error('prlimit: ' + r.stderr);
      }
      writeFileSync(capped, '');
    })();
  });
  // Once the final state is refused, there is room again (as when a user frees some): the end is recorded.
  runner.on('storeError', () => void spawnSync('prlimit', ['--pid', String(process.pid), '--fsize=unlimited:unlimited']));
  const done = await (await runner.start({ source: { kind: 'file', path: join(ws, 'last.flow.ts') } })).done;
  const journal = readFileSync(join(home, 'runs', done.id + '.jsonl'), 'utf8');
  await store.close();
  const reopened = await EmbeddedStore.open(home, { readOnly: true });
  return { done, journal, marker, stored: (await reopened.get(done.id))!.state };
}
(async () => {
  const free = await once(join(ws, 'free'), join(ws, 'free-capped'), undefined);
  const finalAt = free.journal.lastIndexOf('\\n{"k":"state"');
  const room = finalAt - free.marker;
  const capped = await once(join(ws, 'capped'), join(ws, 'capped-capped'), room);
  console.log(JSON.stringify({ free: free.done.state.name, room, done: capped.done.state, stored: capped.stored, journal: capped.journal, value: capped.done.result !== undefined }));
  process.exit(0);
})();`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', host], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { free: string; room: number; done: { name: string; message: string }; stored: { name: string }; journal: string };
    assert.equal(out.free, 'Completed');
    assert.ok(out.room > 0 && out.room < 400, `the bytes before the final state: ${out.room}`);
    // Everything before the final state reached the journal (the result among it); the final state never
    // did: the journal ends Failed, saying why, as the host reported and the reopened store says.
    assert.match(out.journal, /"k":"result"[^\n]*"value":\[7\]/);
    assert.doesNotMatch(out.journal, /"k":"state"[^\n]*"name":"Completed"/);
    assert.equal(out.done.name, 'Failed');
    assert.match(out.done.message, /Flowdeck could not record the run, so it was stopped: Could not write .*EFBIG/);
    assert.match(out.journal, /"k":"state"[^\n]*"name":"Failed"[^\n]*could not record the run/);
    assert.equal(out.stored.name, 'Failed');
  });
});
