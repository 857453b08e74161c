/** Test helpers for the engine: temporary stores, flow files, and the built CLI and worker. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import type { Clock } from '../../src/engine/clock';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { FlowRunDetail, LogRecord } from '../../src/engine/records';
import { FlowRunner, type RunnerOptions } from '../../src/engine/runner';
import type { RunHandle, RunStore } from '../../src/engine/runStore';
import { deserialize } from '../../src/engine/serializer';

export const ROOT = resolve(__dirname, '..', '..');
/** The bundles under test: `npm test` builds them into dist-test/ (FLOWDECK_TEST_DIST), leaving dist/ alone. */
export const DIST = resolve(ROOT, process.env.FLOWDECK_TEST_DIST ?? 'dist');
export const CLI = join(DIST, 'cli.js');

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'flowdeck-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Writes `files` (relative path → content) under a new temp folder; returns the folder. */
export function workspace(files: Record<string, string>): string {
  const dir = tempDir('flowdeck-ws-');
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

export async function makeRunner(home: string, options: Partial<RunnerOptions> & { clock?: Clock } = {}): Promise<{ store: EmbeddedStore; runner: FlowRunner }> {
  const { clock, ...runnerOptions } = options;
  const store = await EmbeddedStore.open(home, clock ? { clock } : {});
  const runner = new FlowRunner(store, {
    workerPath: join(DIST, 'worker.js'),
    builtinDir: join(DIST, 'flows'),
    env: { ...process.env, FLOWDECK_HOME: home },
    cancelGraceMs: 1000,
    timeoutGraceMs: 1000,
    ...runnerOptions,
  });
  after(() => store.close());
  return { store, runner };
}

/** The value a run (or a task run) returned, as it was returned. */
/**
 * `store`, closing the run handles made through it when it closes (before it). A test that leaves a run
 * going, as a crashed owner would, still closes its journal file: closing a handle writes nothing. A handle
 * left to the garbage collector holds an open file of the embedded store, which Node 26 reports as an
 * uncaught error ("A FileHandle object was closed during garbage collection") in whatever test runs then.
 */
export function closingHandles<S extends RunStore>(store: S): S {
  const handles: RunHandle[] = [];
  const kept = async (made: Promise<RunHandle>): Promise<RunHandle> => {
    const h = await made;
    handles.push(h);
    return h;
  };
  const createRun = store.createRun.bind(store);
  const openRun = store.openRun.bind(store);
  const close = store.close.bind(store);
  store.createRun = (details, options) => kept(createRun(details, options));
  store.openRun = (id, options) => kept(openRun(id, options));
  store.close = async () => {
    for (const h of handles.splice(0)) await h.close().catch(() => undefined);
    await close();
  };
  return store;
}

export function valueOf(run: Pick<FlowRunDetail, 'result'>): unknown {
  return run.result === undefined ? undefined : deserialize(run.result.dv);
}

/** Every stored log record of a run. */
export async function logsOf(store: RunStore, id: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  await store.readLogs(id, (logs) => void out.push(...logs));
  return out;
}

/** Waits until `check` is true, polling; fails naming `what` after `timeoutMs` (never waits without a bound). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI to its end, `stdin` its input (none by default). Bounded (`timeoutMs`, 150 s by default: under a test file's 180 s): a command that
 * hangs is killed and the test fails saying which, with what it printed, instead of the whole file timing out.
 */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean; timeoutMs?: number; onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void; onStdout?: (chunk: string) => void; stdin?: string } = {}): Promise<CliResult> {
  const spawnOptions: SpawnOptions = { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: options.detached ?? false };
  const child = spawn(process.execPath, [CLI, ...args], spawnOptions);
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    options.onStdout?.(c);
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    options.onStderr?.(c, child);
  });
  const timeoutMs = options.timeoutMs ?? 150_000;
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`flowdeck ${args.join(' ')} did not end within ${timeoutMs / 1000} s; it printed:\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

/** Whether a process exists (signal 0). */
/**
 * `flowdeck run <file>` from `ws`, once its flow has logged `started`: its run's name, its CLI process and its
 * end (rejected should the command end before).
 */
export async function startedRun(ws: string, env: NodeJS.ProcessEnv, file = 'flows/slow.flow.ts', started = 'slow started'): Promise<{ name: string; child: ReturnType<typeof spawn>; done: Promise<CliResult> }> {
  let seen = '';
  let done!: Promise<CliResult>;
  let child!: ReturnType<typeof spawn>;
  const name = await new Promise<string>((res, rej) => {
    done = runCli(['run', file], {
      cwd: ws,
      env,
      onStderr: (chunk, c) => {
        child = c;
        seen += chunk;
        const m = new RegExp(`flow run '([a-z]+-[a-z]+)'[\\s\\S]*${started}`).exec(seen);
        if (m) res(m[1]!);
      },
    });
    done.then((r) => rej(new Error(`the run ended before its flow started (${r.code}): ${r.stderr}`)), rej);
  });
  return { name, child, done };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Flow-file source importing the authoring API. */
export function flowSource(body: string): string {
  return `import { flow, task, getRunLogger, getRunContext } from 'flowdeck';\n${body}\n`;
}

/**
 * Runs `body` (JavaScript, with `store` from `openStore` in scope) in a node process of its own, which
 * exits without closing the store (as a process that dies would); resolves with what it printed.
 */
export function inOwnProcess(openStore: string, body: string): Promise<string> {
  const script = `(async () => { const store = await ${openStore}; ${body} process.exit(0); })().catch((e) => { console.error(e); process.exit(3); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  return new Promise((res, rej) => child.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`the process exited with ${code}`)))));
}
