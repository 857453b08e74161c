/**
 * What an editor window hears of runs other processes write to the store (the Runs view, run details and
 * log documents follow these changes): with the window's own scheduler looking at the same store too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { currentProcess } from '../../src/engine/processIdentity';
import { Scheduler } from '../../src/engine/schedules/scheduler';
import { state } from '../../src/engine/states';
import { StoreWatch, UNWATCHED_POLL_MS, type StoreWatchOptions } from '../../src/extension/storeWatch';
import type { Timers } from '../../src/extension/util/throttle';
import { ROOT, tempDir, waitFor } from '../support/engine';

const STORE = join(ROOT, 'src', 'engine', 'embeddedStore.ts');

/** Timers that never fire on their own: the test says when the watch looks. */
const heldTimers: Timers = { now: () => 0, setTimeout: () => ({}), clearTimeout: () => undefined };

function windowScheduler(store: EmbeddedStore, pollMs?: number): Scheduler {
  return new Scheduler(store, { start: () => Promise.reject(new Error('no schedules in this test')), log: () => undefined }, pollMs === undefined ? {} : { pollMs });
}

interface Window {
  editor: EmbeddedStore;
  /** Another process's store on the same folder (the CLI's). */
  cli: EmbeddedStore;
  watch: StoreWatch;
  scheduler: Scheduler;
  /** Run ids the watch reported, in order. */
  reported: string[];
  notes: string[];
}

/** An editor window's store, watch (looking only when told) and scheduler, beside a CLI's store on one folder. */
async function withWindow(body: (w: Window) => Promise<void>): Promise<void> {
  const home = tempDir();
  const editor = await EmbeddedStore.open(home, { durable: false });
  const cli = await EmbeddedStore.open(home, { durable: false });
  const reported: string[] = [];
  const notes: string[] = [];
  const watch = new StoreWatch(editor, { onChange: (ids) => reported.push(...ids), onHealth: () => undefined, note: (m) => notes.push(m), timers: heldTimers });
  const scheduler = windowScheduler(editor);
  try {
    await body({ editor, cli, watch, scheduler, reported, notes });
  } finally {
    watch.dispose();
    await scheduler.stop();
    await cli.close();
    await editor.close();
  }
}

test("a run another process writes reaches the window's views even when the window's scheduler looked at the store first", { timeout: 60_000 }, () =>
  withWindow(async ({ editor, cli, watch, scheduler, reported, notes }) => {
    const handle = await cli.createRun({ flowName: 'ticker', source: '/ws/ticker.flow.ts', parameters: { ticks: 100 } });
    // The scheduler's pass comes between the other process's write and the watch's look.
    await scheduler.tick();
    await watch.refresh();
    assert.deepEqual(reported, [handle.id], 'the new run is reported');

    await handle.setState(state('Running'), { startTime: Date.now() });
    await scheduler.tick();
    await watch.refresh();
    assert.deepEqual(reported, [handle.id, handle.id], 'its change to Running is reported');
    assert.equal((await editor.get(handle.id))?.state.name, 'Running');

    await watch.refresh();
    assert.equal(reported.length, 2, 'nothing is reported twice');
    assert.deepEqual(notes, []);
    await handle.close();
  }),
);

test('a run whose process died is shown Crashed even when the scheduler was the one to find it', { timeout: 60_000 }, () =>
  withWindow(async ({ editor, cli, watch, scheduler, reported }) => {
    // A process that has exited owns the runs (its start time differs from whatever gets its pid next).
    const gone = { ...currentProcess(), pid: spawnSync(process.execPath, ['-e', '0']).pid, startTicks: 1 };
    const handle = await cli.createRun({ flowName: 'ticker', source: '/ws/ticker.flow.ts', parameters: {}, owner: gone });
    await handle.close();
    await watch.refresh();
    assert.equal((await editor.get(handle.id))?.state.name, 'Crashed', 'the watch marks it itself when it looks first');
    assert.ok(reported.includes(handle.id), 'and reports it');
    reported.length = 0;

    const second = await cli.createRun({ flowName: 'ticker', source: '/ws/ticker.flow.ts', parameters: {}, owner: gone });
    await second.close();
    await scheduler.tick();
    assert.equal((await editor.get(second.id))?.state.name, 'Crashed', 'the scheduler marked it');
    await watch.refresh();
    assert.ok(reported.includes(second.id), `the crash the scheduler found is reported: ${JSON.stringify(reported)}`);
  }),
);

