/**
 * Logs (issue 9): what a flow prints keeps its order and its lines; logs written from a task's
 * retryCondition and abort listeners belong to that task run; task runs end with Prefect's
 * `Finished in state …` line (one line for a map's completed runs), which never repeats the run's name.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LogRecord } from '../../src/engine/records';
import { workerLimits } from '../../src/engine/workerLimits';
import { HELD_OUTPUT_LINES } from '../../src/engine/heldOutput';
import { HELD_MS, MAX_HELD_CHARS } from '../../src/engine/worker/partialLine';
import { flowSource, logsOf, makeRunner, runCli, tempDir, valueOf, workspace } from '../support/engine';

const T = { timeout: 120_000 };

async function run(source: string, flowName?: string) {
  const ws = workspace({ 'l.flow.ts': flowSource(source) });
  const { runner, store } = await makeRunner(tempDir());
  const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'l.flow.ts') }, ...(flowName ? { flowName } : {}) })).done;
  const logs = await logsOf(store, detail.id);
  return { detail, logs, ofTask: (name: string): LogRecord[] => logs.filter((l) => l.taskRunId === detail.taskRuns.find((t) => t.name === name)?.id) };
}

describe('logs', T, () => {
  it('stdout and stderr writes interleave with console calls in the order written; writes without a newline make one line with the write that ends it', async () => {
    const { logs } = await run(`export default flow({ name: 'order' }, async () => {
  console.log('one');
  process.stdout.write('two');
  process.stderr.write('three\\n');
  console.error('four');
  process.stdout.write('five\\nsix\\n');
  console.warn('seven');
  process.stdout.write('eight');
  process.stdout.write('nine');
  process.stdout.write(' ten\\neleven');
  console.log(' twelve');
  process.stderr.write('thirteen');
});`);
    const printed = logs.filter((l) => l.source.startsWith('Flow run') && !l.message.startsWith('Finished in state')).map((l) => `${l.level} ${l.message}`);
    // 'two' goes as it is when stderr is written to (order kept); 'thirteen', held at the end, goes as the run ends.
    assert.deepEqual(printed, ['INFO one', 'INFO two', 'WARNING three', 'ERROR four', 'INFO five', 'INFO six', 'WARNING seven', 'INFO eightnine ten', 'INFO eleven twelve', 'WARNING thirteen']);
  });

  it('a line printed in pieces is held until its end, within bounds: one held too long or too big goes as it is, in order', async () => {
    const { logs } = await run(`export default flow({ name: 'pieces' }, async () => {
  process.stdout.write('x'.repeat(${MAX_HELD_CHARS + 10}));
  getRunLogger().info('after the long one');
  process.stdout.write('waiting');
  await new Promise((r) => setTimeout(r, ${HELD_MS * 6}));
  getRunLogger().info('after the wait');
});`);
    const printed = logs.filter((l) => l.source.startsWith('Flow run') && !l.message.startsWith('Finished in state')).map((l) => (l.message.length > 40 ? `${l.level} ${l.message[0]}*${l.message.length}` : `${l.level} ${l.message}`));
    assert.deepEqual(printed, [`INFO x*${MAX_HELD_CHARS + 10}`, 'INFO after the long one', 'INFO waiting', 'INFO after the wait']);
  });

  it('a Buffer write cut inside a character (an "é", an emoji) makes the joined line with the character, on either stream, its secret masked', async () => {
    // "é" is 2 bytes and "🎉" 4: each cut falls inside one. The secret is registered, so masked in the joined line only.
    const { logs } = await run(`export default flow({ name: 'bytes' }, async () => {
  const secret = 'gehëim-pässwort-0123456789';
  getRunContext().registerSecret(secret);
  const cut = (stream, text, ...at) => {
    const bytes = Buffer.from(text);
    let from = 0;
    for (const k of [...at, bytes.length]) { stream.write(bytes.subarray(from, k)); from = k; }
  };
  cut(process.stdout, 'café 🎉 done\\n', 4, 8, 9);
  cut(process.stderr, '🎉é\\n', 1, 2, 3, 5);
  cut(process.stdout, 'key ' + secret + '\\n', 8, 14);
  process.stdout.write(new Uint8Array(Buffer.from('é').subarray(0, 1)));
  process.stdout.write('after a cut that never ends\\n');
  process.stderr.write(Buffer.from('last é').subarray(0, 6));
});`);
    const printed = logs.filter((l) => l.source.startsWith('Flow run') && !l.message.startsWith('Finished in state')).map((l) => `${l.level} ${l.message}`);
    assert.deepEqual(printed, ['INFO café 🎉 done', 'WARNING 🎉é', 'INFO key ***', 'INFO \uFFFDafter a cut that never ends', 'WARNING last \uFFFD']);
  });

  it('what a flow file prints as it is imported is its run\'s first lines (masked, bounded), or said with the load\'s error when no run is made', async () => {
    const SECRET = 'ghp_IMPORTSECRET1234567890';
    const top = `console.log('top log ' + process.env.GITHUB_TOKEN);\nconsole.warn('top warn');\nconsole.debug('top debug');\n`;
    const ws = workspace({
      'imp.flow.ts': flowSource(`${top}export default flow({ name: 'imp' }, async () => { console.log('in run'); });`),
      'many.flow.ts': flowSource(`for (let i = 0; i < ${HELD_OUTPUT_LINES + 30}; i++) console.log('line ' + i);\nexport default flow({ name: 'many' }, async () => 1);`),
      'refused.flow.ts': flowSource(`${top}export default flow({ name: 'refused', tags: ['not a tag'] }, async () => 1);`),
      'quits.flow.ts': flowSource(`${top}process.exit(0);\nexport default flow({ name: 'quits' }, async () => 1);`),
    });
    const env = { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: SECRET };
    const cli = (...args: string[]) => runCli(args, { cwd: ws, env, timeoutMs: 60_000 });

    const imp = await cli('run', 'imp.flow.ts', '--json');
    assert.equal(imp.code, 0, imp.stderr);
    const { id } = JSON.parse(imp.stdout) as { id: string };
    const logs = await cli('logs', id);
    for (const text of [imp.stderr, logs.stdout]) {
      const name = /Created flow run '([^']+)'/.exec(text)![1]!;
      const lines = text.split('\n').filter((l) => / - (top |in run)/.test(l)).map((l) => l.replace(/^[\d:.]+ \| /, ''));
      // In the order printed on each stream (stdout and stderr are two pipes: not in order across them).
      assert.deepEqual(lines.filter((l) => l.startsWith('INFO')), [`INFO    | Flow run '${name}' - top log ***`, `INFO    | Flow run '${name}' - top debug`, `INFO    | Flow run '${name}' - in run`]);
      assert.deepEqual(lines.filter((l) => !l.startsWith('INFO')), [`WARNING | Flow run '${name}' - top warn`]);
      assert.ok(text.indexOf('Created flow run') < text.indexOf('top log'), text);
    }

    const many = await cli('run', 'many.flow.ts');
    assert.equal(many.code, 0, many.stderr);
    assert.match(many.stderr, new RegExp(` - line ${HELD_OUTPUT_LINES - 1}\n.*\\| WARNING \\| Flow run '[^']+' - 30 more lines printed as the flow loaded left out: the first ${HELD_OUTPUT_LINES} lines`));
    assert.doesNotMatch(many.stderr, new RegExp(` - line ${HELD_OUTPUT_LINES}$`, 'm'));

    const refused = await cli('run', 'refused.flow.ts');
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^flowdeck: Loading .*refused\.flow\.ts failed: .*tags holds 'not a tag'.*\nWhat it printed as it loaded:\n(  top .*\n){3}/m);
    for (const line of ['top log ***', 'top warn', 'top debug']) assert.ok(refused.stderr.includes(`\n  ${line}\n`), refused.stderr);

    const quits = await cli('run', 'quits.flow.ts');
    assert.equal(quits.code, 2, quits.stderr);
    assert.match(quits.stderr, /^flowdeck: Loading .*quits\.flow\.ts failed: its worker process stopped while loading \(exit code 0\): top warn; does the file call process\.exit\(\) .*\nWhat it printed to stdout as it loaded:\n  top log \*\*\*\n  top debug\n/m);
    for (const r of [imp, logs, many, refused, quits]) assert.ok(!`${r.stdout}${r.stderr}`.includes(SECRET), 'the secret is masked');
  });

  it('a long map says how far it is while it goes (its completed task runs log nothing of their own), then ends with its one line', async () => {
    const ws = workspace({
      'long.flow.ts': flowSource(`
const slow = task({ name: 'slow' }, async (i: number) => { await new Promise((r) => setTimeout(r, 150)); return i; });
const staggered = task({ name: 'slow' }, async (i: number) => { await new Promise((r) => setTimeout(r, 150 * (i + 1))); return i; });
const items = Array.from({ length: 10 }, (_, i) => i);
export const paced = flow({ name: 'paced' }, async () => (await slow.map(items, { concurrency: 1 })).length);
export const all = flow({ name: 'all' }, async () => (await staggered.map(items)).length);`),
    });
    const home = tempDir();
    // Every 0.2 s here (10 s by default): each map takes at least 1.5 s, so it says so at least once.
    const { runner, store } = await makeRunner(home, { env: { ...process.env, FLOWDECK_HOME: home, FLOWDECK_MAP_PROGRESS_SECONDS: '0.2' } });
    for (const flowName of ['paced', 'all']) {
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'long.flow.ts') }, flowName })).done;
      assert.equal(valueOf(detail), 10);
      const lines = (await logsOf(store, detail.id)).filter((l) => l.source.startsWith('Flow run')).map((l) => l.message);
      const progress = lines.filter((m) => m.startsWith('Mapping task'));
      assert.ok(progress.length >= 1, lines.join('\n'));
      const counts = progress.map((m) => {
        const match = /^Mapping task 'slow': (\d+) of 10 task runs finished \((\d+)%\) after \S+/.exec(m);
        assert.ok(match, m);
        assert.equal(Number(match[2]), Number(match[1]) * 10);
        return Number(match[1]);
      });
      assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'progress only goes forward');
      // Nothing after the map's end: its last line is the one that says it finished.
      const end = lines.indexOf("Finished mapping task 'slow': 10 task runs completed");
      assert.ok(end >= 0 && lines.slice(end).every((m) => !m.startsWith('Mapping task')), lines.join('\n'));
      console.log(`${flowName}: ${progress.join(' | ')}`);
    }
  });

  it("Node's warnings are the run's warnings: one line each, with their code, not raw stderr shown as errors", async () => {
    const { logs, ofTask } = await run(`
const old = task({ name: 'old' }, async () => { process.emitWarning('old thing', { type: 'DeprecationWarning', code: 'DEP9999' }); await new Promise((r) => setTimeout(r, 10)); return 1; });
export default flow({ name: 'warns' }, async () => {
  process.emitWarning('a flow-level warning');
  await new Promise((r) => setTimeout(r, 10));
  return old();
});`);
    assert.deepEqual(ofTask('old-0').filter((l) => l.level === 'WARNING').map((l) => l.message), ['DeprecationWarning [DEP9999]: old thing']);
    assert.ok(logs.some((l) => l.level === 'WARNING' && l.message === 'Warning: a flow-level warning'), JSON.stringify(logs.map((l) => l.message)));
    assert.deepEqual(logs.filter((l) => l.level === 'ERROR' || /node:\d+|--trace/.test(l.message)).map((l) => l.message), []);
  });

  it("logs from a task's retryCondition and from its abort listeners belong to that task run", async () => {
    const { detail, ofTask } = await run(`
const picky = task({ name: 'picky', retries: 2, retryDelaySeconds: 0, retryCondition: (e) => { getRunLogger().info('deciding about ' + (e as Error).message); console.log('printed while deciding'); return false; } }, async () => { throw new Error('nope'); });
const slow = task({ name: 'slow', timeoutSeconds: 0.3 }, async () => {
  const { signal } = getRunContext();
  signal.addEventListener('abort', () => { getRunLogger().warning('aborted: cleaning up'); console.log('printed from the listener'); });
  await new Promise((r) => { const t = setTimeout(r, 20_000); signal.addEventListener('abort', () => { clearTimeout(t); r(undefined); }); });
});
export default flow({ name: 'owners' }, async () => {
  await picky().catch(() => undefined);
  await slow().catch(() => undefined);
});`);
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(ofTask('picky-0').map((l) => l.message).slice(0, 2), ['deciding about nope', 'printed while deciding']);
    const slow = ofTask('slow-0').map((l) => l.message);
    assert.ok(slow.includes('aborted: cleaning up') && slow.includes('printed from the listener'), slow.join('\n'));
  });

  it('a retryCondition returning false is said in the task run\'s log: the attempt\'s error and that it was not retried, with the retries left', async () => {
    const { detail, ofTask } = await run(`
let n = 0;
class Fatal extends Error {}
const charge = task({ name: 'charge', retries: 3, retryDelaySeconds: 0, retryCondition: (e) => !(e instanceof Fatal) }, async () => { n++; throw n === 2 ? new Fatal('card declined') : new Error('timed out'); });
export default flow({ name: 'conditional' }, async () => { await charge().catch(() => undefined); return n; });`);
    assert.equal(valueOf(detail), 2);
    assert.deepEqual(ofTask('charge-0').map((l) => `${l.level} ${l.message}`), [
      'WARNING Encountered exception during execution: timed out',
      'INFO Retry 1/3 will start 0 seconds from now',
      'ERROR Failed after 2 attempt(s): card declined. Not retried: retryCondition returned false (2 retries left).',
      "ERROR Finished in state Failed('card declined')",
    ]);
  });

  it("a task run ends with Finished in state Completed(); a map says it once for its completed runs; a failure line does not repeat the run's name", async () => {
    const { logs, ofTask } = await run(`
const one = task({ name: 'one' }, async () => 1);
const sq = task({ name: 'sq' }, async (x: number) => x * x);
const boom = task({ name: 'boom' }, async () => { throw new Error('kaput'); });
const slow = task({ name: 'slow', timeoutSeconds: 0.2 }, async () => {
  const { signal } = getRunContext();
  await new Promise((r) => { const t = setTimeout(r, 20_000); signal.addEventListener('abort', () => { clearTimeout(t); r(undefined); }); });
});
export default flow({ name: 'finished' }, async () => {
  await one();
  await sq.map([1, 2, 3]);
  await boom().catch(() => undefined);
  await slow().catch(() => undefined);
});`);
    assert.deepEqual(ofTask('one-0').map((l) => `${l.level} ${l.source} - ${l.message}`), ["INFO Task run 'one-0' - Finished in state Completed()"]);
    for (const name of ['sq-0', 'sq-1', 'sq-2']) assert.deepEqual(ofTask(name), [], `${name} logs nothing of its own`);
    assert.ok(logs.some((l) => l.taskRunId === undefined && l.message === "Finished mapping task 'sq': 3 task runs completed"));
    assert.deepEqual(ofTask('boom-0').map((l) => `${l.level} ${l.message}`), ["ERROR Finished in state Failed('kaput')"]);
    assert.deepEqual(ofTask('slow-0').map((l) => `${l.level} ${l.message}`), ["ERROR Finished in state TimedOut('Task run exceeded timeout of 0.2 second(s)')"]);
    assert.ok(!logs.some((l) => /Task run '[^']+' - .*Task run '/.test(`${l.source} - ${l.message}`)), 'no line names its run twice');
  });
  it('a cache hit ends Cached() without writing its key in the log (a key may hold a secret), and a map of cache hits logs one line, not one per task run', async () => {
    const ws = workspace({
      'c.flow.ts': flowSource(`
const sq = task({ name: 'sq', cacheKey: (x: number) => 'key-with-private-' + x }, async (x: number) => x * x);
const one = task({ name: 'one', cacheKey: () => 'key-with-private-one' }, async () => 1);
export default flow({ name: 'cached' }, async () => { await one(); return (await sq.map([1, 2, 3])).length; });`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const start = () => runner.start({ source: { kind: 'file', path: join(ws, 'c.flow.ts') } });
    await (await start()).done;
    const detail = await (await start()).done;
    assert.deepEqual(detail.taskRuns.map((t) => t.state.name), ['Cached', 'Cached', 'Cached', 'Cached']);
    const logs = await logsOf(store, detail.id);
    assert.ok(!logs.some((l) => l.message.includes('key-with-private')), logs.map((l) => l.message).join('\n'));
    const of = (name: string) => logs.filter((l) => l.taskRunId === detail.taskRuns.find((t) => t.name === name)?.id).map((l) => l.message);
    assert.equal(of('one-0').length, 1);
    assert.match(of('one-0')[0]!, /^Finished in state Cached\(\)/);
    for (const name of ['sq-0', 'sq-1', 'sq-2']) assert.deepEqual(of(name), [], `${name} logs nothing of its own`);
    assert.ok(logs.some((l) => l.taskRunId === undefined && l.message === "Finished mapping task 'sq': 3 task runs completed"));
  });

  it('each task run of a map wider than its window has its own context and logs, before and after an await, sync or async; a failed call is logged as its own and rejects the map', async () => {
    const { detail, logs, ofTask } = await run(`
const who = task({ name: 'who' }, async (i: number) => {
  const before = getRunContext().taskRunName;
  await new Promise((r) => setImmediate(r));
  if (i % 100 === 7) getRunLogger().info('item ' + i);
  return [before, getRunContext().taskRunName];
});
const syncWho = task({ name: 'sync-who' }, (i: number) => {
  if (i % 100 === 3) getRunLogger().info('sync item ' + i);
  return getRunContext().taskRunName;
});
const later = task({ name: 'later' }, (i: number) => ({ then: (ok: (v: number) => void) => ok(i * 2) }));
const fails = task({ name: 'fails' }, async (i: number) => {
  if (i === 300) throw new Error('item 300 broke');
  return i;
});
const items = Array.from({ length: 600 }, (_, i) => i);
export default flow({ name: 'ctx-map' }, async () => {
  const a = await who.map(items);
  const b = await syncWho.map(items);
  const c = await later.map([1, 2, 3]);
  const error = await fails.map(items).then(() => 'none', (e: Error) => e.message);
  return { a: a.every(([before, after], i) => before === 'who-' + i && after === 'who-' + i), b: b.every((name, i) => name === 'sync-who-' + i), c, error, ctx: getRunContext().taskRunId ?? 'flow' };
});`);
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    const value = valueOf(detail) as Record<string, unknown>;
    assert.deepEqual(value, { a: true, b: true, c: [2, 4, 6], error: 'item 300 broke', ctx: 'flow' });
    for (const i of [7, 107, 507]) assert.deepEqual(ofTask(`who-${i}`).map((l) => l.message), [`item ${i}`]);
    for (const i of [3, 303]) assert.deepEqual(ofTask(`sync-who-${i}`).map((l) => l.message), [`sync item ${i}`]);
    assert.equal(logs.filter((l) => /^(sync )?item /.test(l.message)).length, 12, 'each line once, and no other task run logged');
    assert.deepEqual(ofTask('fails-300').map((l) => `${l.level} ${l.message}`), ["ERROR Finished in state Failed('item 300 broke')"]);
    const states = new Map(detail.taskRuns.map((t) => [t.name, t.state.name]));
    assert.equal(states.get('fails-300'), 'Failed');
    assert.equal(states.get('fails-299'), 'Completed');
    assert.equal(states.get('who-599'), 'Completed');
  });
});

describe('a long map\'s progress interval', T, () => {
  it('is FLOWDECK_MAP_PROGRESS_SECONDS, 10 s by default, and never under a tenth of a second (a log full of progress lines)', () => {
    assert.equal(workerLimits({}, {}).mapProgressMs, 10_000);
    assert.equal(workerLimits({ FLOWDECK_MAP_PROGRESS_SECONDS: '0.2' }, {}).mapProgressMs, 200);
    assert.equal(workerLimits({ FLOWDECK_MAP_PROGRESS_SECONDS: '0.0001' }, {}).mapProgressMs, 100);
    assert.equal(workerLimits({ FLOWDECK_MAP_PROGRESS_SECONDS: '' }, {}).mapProgressMs, 10_000, 'empty is unset');
  });

  it('set to what is no number of seconds above 0 (abc, 0, -1) is refused naming the variable and the value, as FLOWDECK_HEARTBEAT_SECONDS is — not 10 s taken silently', () => {
    for (const value of ['abc', '0', '-1', 'Infinity']) {
      assert.throws(() => workerLimits({ FLOWDECK_MAP_PROGRESS_SECONDS: value }, {}), (e: Error) => e.name === 'StoreSettingError' && e.message === `FLOWDECK_MAP_PROGRESS_SECONDS must be a number of seconds above 0, got ${JSON.stringify(value)}; unset it for the default (10)`);
    }
    assert.throws(() => workerLimits({ FLOWDECK_MAX_LOG_LINE_KB: 'lots' }, {}), /^StoreSettingError: FLOWDECK_MAX_LOG_LINE_KB must be a number of KB above 0, got "lots"; unset it for the default \(1024\)$/);
    assert.throws(() => workerLimits({ FLOWDECK_MAP_PROGRESS_SECONDS: 'x'.repeat(500) }, {}), new RegExp(`got "${'x'.repeat(40)}…"; unset it`), 'a long value quoted cut short');
  });

  it('refused, `flowdeck run` exits 2 saying so and runs nothing', async () => {
    const ws = workspace({ 'm.flow.ts': flowSource(`export default flow({ name: 'm' }, async () => 1);`) });
    const home = tempDir();
    const r = await runCli(['run', 'm.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home, FLOWDECK_MAP_PROGRESS_SECONDS: 'abc' } });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, 'flowdeck: FLOWDECK_MAP_PROGRESS_SECONDS must be a number of seconds above 0, got "abc"; unset it for the default (10)\n');
    const runs = await runCli(['runs', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(runs.stdout.trim(), '[]', runs.stderr);
  });
});