test('every state another process writes is reported while the scheduler polls the same store every 10 ms (real watch, real timers)', { timeout: 120_000 }, async () => {
  const RUNS = 15;
  const home = tempDir();
  const editor = await EmbeddedStore.open(home, { durable: false });
  // The writer is another process, as the CLI is: one line in ("create" or "<id> <state>"), one line out.
  const script = `const { EmbeddedStore } = require(${JSON.stringify(STORE)});
const { state } = require(${JSON.stringify(join(ROOT, 'src', 'engine', 'states.ts'))});
(async () => {
  const s = await EmbeddedStore.open(${JSON.stringify(home)}, { durable: false });
  const handles = new Map();
  let buf = '';
  process.stdin.setEncoding('utf8').on('data', async (chunk) => {
    buf += chunk;
    for (let i; (i = buf.indexOf('\\n')) !== -1; ) {
      const line = buf.slice(0, i); buf = buf.slice(i + 1);
      if (line === 'create') { const h = await s.createRun({ flowName: 'ticker', source: '/ws/ticker.flow.ts', parameters: {} }); handles.set(h.id, h); console.log(h.id); }
      else { const [id, name] = line.split(' '); await handles.get(id).setState(state(name), name === 'Running' ? { startTime: Date.now() } : { endTime: Date.now() }); console.log(id); }
    }
  });
})();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.on('close', r));
  const replies: string[] = [];
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    for (let i; (i = out.indexOf('\n')) !== -1; out = out.slice(i + 1)) replies.push(out.slice(0, i));
  });
  const ask = async (line: string): Promise<string> => {
    const before = replies.length;
    child.stdin!.write(`${line}\n`);
    await waitFor(() => replies.length > before, `the writer to answer "${line}"`, 30_000);
    return replies[before]!;
  };
  /** What the window was told of each run: the state the store held when the report came. */
  const seen = new Map<string, string[]>();
  const watch = new StoreWatch(editor, {
    onChange: (ids) => {
      for (const id of ids) {
        void editor.get(id).then((r) => r && (seen.get(id) ?? seen.set(id, []).get(id)!).push(r.state.name));
      }
    },
    onHealth: () => undefined,
    note: () => undefined,
  });
  const scheduler = windowScheduler(editor, 10);
  scheduler.start();
  const lags: number[] = [];
  try {
    for (let n = 0; n < RUNS; n++) {
      const t0 = Date.now();
      const id = await ask('create');
      await waitFor(() => seen.get(id)?.includes('Pending') ?? false, `run ${n + 1} reported Pending`, 15_000);
      for (const name of ['Running', 'Completed']) {
        await ask(`${id} ${name}`);
        await waitFor(() => seen.get(id)?.includes(name) ?? false, `run ${n + 1} reported ${name} (reported so far: ${seen.get(id)?.join(', ')})`, 15_000);
      }
      lags.push(Date.now() - t0);
    }
    lags.sort((a, b) => a - b);
    console.log(`[store-watch] ${RUNS} runs × 3 states written by another process, all reported with the scheduler polling; per run p50 ${lags[lags.length >> 1]} ms, max ${lags.at(-1)} ms`);
  } finally {
    watch.dispose();
    await scheduler.stop();
    child.kill('SIGKILL');
    await exited;
    await editor.close();
  }
});

test('a store folder that cannot be watched is looked at every few seconds, and watched again once it can be', { timeout: 60_000 }, async () => {
  const home = tempDir();
  const editor = await EmbeddedStore.open(home, { durable: false });
  const cli = await EmbeddedStore.open(home, { durable: false });
  // Timers the test fires: the poll's delay is the one asked for, never waited out.
  let pending: { fn: () => void; ms: number }[] = [];
  const timers: Timers = {
    now: () => 0,
    setTimeout: (fn, ms) => {
      const t = { fn, ms };
      pending.push(t);
      return t;
    },
    clearTimeout: (t) => {
      pending = pending.filter((p) => p !== t);
    },
  };
  // Runs what is due. The looks it starts are asynchronous: the test waits for what they report (a look of
  // its own would report too, and prove nothing).
  const fire = (): number[] => {
    const due = pending;
    pending = [];
    for (const t of due) t.fn();
    return due.map((t) => t.ms);
  };
  let refusals = 3;
  const tries: string[] = [];
  const watchFolder: StoreWatchOptions['watchFolder'] = (path, options, listener) => {
    tries.push(path);
    if (refusals-- > 0) throw Object.assign(new Error('System limit for number of file watchers reached'), { code: 'ENOSPC' });
    return watch(path, options, (event, file) => listener(event, file));
  };
  const reported: string[] = [];
  const notes: string[] = [];
  const storeWatch = new StoreWatch(editor, { onChange: (ids) => reported.push(...ids), onHealth: () => undefined, note: (m) => notes.push(m), timers, watchFolder });
  try {
    assert.equal(tries.length, 1);
    assert.match(notes[0] ?? '', /Cannot watch .*System limit for number of file watchers reached.*every 2 s/);
    // Due: a look at once (to catch up) and the poll, which looks again and tries to watch again (refused).
    assert.deepEqual(fire().sort(), [0, UNWATCHED_POLL_MS]);
    assert.equal(tries.length, 2);
    const first = await cli.createRun({ flowName: 'ticker', source: '/ws/ticker.flow.ts', parameters: {} });
    // The poll's look finds the run written while the folder is unwatched; its try to watch is refused again.
    fire();
    assert.equal(tries.length, 3);
    await waitFor(() => reported.includes(first.id), 'the run written while the folder is unwatched to be reported', 20_000);
    assert.equal(notes.length, 1, `one note for the whole spell: ${notes.join(' | ')}`);
    // The next try watches it: changes are reported as they happen again, with no poll left.
    while (tries.length < 4) assert.ok(fire().length > 0, 'a poll is due until the folder is watched');
    assert.match(notes.at(-1) ?? '', /Watching .* again/);
    const second = await cli.createRun({ flowName: 'ticker', source: '/ws/ticker.flow.ts', parameters: {} });
    await waitFor(() => {
      fire();
      return reported.includes(second.id);
    }, 'the watch to report a run made once it watches again', 20_000);
    assert.ok(!pending.some((t) => t.ms === UNWATCHED_POLL_MS), 'no poll once watched');
    await first.close();
    await second.close();
  } finally {
    storeWatch.dispose();
    await cli.close();
    await editor.close();
  }
});
