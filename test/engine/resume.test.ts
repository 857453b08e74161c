/**
 * Resume from failure: the same run, a new attempt, completed calls never done twice. Side effects are
 * counted through a file each task appends to, so "ran once" is what the disk says, not what a log says.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { attemptKey } from '../../src/engine/resumePlan';
import { state } from '../../src/engine/states';
import { CLI, ROOT, flowSource, inOwnProcess, logsOf, makeRunner, runCli, tempDir, valueOf, waitFor, workspace } from '../support/engine';

const T = { timeout: 180_000 };

/** Lines of the side-effect file, counted by label. */
function effects(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** A flow file whose tasks append `label` to `log` when they run; `gate` decides whether a step fails. */
function sequential(log: string, gate: string): string {
  return flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const step = task({ name: 'step' }, async (i: number) => {
  appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n');
  if (i === 4 && !existsSync(${JSON.stringify(gate)})) throw new Error('step 4 is not ready yet');
  return i * 10;
});
export default flow({ name: 'five-steps' }, async () => {
  let sum = 0;
  for (let i = 1; i <= 5; i++) sum += await step(i);
  return sum;
});`);
}

/** Runs the flow in `file` until it fails, lets `fix` take away what failed it, and resumes it to Completed. */
async function failThenResume(file: string, fix: () => void) {
  const { runner, store } = await makeRunner(tempDir());
  const first = await (await runner.start({ source: { kind: 'file', path: file } })).done;
  assert.equal(first.state.name, 'Failed');
  fix();
  const second = await (await runner.resume(first.id)).done;
  assert.equal(second.state.name, 'Completed', second.state.message);
  return { first, second, store };
}

describe('flowdeck resume', T, () => {
  it('a task run whose argument changed (a date range, resumed another day) runs again and is not said to be reused', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const day = join(dir, 'day');
    writeFileSync(day, '2026-12-06');
    const ws = workspace({
      'daily.flow.ts': flowSource(`import { appendFileSync, existsSync, readFileSync } from 'node:fs';
const fetchDay = task({ name: 'fetch-day' }, async (range: string) => { appendFileSync(${JSON.stringify(log)}, 'fetch ' + range + '\\n'); return range; });
const publish = task({ name: 'publish' }, async (what: string) => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return what; });
export default flow({ name: 'daily' }, async () => publish(await fetchDay(readFileSync(${JSON.stringify(day)}, 'utf8'))));`),
    });
    const home = tempDir();
    const first = await runCli(['run', 'daily.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(first.code, 1, first.stderr);
    const failed = JSON.parse(first.stdout) as { name: string };
    writeFileSync(day, '2026-12-07');
    writeFileSync(gate, '');
    const resumed = await runCli(['resume', failed.name, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout) as { result: string; taskRuns: { name: string; state: { name: string }; attempt: number }[] };
    assert.equal(doc.result, '2026-12-07');
    assert.deepEqual([...effects(log).keys()], ['fetch 2026-12-06', 'fetch 2026-12-07'], 'the task ran again for the new day');
    assert.equal(doc.taskRuns.filter((t) => t.state.name === 'Cached').length, 0, 'nothing was reused');
    // The line before the attempt cannot know the arguments: it says how many could be reused, never that they were.
    const line = resumed.stderr.split('\n').find((l) => l.includes(`Resuming flow run '${failed.name}' (attempt 2)`)) ?? '';
    assert.match(line, /: up to 1 of 2 task runs reused \(those called again with the same arguments\)$/);
    assert.doesNotMatch(line, /: 1 of 2 task runs reused/);
  });

  it('five tasks, the 4th fails: resume completes, tasks 1–3 ran once in all, 4–5 once after the fix', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({ 'five.flow.ts': sequential(log, gate) });
    const home = tempDir();
    const first = await runCli(['run', 'five.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(first.code, 1, first.stderr);
    const failed = JSON.parse(first.stdout) as { id: string; name: string };
    writeFileSync(gate, '');
    const resumed = await runCli(['resume', failed.name, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout) as { id: string; name: string; attempt: number; result: number; state: { name: string }; taskRuns: { name: string; state: { name: string; message?: string }; attempt: number }[] };
    assert.equal(doc.id, failed.id, 'the same run');
    assert.equal(doc.name, failed.name);
    assert.equal(doc.attempt, 2);
    assert.equal(doc.result, 150);
    assert.match(resumed.stderr, new RegExp(`Resuming flow run '${failed.name}' \\(attempt 2\\): up to 3 of 4 task runs reused \\(those called again with the same arguments\\)`));
    const counts = effects(log);
    assert.deepEqual([1, 2, 3, 4, 5].map((i) => counts.get(`step ${i}`)), [1, 1, 1, 2, 1]);
    // The history keeps both attempts; the reused ones say where their result came from.
    const second = doc.taskRuns.filter((t) => t.state.name === 'Cached');
    assert.deepEqual(second.map((t) => [t.name, t.state.message, t.attempt]), [
      ['step-0', 'reused from attempt 1', 1],
      ['step-1', 'reused from attempt 1', 1],
      ['step-2', 'reused from attempt 1', 1],
    ]);
    assert.equal(doc.taskRuns.length, 9, '4 task runs of attempt 1 and 5 of attempt 2');
    const store = await EmbeddedStore.open(home, { readOnly: true });
    const states = (await store.readRun(failed.id))!.states.map((s) => s.name);
    assert.deepEqual(states, ['Pending', 'Running', 'Failed', 'AwaitingRetry', 'Running', 'Completed']);
  });

  it('a task given a function, Completed in attempt 1, runs again on resume and says why, once for all its calls', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'fn.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const withFn = task({ name: 'withFn' }, async (f: () => number) => {
  appendFileSync(${JSON.stringify(log)}, 'withFn\\n');
  return f();
});
const data = task({ name: 'data' }, async (i: number) => {
  appendFileSync(${JSON.stringify(log)}, 'data\\n');
  return i;
});
export default flow({ name: 'fn-arg' }, async () => {
  let sum = await data(1);
  for (let i = 0; i < 3; i++) sum += await withFn(() => 2);
  if (!existsSync(${JSON.stringify(gate)})) throw new Error('not ready yet');
  return sum;
});`),
    });
    const { first, second, store } = await failThenResume(join(ws, 'fn.flow.ts'), () => writeFileSync(gate, ''));
    assert.equal(valueOf(second), 7);
    const counts = effects(log);
    assert.equal(counts.get('data'), 1, 'the data task is reused');
    assert.equal(counts.get('withFn'), 6, 'the function task runs again: it cannot be told apart from a call with another function');
    const warnings = (await logsOf(store, first.id)).filter((l) => /ran again/.test(l.message));
    assert.deepEqual(warnings.map((l) => [l.level, l.message]), [
      ['WARNING', "Task 'withFn' ran again: its arguments cannot be compared with attempt 1's (a function at args[0]); a task whose result should be reused on resume takes data arguments"],
    ]);
  });

  it('a map over 50 items where 7 fail: the resume runs only those 7', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'map.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const BAD = new Set([3, 9, 14, 22, 31, 40, 47]);
const item = task({ name: 'item' }, async (i: number) => {
  appendFileSync(${JSON.stringify(log)}, 'item ' + i + '\\n');
  if (BAD.has(i) && !existsSync(${JSON.stringify(gate)})) throw new Error('item ' + i + ' failed');
  return i;
});
export default flow({ name: 'map50' }, async () => {
  const settled = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => item(i)));
  const failed = settled.filter((s) => s.status === 'rejected').length;
  if (failed > 0) throw new Error(failed + ' items failed');
  return settled.reduce((sum, s) => sum + (s.status === 'fulfilled' ? s.value : 0), 0);
});`),
    });
    const { first, second, store } = await failThenResume(join(ws, 'map.flow.ts'), () => writeFileSync(gate, ''));
    assert.equal(valueOf(second), (49 * 50) / 2);
    const counts = effects(log);
    const twice = [...counts].filter(([, n]) => n === 2).map(([k]) => k).sort();
    assert.deepEqual(twice, ['item 14', 'item 22', 'item 3', 'item 31', 'item 40', 'item 47', 'item 9']);
    assert.equal([...counts.values()].reduce((a, b) => a + b, 0), 57);
    assert.ok((await logsOf(store, first.id)).some((l) => /Resuming flow run '.+' \(attempt 2\): up to 43 of 50 task runs reused/.test(l.message)));
  });

  it('a map of 10,000 calls (over its window; two lists and an unmapped value): the whole result in order, and a resume reuses all but the failed call', async () => {
    const N = 10_000;
    const dir = tempDir();
    const gate = join(dir, 'fixed');
    const ran = join(dir, 'ran.txt');
    const ws = workspace({
      'big.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
import { unmapped } from 'flowdeck';
const add = task({ name: 'add' }, async (a: number, b: string, offset: number) => {
  appendFileSync(${JSON.stringify(ran)}, a + '\\n');
  if (a === ${N - 1} && !existsSync(${JSON.stringify(gate)})) throw new Error('not yet');
  return a + Number(b) + offset;
});
export default flow({ name: 'big-map' }, async () => add.map(Array.from({ length: ${N} }, (_, i) => i), Array.from({ length: ${N} }, (_, i) => String(i * 2)), unmapped(7)));`),
    });
    const { first, second, store } = await failThenResume(join(ws, 'big.flow.ts'), () => writeFileSync(gate, ''));
    const value = valueOf(second) as number[];
    assert.equal(value.length, N);
    assert.ok(value.every((v, i) => v === i * 3 + 7), 'call i got item i of each list and the unmapped value');
    const counts = effects(ran);
    assert.equal(counts.size, N, 'every call ran');
    assert.deepEqual([...counts].filter(([, n]) => n !== 1), [[String(N - 1), 2]], 'only the failed call ran again');
    assert.ok((await logsOf(store, first.id)).some((l) => l.message.endsWith(`(attempt 2): up to ${N - 1} of ${N} task runs reused (those called again with the same arguments)`)));
  });

  it('nested subflows resume the same way: completed ones are reused whole, the failed one resumes from its own checkpoints', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'nest.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const work = task({ name: 'work' }, async (label: string) => {
  appendFileSync(${JSON.stringify(log)}, label + '\\n');
  if (label === 'leaf-b:2' && !existsSync(${JSON.stringify(gate)})) throw new Error('leaf b is not ready');
  return label;
});
const leaf = flow({ name: 'leaf' }, async ({ id }: { id: string }) => [await work('leaf-' + id + ':1'), await work('leaf-' + id + ':2')]);
const middle = flow({ name: 'middle' }, async () => [...(await leaf({ id: 'a' })), ...(await leaf({ id: 'b' }))]);
export default flow({ name: 'nest' }, async () => [await work('root'), ...(await middle())]);`),
    });
    const { first, second, store } = await failThenResume(join(ws, 'nest.flow.ts'), () => writeFileSync(gate, ''));
    assert.deepEqual(valueOf(second), ['root', 'leaf-a:1', 'leaf-a:2', 'leaf-b:1', 'leaf-b:2']);
    const counts = effects(log);
    assert.deepEqual(Object.fromEntries(counts), { root: 1, 'leaf-a:1': 1, 'leaf-a:2': 1, 'leaf-b:1': 1, 'leaf-b:2': 2 });
    // Still one run per subflow call: resumed, not created again.
    const tree = await store.runTree(first.id);
    assert.deepEqual(tree.map((r) => `${r.flowName}:${r.state.name}`), ['nest:Completed', 'middle:Completed', 'leaf:Completed', 'leaf:Completed']);
    assert.deepEqual(tree.map((r) => r.attempt), [2, 2, 1, 2]);
  });

  it('a completed subflow whose result was not kept (it holds a function) is not reused as undefined: it runs again from its own checkpoints, in the same run, and gives its result', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'unkept.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const work = task({ name: 'work' }, async (n: number) => { appendFileSync(${JSON.stringify(log)}, 'work ' + n + '\\n'); return n * 10; });
const publish = task({ name: 'publish' }, async (text: string) => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return text; });
const child = flow({ name: 'formatter' }, async () => { const v = await work(1); return { v, format: (x: number) => 'v=' + x }; });
export default flow({ name: 'unkept' }, async () => { const r = await child(); return publish(r.format(r.v)); });`),
    });
    const { first, second, store } = await failThenResume(join(ws, 'unkept.flow.ts'), () => writeFileSync(gate, ''));
    assert.equal(valueOf(second), 'v=10');
    assert.deepEqual(Object.fromEntries(effects(log)), { 'work 1': 1 }, "the subflow's task ran once in all");
    const tree = await store.runTree(first.id);
    assert.deepEqual(tree.map((r) => `${r.flowName}:${r.state.name}:${r.attempt}`), ['unkept:Completed:2', 'formatter:Completed:2'], 'one subflow run, resumed');
    const said = (await logsOf(store, first.id)).map((l) => l.message).join('\n');
    assert.match(said, new RegExp(`Subflow run '${tree[1]!.name}' for flow 'formatter' completed in attempt 1, but its result was not kept \\(Cannot keep a function at \\.format\\): it runs again from its checkpoints to give it`));
    assert.doesNotMatch(said, /Reused subflow run/);
  });

  it('a checkpoint whose result file is gone or damaged runs its task again, saying which and why — naming the file only where the user can act on it', async () => {
    for (const damage of ['gone', 'cut', 'folder'] as const) {
      const dir = tempDir();
      const log = join(dir, 'effects.txt');
      const gate = join(dir, 'fixed');
      const ws = workspace({
        'big.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const load = task({ name: 'load' }, async (n: number) => { appendFileSync(${JSON.stringify(log)}, 'load\\n'); return { rows: 'x'.repeat(300_000), n }; });
const publish = task({ name: 'publish' }, async (r: { rows: string; n: number }) => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return r.rows.length + r.n; });
export default flow({ name: 'big' }, async () => publish(await load(1)));`),
      });
      const { runner, store } = await makeRunner(tempDir());
      const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'big.flow.ts') } })).done;
      assert.equal(first.state.name, 'Failed');
      const results = store.resultsDir(first.id);
      const files = readdirSync(results);
      assert.equal(files.length, 1, 'the large result is a file of its own');
      const file = join(results, files[0]!);
      if (damage === 'cut') writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100));
      else rmSync(file);
      // A folder where the file was: no read gets it back, and only the user can take it away.
      if (damage === 'folder') mkdirSync(file);
      writeFileSync(gate, '');
      const second = await (await runner.resume(first.id)).done;
      assert.equal(second.state.name, 'Completed', `${damage}: ${second.state.message}`);
      assert.equal(valueOf(second), 300_001);
      assert.deepEqual(Object.fromEntries(effects(log)), { load: 2 }, 'the task whose checkpoint was lost ran again');
      const said = (await logsOf(store, first.id)).filter((l) => l.level === 'WARNING').map((l) => l.message);
      const line = said.find((m) => m.startsWith("Task 'load' runs again: the result this call completed with in attempt 1 cannot be read back (")) ?? said.join('\n');
      const why = { gone: /\(its file is gone\)$/, cut: /\(its file is damaged: Unterminated string in JSON at position 100\)$/, folder: /\(its file .+ cannot be read: illegal operation on a directory \(EISDIR\)\)$/ }[damage];
      assert.match(line, why, damage);
      // The store's own folder tells the user nothing they can act on, unless the file is theirs to mend.
      assert.equal(line.includes(results), damage === 'folder', `${damage}: ${line}`);
    }
  });

  it('a completed subflow whose result file is gone or damaged runs again as a new attempt of the same subflow run, saying why, instead of failing every resume', async () => {
    for (const damage of ['gone', 'cut'] as const) {
      const dir = tempDir();
      const log = join(dir, 'effects.txt');
      const gate = join(dir, 'fixed');
      const ws = workspace({
        'bigsub.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const work = task({ name: 'work' }, async (n: number) => { appendFileSync(${JSON.stringify(log)}, 'work\\n'); return n; });
const publish = task({ name: 'publish' }, async (n: number) => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return n; });
const loader = flow({ name: 'loader' }, async () => ({ rows: 'x'.repeat(300_000), n: await work(1) }));
export default flow({ name: 'bigsub' }, async () => { const r = await loader(); return publish(r.rows.length + r.n); });`),
      });
      const { runner, store } = await makeRunner(tempDir());
      const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'bigsub.flow.ts') } })).done;
      assert.equal(first.state.name, 'Failed');
      const sub = (await store.runTree(first.id))[1]!;
      const file = join(store.resultsDir(sub.id), 'flow.dv');
      assert.ok(existsSync(file), "the subflow's large result is a file of its own");
      if (damage === 'gone') rmSync(file);
      else writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100));
      writeFileSync(gate, '');
      const second = await (await runner.resume(first.id)).done;
      assert.equal(second.state.name, 'Completed', `${damage}: ${second.state.message}`);
      assert.equal(valueOf(second), 300_001);
      assert.deepEqual(Object.fromEntries(effects(log)), { work: 1 }, "the subflow's completed task was reused");
      const tree = await store.runTree(first.id);
      assert.deepEqual(tree.map((r) => `${r.flowName}:${r.state.name}:${r.attempt}`), ['bigsub:Completed:2', 'loader:Completed:2'], 'one subflow run, resumed');
      const said = (await logsOf(store, first.id)).map((l) => l.message);
      const why = damage === 'gone' ? 'its file is gone' : 'its file is damaged: Unterminated string in JSON at position 100';
      assert.ok(said.includes(`Subflow run '${sub.name}' for flow 'loader' completed in attempt 1, but its result cannot be read back (${why}): it runs again from its checkpoints to give it`), `${damage}: ${said.join('\n')}`);
      assert.ok(!said.some((m) => m.startsWith('Reused subflow run')), 'not said to be reused');
    }
  });

  it('a flow whose work is all in subflows is not said to reuse nothing: its resume line counts the subflow runs it may reuse or resume', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'only-subflows.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const work = task({ name: 'work' }, async (n: number) => { appendFileSync(${JSON.stringify(log)}, 'work ' + n + '\\n'); if (n === 2 && !existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return n; });
const child = flow({ name: 'child' }, async ({ n }: { n: number }) => work(n));
export default flow({ name: 'only-subflows' }, async () => (await child({ n: 1 })) + (await child({ n: 2 })));`),
    });
    const { first, second, store } = await failThenResume(join(ws, 'only-subflows.flow.ts'), () => writeFileSync(gate, ''));
    assert.equal(valueOf(second), 3);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'work 1': 1, 'work 2': 2 });
    const line = (await logsOf(store, first.id)).map((l) => l.message).find((m) => m.includes('(attempt 2)')) ?? '';
    assert.match(line, /\(attempt 2\): its last attempt ran no task runs of its own; up to 2 subflow runs reused or resumed \(those called again with the same parameters\)$/);
  });

  it('an attempt that failed before its first task (its flow threw at the top) does not make the next one say nothing is reused: the checkpoints of the attempt before it are', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const top = join(dir, 'config-missing');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'top.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const a = task({ name: 'a' }, async () => { appendFileSync(${JSON.stringify(log)}, 'a\\n'); return 1; });
const b = task({ name: 'b' }, async () => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('b is not ready'); return 2; });
export default flow({ name: 'top' }, async () => {
  if (existsSync(${JSON.stringify(top)})) throw new Error('config missing');
  return (await a()) + (await b());
});`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'top.flow.ts') } })).done;
    assert.equal(first.state.name, 'Failed');
    writeFileSync(top, '');
    assert.equal((await (await runner.resume(first.id)).done).state.message, 'config missing');
    rmSync(top);
    writeFileSync(gate, '');
    const third = await (await runner.resume(first.id)).done;
    assert.equal(third.state.name, 'Completed', third.state.message);
    assert.deepEqual(Object.fromEntries(effects(log)), { a: 1 }, 'a was reused');
    const line = (await logsOf(store, first.id)).map((l) => l.message).find((m) => m.includes('(attempt 3)')) ?? '';
    assert.match(line, /\(attempt 3\): its last attempt ran no task runs; up to 1 task run of earlier attempts reused \(those called again with the same arguments\)$/);
  });

  it('calls made as earlier awaits settle come in another order once those are reused: each is still reused by its arguments, never run again', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'order.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const fetchRepo = task({ name: 'fetch' }, async (r: string) => { await new Promise((res) => setTimeout(res, r === 'a' ? 150 : 0)); return r.toUpperCase(); });
const charge = task({ name: 'charge' }, async (x: string) => { appendFileSync(${JSON.stringify(log)}, 'charge ' + x + '\\n'); return 'charged ' + x; });
const publish = task({ name: 'publish' }, async (xs: string[]) => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return xs; });
export default flow({ name: 'order' }, async () => publish(await Promise.all(['a', 'b', 'c'].map(async (r) => charge(await fetchRepo(r))))));`),
    });
    const { runner } = await makeRunner(tempDir());
    const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'order.flow.ts') } })).done;
    assert.equal(first.state.name, 'Failed');
    // Attempt 1 charged b and c before a (a's fetch was slow); attempt 2 reuses the fetches at once, in call order.
    assert.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean).at(-1), 'charge A');
    const second = await (await runner.resume(first.id)).done;
    assert.equal(second.state.message, 'not yet');
    writeFileSync(gate, '');
    const third = await (await runner.resume(first.id)).done;
    assert.equal(third.state.name, 'Completed', third.state.message);
    assert.deepEqual(valueOf(third), ['charged A', 'charged B', 'charged C']);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'charge A': 1, 'charge B': 1, 'charge C': 1 }, 'each charged once in all');
    assert.deepEqual(third.taskRuns.filter((t) => t.flowAttempt === 3 && t.name.startsWith('charge')).map((t) => t.state.name), ['Cached', 'Cached', 'Cached']);
  });

  it('subflow calls made as earlier awaits settle, in another order once those are reused, each get their own completed subflow run back: none made again', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'suborder.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const fetchRepo = task({ name: 'fetch' }, async (r: string) => { await new Promise((res) => setTimeout(res, r === 'a' ? 150 : 0)); return r.toUpperCase(); });
const charge = task({ name: 'charge' }, async (x: string) => { appendFileSync(${JSON.stringify(log)}, 'charge ' + x + '\\n'); return 'charged ' + x; });
const billing = flow({ name: 'billing' }, async ({ x }: { x: string }) => charge(x));
const publish = task({ name: 'publish' }, async (xs: string[]) => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return xs; });
export default flow({ name: 'suborder' }, async () => publish(await Promise.all(['a', 'b', 'c'].map(async (r) => billing({ x: await fetchRepo(r) })))));`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'suborder.flow.ts') } })).done;
    assert.equal(first.state.name, 'Failed');
    assert.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean).at(-1), 'charge A', 'a came last in attempt 1');
    writeFileSync(gate, '');
    const second = await (await runner.resume(first.id)).done;
    assert.equal(second.state.name, 'Completed', second.state.message);
    assert.deepEqual(valueOf(second), ['charged A', 'charged B', 'charged C']);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'charge A': 1, 'charge B': 1, 'charge C': 1 }, 'each charged once in all');
    assert.equal((await store.runTree(first.id)).length, 4, 'three subflow runs, none made again');
  });

  it('two subflow calls made at once that could take the same failed subflow run (one matched by its place, one by its parameters) do not both resume it: one run, one attempt, each call its own', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const second = join(dir, 'second.txt');
    writeFileSync(second, 'B');
    const ws = workspace({
      'twins.flow.ts': flowSource(`import { appendFileSync, existsSync, readFileSync } from 'node:fs';
const work = task({ name: 'work' }, async (x: string) => { appendFileSync(${JSON.stringify(log)}, 'work ' + x + '\\n'); if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return x; });
const twin = flow({ name: 'twin' }, async ({ x }: { x: string }) => work(x));
export default flow({ name: 'twins' }, async () => Promise.all([twin({ x: 'A' }), twin({ x: readFileSync(${JSON.stringify(second)}, 'utf8') })]));`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'twins.flow.ts') } })).done;
    assert.equal(first.state.name, 'Failed');
    // Attempt 1 called twin(A) and twin(B), both failing; the resume calls twin(A) twice at once: the first is
    // the A run's own call, the second has no run of its place with its parameters, and the A run is one.
    writeFileSync(gate, '');
    writeFileSync(second, 'A');
    // The store opens a subflow run only once the other call has asked the store for a run too (as a slow disk
    // would have it): the second call is answered while the first is still taking its run.
    let otherCall!: () => void;
    const asked = new Promise<void>((resolve) => (otherCall = resolve));
    const { openRun, createRun } = store;
    let opened = 0;
    store.openRun = async (id: string) => {
      if (id !== first.id && opened++ === 0) await Promise.race([asked, new Promise((r) => setTimeout(r, 5_000))]);
      else otherCall();
      return openRun.call(store, id);
    };
    store.createRun = async (input) => {
      otherCall();
      return createRun.call(store, input);
    };
    const resumed = await (await runner.resume(first.id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    assert.deepEqual(valueOf(resumed), ['A', 'A']);
    const tree = await store.runTree(first.id);
    const runA = tree.find((r) => r.flowName === 'twin' && r.attempt === 2)!;
    const detailA = (await store.readRun(runA.id))!;
    assert.deepEqual(detailA.taskRuns.map((t) => `${t.state.name}:${t.flowAttempt}`), ['Failed:1', 'Completed:2'], 'the A run resumed once, by one call');
    assert.equal(tree.length, 4, 'the root, the A and B runs of attempt 1, and one new run for the second call');
    assert.equal((await logsOf(store, runA.id)).filter((l) => l.message.startsWith(`Resuming flow run '${runA.name}' (attempt 2)`)).length, 1);
  });

  it('a call whose arguments changed runs again', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const input = join(dir, 'input.txt');
    writeFileSync(input, 'v1');
    const ws = workspace({
      'args.flow.ts': flowSource(`import { appendFileSync, readFileSync } from 'node:fs';
const a = task({ name: 'a' }, async (v: string) => { appendFileSync(${JSON.stringify(log)}, 'a ' + v + '\\n'); return v; });
const b = task({ name: 'b' }, async () => { appendFileSync(${JSON.stringify(log)}, 'b\\n'); return 'b'; });
const c = task({ name: 'c' }, async (v: string) => { if (v === 'v1') throw new Error('v1 is wrong'); return v; });
export default flow({ name: 'args' }, async () => { const v = readFileSync(${JSON.stringify(input)}, 'utf8'); await b(); await a(v); return c(v); });`),
    });
    const { second } = await failThenResume(join(ws, 'args.flow.ts'), () => writeFileSync(input, 'v2'));
    assert.equal(valueOf(second), 'v2');
    assert.deepEqual(Object.fromEntries(effects(log)), { b: 1, 'a v1': 1, 'a v2': 1 });
  });

  it('a result an attempt took from the cache is its checkpoint: once the cache lost it, the resume reuses it, and the task that used it does not run again', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'carrier-up');
    const ws = workspace({
      'cached.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const effect = (what: string) => appendFileSync(${JSON.stringify(log)}, what + '\\n');
let quotes = 0;
const price = task({ name: 'price', cacheKey: (sku: string) => sku }, async (sku: string) => { effect('price'); return { sku, quote: Date.now() + '-' + ++quotes }; });
const charge = task({ name: 'charge' }, async (q: { quote: string }) => { effect('charge'); return 'charged ' + q.quote; });
const ship = task({ name: 'ship' }, async () => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('carrier down'); return 'shipped'; });
export default flow({ name: 'order' }, async () => { const q = await price('sku-1'); return [await charge(q), await ship()]; });`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    const source = { kind: 'file' as const, path: join(ws, 'cached.flow.ts') };
    // The first run fills the cache; the second takes its quote from it, charges, and fails to ship.
    writeFileSync(gate, '');
    const filled = await (await runner.start({ source })).done;
    assert.equal(filled.state.name, 'Completed');
    rmSync(gate);
    const failed = await (await runner.start({ source })).done;
    assert.equal(failed.state.name, 'Failed');
    assert.equal(failed.taskRuns[0]!.state.name, 'Cached');
    // The cache loses the quote (expired, cleared) before the resume.
    rmSync(join(home, 'cache'), { recursive: true, force: true });
    writeFileSync(gate, '');
    const resumed = await (await runner.resume(failed.id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    assert.deepEqual(Object.fromEntries(effects(log)), { price: 1, charge: 2 }, 'one quote, and one charge per run');
    assert.deepEqual(valueOf(resumed), [(valueOf(filled) as string[])[0], 'shipped'], 'the quote the cache gave its first attempt');
  });

  it('refuses a completed run (use Rerun), a subflow run, an unknown run; warns when the flow file changed', async () => {
    const ws = workspace({ 'ok.flow.ts': flowSource(`const t = task({ name: 't' }, async () => 1);\nexport default flow({ name: 'ok' }, async () => { await t(); throw new Error('no'); });`) });
    const home = tempDir();
    const done = await runCli(['run', 'ok.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    const failed = JSON.parse(done.stdout) as { name: string };
    writeFileSync(join(ws, 'ok.flow.ts'), flowSource(`const t = task({ name: 't' }, async () => 1);\nexport default flow({ name: 'ok' }, async () => { await t(); return 'fixed'; });`));
    const resumed = await runCli(['resume', failed.name], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /WARNING .*The flow's source changed since attempt 1 \(content hash [0-9a-f]{12} → [0-9a-f]{12}\)/);
    const again = await runCli(['resume', failed.name], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /completed; there is nothing to resume\. Rerun it/);
    const missing = await runCli(['resume', 'no-such-run'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /No run with id, id prefix or name 'no-such-run'/);
  });

  it('refuses a run whose flow file is gone, naming the run and the file, and saying what to do', async () => {
    const ws = workspace({ 'gone.flow.ts': flowSource(`export default flow({ name: 'gone' }, async () => { throw new Error('no'); });`) });
    const home = tempDir();
    const failed = JSON.parse((await runCli(['run', 'gone.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } })).stdout) as { name: string };
    rmSync(join(ws, 'gone.flow.ts'));
    const r = await runCli(['resume', failed.name], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^flowdeck: Run '${failed.name}' cannot be resumed: its flow file .*gone\\.flow\\.ts is not there any more \\(moved or deleted\\?\\)\\. Put it back to resume the run`, 'm'));
  });

  it('refuses a run its flow file no longer fits (its parameters declared otherwise, its flow renamed), naming the run and saying what changed and what to do; the run stays resumable', async () => {
    const gate = join(tempDir(), 'fixed');
    const flowOf = (name: string, declared: string) =>
      flowSource(`import { existsSync } from 'node:fs';
const t = task({ name: 't' }, async (n: number) => n);
export default flow({ name: '${name}', parameters: { ${declared} } }, async () => { await t(1); if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); return 'done'; });`);
    const ws = workspace({ 'p.flow.ts': flowOf('p', `n: { type: 'number', default: 1 }`) });
    const home = tempDir();
    const cli = (...args: string[]) => runCli(args, { cwd: ws, env: { FLOWDECK_HOME: home } });
    const failed = JSON.parse((await cli('run', 'p.flow.ts', '--param', 'n=5', '--json')).stdout) as { name: string };
    writeFileSync(gate, '');
    writeFileSync(join(ws, 'p.flow.ts'), flowOf('p', `n: { type: 'string' }, m: { type: 'number', required: true }`));
    const declared = await cli('resume', failed.name);
    assert.equal(declared.code, 2, declared.stderr);
    assert.match(
      declared.stderr,
      new RegExp(`^flowdeck: Run '${failed.name}' cannot be resumed: the parameters it ran with do not fit flow 'p' as its file has it now \\('n' must be a string, got number 5; missing required parameter 'm'\\)\\. Put the flow back as it was to resume the run, or run the file for a new run\\.$`, 'm'),
    );
    writeFileSync(join(ws, 'p.flow.ts'), flowOf('p-renamed', `n: { type: 'number', default: 1 }`));
    const renamed = await cli('resume', failed.name);
    assert.equal(renamed.code, 2, renamed.stderr);
    assert.match(renamed.stderr, new RegExp(`^flowdeck: Run '${failed.name}' cannot be resumed: its flow 'p' is not in its file now \\(.*p\\.flow\\.ts has no flow named 'p'; it has: p-renamed\\)\\. Put the flow back as it was to resume the run, or run the file for a new run\\.$`, 'm'));
    // Put back, it resumes (nothing was taken by the refusals).
    writeFileSync(join(ws, 'p.flow.ts'), flowOf('p', `n: { type: 'number', default: 1 }`));
    const back = await cli('resume', failed.name);
    assert.equal(back.code, 0, back.stderr);
  });

  it('a resume that reads the run as it ended in the index but taken over in its journal (another resume going, its index write landing a moment later) leaves it to that resume: refused, nothing run twice', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const ws = workspace({
      'lag.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
const step = task({ name: 'step' }, async (i: number) => { appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n'); if (i === 2 && !process.env.FIXED) throw new Error('not yet'); return i; });
export default flow({ name: 'lag' }, async () => (await step(1)) + (await step(2)));`),
    });
    const home = tempDir();
    const first = await runCli(['run', 'lag.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(first.code, 1, first.stderr);
    const failed = JSON.parse(first.stdout) as { id: string; name: string };
    // Another resume, alive (this process), takes attempt 2 over as every resume does: its claim, its
    // AwaitingRetry in the journal, then in the index — which lands only as the second resume claims its
    // attempt (the order seen with eight `flowdeck resume` at once: both ran the run, tasks twice).
    const other = await EmbeddedStore.open(home);
    const { store, runner } = await makeRunner(home, { env: { ...process.env, FLOWDECK_HOME: home, FIXED: '1' } });
    try {
      assert.equal(await other.claim(attemptKey(failed.id, 2)), true);
      const handle = await other.openRun(failed.id);
      const taken = state('AwaitingRetry', 'Resuming (attempt 2)');
      await handle.append([{ k: 'state', runId: failed.id, name: taken.name, ts: taken.timestamp, message: taken.message!, attempt: 2 }]);
      await handle.flush();
      const claim = store.claim.bind(store);
      store.claim = async (key: string) => {
        const got = await claim(key);
        if (key.startsWith(`attempt:${failed.id}:`)) await handle.setState(taken, { attempt: 2 });
        return got;
      };
      await assert.rejects(runner.resume(failed.id, { cwd: ws }), new RegExp(`Run '${failed.name}' was resumed meanwhile \\(its attempt 2 is taken by another resume, which runs it now\\)`));
      assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 1 }, 'nothing ran beside the resume going');

      // That resume dead (its claim given back, as a dead process's is taken over) with the run taken over: not
      // stuck, resumed as the attempt after it.
      await other.unclaim(attemptKey(failed.id, 2));
      await handle.close();
      const active = await runner.resume(failed.id, { cwd: ws });
      const end = await active.done;
      assert.deepEqual([end.state.name, end.attempt], ['Completed', 3]);
      assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 2 });
    } finally {
      await other.close();
    }
  });

  it('two resumes of one run at once: one takes the new attempt, the other is refused saying so before its flow loads, and nothing runs twice (both ran it, one over the other)', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const fixed = join(dir, 'fixed');
    const go = join(dir, 'go');
    // Once fixed, its loading holds until the test says go: the resume that took the attempt is still loading when the other is refused.
    const ws = workspace({
      'twice.flow.ts': flowSource(`import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
if (existsSync(${JSON.stringify(fixed)})) {
  writeFileSync(${JSON.stringify(dir)} + '/loading-' + process.pid, '');
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 3000 && !existsSync(${JSON.stringify(go)}); i++) Atomics.wait(wait, 0, 0, 20);
}
const step = task({ name: 'step' }, async (i: number) => {
  appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n');
  if (i === 2 && !existsSync(${JSON.stringify(fixed)})) throw new Error('step 2 is not ready yet');
  return i;
});
export default flow({ name: 'twice' }, async () => (await step(1)) + (await step(2)));`),
    });
    const home = tempDir();
    const first = await runCli(['run', 'twice.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(first.code, 1, first.stderr);
    const failed = JSON.parse(first.stdout) as { id: string; name: string };
    writeFileSync(fixed, '');
    const both = [runCli(['resume', failed.name], { cwd: ws, env: { FLOWDECK_HOME: home } }), runCli(['resume', failed.name], { cwd: ws, env: { FLOWDECK_HOME: home } })];
    const firstEnd = await Promise.race(both);
    assert.equal(firstEnd.code, 2, `the refused one ends while the other loads: ${firstEnd.stderr}`);
    writeFileSync(go, '');
    const ends = await Promise.all(both);
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('loading-')).length, 1, 'only the resume that took the attempt loaded the flow');
    const won = ends.filter((e) => e.code === 0);
    const refused = ends.filter((e) => e.code !== 0);
    assert.equal(won.length, 1, ends.map((e) => `exit ${e.code}: ${e.stderr}`).join('\n---\n'));
    assert.equal(refused[0]!.code, 2, refused[0]!.stderr);
    assert.match(refused[0]!.stderr, new RegExp(`Run '${failed.name}' was resumed meanwhile \\(its attempt 2 was taken by another resume\\)`));
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 2 }, 'step 1 once in all; step 2 once failing, once resumed');
    const store = await EmbeddedStore.open(home, { readOnly: true });
    try {
      const run = (await store.readRun(failed.id))!;
      assert.equal(run.attempt, 2);
      assert.deepEqual(run.states.map((st) => st.name), ['Pending', 'Running', 'Failed', 'AwaitingRetry', 'Running', 'Completed']);
    } finally {
      await store.close();
    }
  });
});

/**
 * A flow whose task 2 fails (or does `unfixed`) until `fixed` exists, and whose loading holds while `hold` exists (writing
 * `loading-<pid>` in `dir` first), until `go` does: a resume can be caught, or killed, while it loads.
 */
function heldWhileLoading(dir: string, log: string, options: string, unfixed = "throw new Error('step 2 is not ready yet')"): string {
  const at = (f: string) => JSON.stringify(join(dir, f));
  return flowSource(`import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
if (existsSync(${at('hold')})) {
writeFileSync(${at('loading-')} + process.pid, '');
const wait = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < 3000 && !existsSync(${at('go')}); i++) Atomics.wait(wait, 0, 0, 20);
}
const step = task({ name: 'step' }, async (i: number) => {
appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n');
if (i === 2 && !existsSync(${at('fixed')})) ${unfixed};
return i;
});
export default flow(${options}, async () => (await step(1)) + (await step(2)));`);
}

/** The resumes that began to load the flow (by their files). */
const loading = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('loading-'));

/** A run of `heldWhileLoading` that failed in step 2, and the fix that lets step 2 pass now made. */
async function failedHeldRun(): Promise<{ dir: string; log: string; home: string; ws: string; run: { id: string; name: string } }> {
  const dir = tempDir();
  const log = join(dir, 'effects.txt');
  const home = tempDir();
  const ws = workspace({ 'held.flow.ts': heldWhileLoading(dir, log, `{ name: 'held' }`) });
  const failed = await runCli(['run', 'held.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
  assert.equal(failed.code, 1, failed.stderr);
  writeFileSync(join(dir, 'fixed'), '');
  return { dir, log, home, ws, run: JSON.parse(failed.stdout) as { id: string; name: string } };
}

describe('a resume that died holding its claim', T, () => {
  it('`flowdeck resume --crashed` killed while it loads the flow: the next one resumes the run (its claim is taken over), steps done once', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const home = tempDir();
    const ws = workspace({ 'held.flow.ts': heldWhileLoading(dir, log, `{ name: 'held', resumeOnCrash: true }`, 'await new Promise((r) => setTimeout(r, 60_000))') });
    // Its host killed in step 2, step 1 checkpointed: a Crashed run for resumeOnCrash.
    const cli = spawn(process.execPath, [CLI, 'run', 'held.flow.ts'], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore', detached: true });
    const cliExited = new Promise((r) => cli.on('exit', r));
    // (A step whose checkpoint is not yet on disk when its host dies runs again: at least once, never lost.)
    const reader = await EmbeddedStore.open(home, { readOnly: true });
    await waitFor(async () => {
      await reader.refresh();
      const run = (await reader.list())[0];
      const detail = run ? await reader.readRun(run.id) : undefined;
      return detail?.taskRuns.some((t) => t.state.name === 'Completed') === true && readFileSync(log, 'utf8').includes('step 2');
    }, 'step 1 to be checkpointed and step 2 to start', 60_000);
    await reader.close();
    process.kill(-cli.pid!, 'SIGKILL');
    await cliExited;
    writeFileSync(join(dir, 'fixed'), '');
    writeFileSync(join(dir, 'hold'), '');
    const first = spawn(process.execPath, [CLI, 'resume', '--crashed'], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore', detached: true });
    const exited = new Promise((r) => first.on('exit', r));
    await waitFor(() => loading(dir).length === 1, 'the first resume to load the flow', 60_000);
    // Killed with its worker, after claiming the resume and before taking the run over.
    process.kill(-first.pid!, 'SIGKILL');
    await exited;
    writeFileSync(join(dir, 'go'), '');
    const again = await runCli(['resume', '--crashed', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(again.code, 0, again.stderr);
    const printed = JSON.parse(again.stdout) as { attempt: number; state: { name: string }; result: unknown }[];
    assert.equal(printed.length, 1, `the run is resumed, not left claimed by the killed resume: ${again.stdout} ${again.stderr}`);
    assert.deepEqual([printed[0]!.state.name, printed[0]!.attempt, printed[0]!.result], ['Completed', 2, 3]);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 2 }, 'step 1 once in all; step 2 once killed, once resumed');
  });

  it('a resume that read the run just before another process took it over and died is refused (it takes the dead claim over and reads the run again): no attempt is run twice', async () => {
    const { log, home, run } = await failedHeldRun();
    const { runner, store } = await makeRunner(home);
    // Between this resume's read of the run and its claim, another process claims attempt 2, takes the run over, and dies.
    const claim = store.claim.bind(store);
    const states = JSON.stringify(join(ROOT, 'src', 'engine', 'states.ts'));
    store.claim = async (key: string) => {
      if (key === `attempt:${run.id}:2`) {
        await inOwnProcess(
          `require(${JSON.stringify(join(ROOT, 'src', 'engine', 'embeddedStore.ts'))}).EmbeddedStore.open(${JSON.stringify(home)})`,
          `if (!(await store.claim('attempt:${run.id}:2'))) throw new Error('not claimed');
           const s = require(${states}).state('AwaitingRetry', 'Resuming (attempt 2)');
           const h = await store.openRun('${run.id}');
           await h.append([{ k: 'state', runId: '${run.id}', name: s.name, ts: s.timestamp, message: s.message, attempt: 2 }]);
           await h.setState(s, { attempt: 2 });`,
        );
      }
      return claim(key);
    };
    await assert.rejects(runner.resume(run.id), new RegExp(`Run '${run.name}' was resumed meanwhile \\(its attempt 2 was taken by another resume\\)`));
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 1 }, 'only the first attempt ran its steps');
    await store.refresh();
    const after = (await store.readRun(run.id))!;
    assert.equal(after.attempt, 2);
    // Attempt 2 is the dead process's (Crashed once its death is found); the refused resume added nothing.
    const names = after.states.map((st) => st.name);
    assert.deepEqual(names.slice(names.indexOf('Failed')).filter((n) => n !== 'Crashed'), ['Failed', 'AwaitingRetry'], names.join(' → '));
  });
});

describe('a cancel while a resume loads the flow', T, () => {
  it('cancels the resume as it takes the run over, before the flow is called: Cancelled in the new attempt, no step run again', async () => {
    const { dir, log, home, ws, run } = await failedHeldRun();
    writeFileSync(join(dir, 'hold'), '');
    const resuming = runCli(['resume', run.name], { cwd: ws, env: { FLOWDECK_HOME: home } });
    await waitFor(() => loading(dir).length === 1, 'the resume to load the flow', 60_000);
    // The run still shows Failed; the cancel finds its resume, and waits for it (a second later, the flow has loaded).
    const cancel = runCli(['cancel', run.name, '--json', '--wait', '120'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    await waitFor(() => existsSync(join(home, 'runs', 'claims', `attempt_${run.id}_2.cancel`)), 'the cancel to be asked of the resume', 60_000);
    writeFileSync(join(dir, 'go'), '');
    const [c, r] = await Promise.all([cancel, resuming]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, new RegExp(`Flow run '${run.name}' ended Failed and is being resumed: asked the process resuming it to cancel it`));
    const doc = JSON.parse(c.stdout) as { outcome: string; state: { name: string; message: string } };
    assert.deepEqual([doc.outcome, doc.state.name, doc.state.message], ['cancelled', 'Cancelled', 'Cancelled by flowdeck cancel']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout + r.stderr, /Finished in state Cancelled\('Cancelled by flowdeck cancel'\)/);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 1 }, 'the flow was not called again: no step ran in attempt 2');
    const store = await EmbeddedStore.open(home, { readOnly: true });
    try {
      const after = (await store.readRun(run.id))!;
      assert.equal(after.attempt, 2);
      assert.deepEqual(after.states.map((st) => st.name), ['Pending', 'Running', 'Failed', 'AwaitingRetry', 'Cancelling', 'Cancelled']);
    } finally {
      await store.close();
    }
    // The request went with that attempt: resumed again, the run completes.
    rmSync(join(dir, 'hold'));
    const again = await runCli(['resume', run.name, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual([(JSON.parse(again.stdout) as { attempt: number }).attempt, Object.fromEntries(effects(log))], [3, { 'step 1': 1, 'step 2': 2 }]);
  });

  it('a cancel of a run nobody resumes says it had already ended', async () => {
    const { home, ws, run } = await failedHeldRun();
    const c = await runCli(['cancel', run.name], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stdout, new RegExp(`Flow run '${run.name}' had already ended: Failed\\('step 2 is not ready yet'\\)\\. Nothing to cancel\\.`));
  });
});

describe('automatic resume', T, () => {
  it('a worker that calls process.exit in task 3 of a flow with retries: 1 completes in one CLI run, tasks 1–2 run once', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const ws = workspace({
      'crash.flow.ts': flowSource(`import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
const crashed = ${JSON.stringify(join(dir, 'crashed-once'))};
const step = task({ name: 'step' }, async (i: number) => {
  appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n');
  if (i === 3 && !existsSync(crashed)) { writeFileSync(crashed, ''); process.exit(7); }
  return i;
});
export default flow({ name: 'crashy', retries: 1 }, async () => { let s = 0; for (let i = 1; i <= 4; i++) s += await step(i); return s; });`),
    });
    const r = await runCli(['run', 'crash.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { result: number; attempt: number; state: { name: string } };
    assert.equal(doc.state.name, 'Completed');
    assert.equal(doc.result, 10);
    assert.equal(doc.attempt, 2);
    assert.match(r.stderr, /Worker process exited unexpectedly \(exit code 7\) after process\.exit\(7\) in the flow's code; resuming from its checkpoints/);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 1, 'step 3': 2, 'step 4': 1 });
  });

  it("a flow's own retry resumes too: the failed attempt's completed tasks are not run again", async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const ws = workspace({
      'retry.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
let failures = 0;
const step = task({ name: 'step' }, async (i: number) => { appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n'); if (i === 3 && failures++ === 0) throw new Error('flaky'); return i; });
export default flow({ name: 'retrying', retries: 1, retryDelaySeconds: 0 }, async () => { let s = 0; for (let i = 1; i <= 4; i++) s += await step(i); return s; });`),
    });
    const { runner } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'retry.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(valueOf(detail), 10);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 1, 'step 3': 2, 'step 4': 1 });
  });

  it("a flow's own retry reuses the subflow runs its failed attempt completed: no second subflow run, their tasks not run again", async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const ws = workspace({
      'retry.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
let failures = 0;
const step = task({ name: 'step' }, async (i: number) => { appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n'); return i; });
const child = flow({ name: 'child' }, async ({ i }: { i: number }) => ({ doubled: (await step(i)) * 2 }));
export default flow({ name: 'retrying', retries: 1, retryDelaySeconds: 0 }, async () => {
  const a = await child({ i: 1 });
  const b = await step(2);
  if (failures++ === 0) throw new Error('flaky');
  const c = await child({ i: 3 });
  return a.doubled + b + c.doubled;
});`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'retry.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(valueOf(detail), 10);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 1, 'step 3': 1 });
    // One subflow run per call, each Completed; the retry says which it reused.
    const children = (await store.list()).filter((r) => r.parentRunId === detail.id);
    assert.deepEqual(children.map((r) => r.state.name).sort(), ['Completed', 'Completed']);
    const first = children[children.length - 1]!; // newest first: the first call's
    assert.match((await logsOf(store, detail.id)).map((l) => l.message).join('\n'), new RegExp(`Reused subflow run '${first.name}' for flow 'child' \\(completed in attempt 1\\)`));
  });

  it("a flow's own retry resumes the subflow run its failed attempt failed in: the same run, a new attempt, its completed task runs not run again", async () => {
    // With task runs folded by the host (the editor, the API) and without (the CLI): the checkpoints are the store's.
    for (const foldTasks of [true, false]) {
      const dir = tempDir();
      const log = join(dir, 'effects.txt');
      const ws = workspace({
        'retry.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
let failures = 0;
const t = task({ name: 't' }, async (i: number) => { appendFileSync(${JSON.stringify(log)}, 't ' + i + '\\n'); return i; });
const child = flow({ name: 'child' }, async () => {
  const v = await t(100);
  if (failures++ === 0) throw new Error('flaky child');
  return v + 1;
});
export default flow({ name: 'parent', retries: 1, retryDelaySeconds: 0 }, async () => child());`),
      });
      const { runner, store } = await makeRunner(tempDir(), { foldTasks });
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'retry.flow.ts') } })).done;
      assert.equal(detail.state.name, 'Completed', detail.state.message);
      assert.equal(valueOf(detail), 101);
      assert.deepEqual(Object.fromEntries(effects(log)), { 't 100': 1 }, `foldTasks ${foldTasks}`);
      // One subflow run for the call: it failed in attempt 1 and completed in attempt 2, as a resume leaves it.
      const children = (await store.list()).filter((r) => r.parentRunId === detail.id);
      assert.deepEqual(children.map((r) => [r.state.name, r.attempt]), [['Completed', 2]]);
      const child = (await store.readRun(children[0]!.id))!;
      assert.deepEqual(child.taskRuns.map((r) => [r.state.name, r.flowAttempt]), [['Completed', 1], ['Cached', 2]]);
    }
  });

  it("a flow's own retry resumes the subflow run its failed attempt failed in, called in another order (made as earlier awaits settle): no second run for the call, its completed task not run again", async () => {
    for (const foldTasks of [true, false]) {
      const dir = tempDir();
      const log = join(dir, 'effects.txt');
      const ws = workspace({
        'retryorder.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
let failures = 0;
const fetchRepo = task({ name: 'fetch' }, async (r: string) => { await new Promise((res) => setTimeout(res, r === 'a' ? 150 : 0)); return r.toUpperCase(); });
const charge = task({ name: 'charge' }, async (x: string) => { appendFileSync(${JSON.stringify(log)}, 'charge ' + x + '\\n'); return 'charged ' + x; });
const verify = task({ name: 'verify' }, async (x: string) => { if (x === 'A' && failures++ === 0) throw new Error('flaky verify'); return x; });
const billing = flow({ name: 'billing' }, async ({ x }: { x: string }) => { const c = await charge(x); await verify(x); return c; });
export default flow({ name: 'retryorder', retries: 1, retryDelaySeconds: 0 }, async () => {
  // Every call settles before the attempt ends: the failed one is over, not left running.
  const settled = await Promise.allSettled(['a', 'b', 'c'].map(async (r) => billing({ x: await fetchRepo(r) })));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<string>).value);
});`),
      });
      const { runner, store } = await makeRunner(tempDir(), { foldTasks });
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'retryorder.flow.ts') } })).done;
      assert.equal(detail.state.name, 'Completed', detail.state.message);
      assert.deepEqual(valueOf(detail), ['charged A', 'charged B', 'charged C']);
      assert.deepEqual(Object.fromEntries(effects(log)), { 'charge B': 1, 'charge C': 1, 'charge A': 1 }, `foldTasks ${foldTasks}: each charged once in all`);
      const children = (await store.list()).filter((r) => r.parentRunId === detail.id);
      assert.deepEqual(children.map((r) => `${r.state.name}:${r.attempt}`).sort(), ['Completed:1', 'Completed:1', 'Completed:2'], `foldTasks ${foldTasks}: three subflow runs, the failed one resumed`);
    }
  });

  it("a resumed run's own retry reuses the completed subflow run its resume reused: no second run, its task not run again", async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const gate = join(dir, 'fixed');
    const ws = workspace({
      'resumeretry.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
let failures = 0;
const charge = task({ name: 'charge' }, async (x: string) => { appendFileSync(${JSON.stringify(log)}, 'charge ' + x + '\\n'); return 'charged ' + x; });
// Fails until the gate is there, and then once more in each worker: the resume's first attempt fails, its retry completes.
const publish = task({ name: 'publish' }, async (x: string) => { if (!existsSync(${JSON.stringify(gate)}) || failures++ === 0) throw new Error('not yet'); return x; });
const billing = flow({ name: 'billing' }, async ({ x }: { x: string }) => charge(x));
export default flow({ name: 'resumeretry', retries: 1, retryDelaySeconds: 0 }, async () => publish(await billing({ x: 'A' })));`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'resumeretry.flow.ts') } })).done;
    assert.equal(first.state.name, 'Failed');
    writeFileSync(gate, '');
    const second = await (await runner.resume(first.id)).done;
    assert.equal(second.state.name, 'Completed', second.state.message);
    assert.equal(second.attempt, 4, 'the resume (attempt 3) failed, its retry (attempt 4) completed');
    assert.deepEqual(Object.fromEntries(effects(log)), { 'charge A': 1 }, 'charged once in all');
    assert.deepEqual((await store.runTree(first.id)).map((r) => `${r.flowName}:${r.state.name}:${r.attempt}`), ['resumeretry:Completed:4', 'billing:Completed:1'], 'one subflow run');
  });

  it("a subflow run resumed by its parent's retry reuses the subflow runs of its own that completed before it failed", async () => {
    for (const foldTasks of [true, false]) {
      const dir = tempDir();
      const log = join(dir, 'effects.txt');
      const ws = workspace({
        'nested.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
let failures = 0;
const t = task({ name: 't' }, async (i: number) => { appendFileSync(${JSON.stringify(log)}, 't ' + i + '\\n'); return i; });
const grandchild = flow({ name: 'grandchild' }, async () => t(1));
const child = flow({ name: 'child' }, async () => {
  const g = await grandchild();
  if (failures++ === 0) throw new Error('flaky child');
  return g + (await t(2));
});
export default flow({ name: 'parent', retries: 1, retryDelaySeconds: 0 }, async () => child());`),
      });
      const { runner, store } = await makeRunner(tempDir(), { foldTasks });
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'nested.flow.ts') } })).done;
      assert.equal(detail.state.name, 'Completed', detail.state.message);
      assert.equal(valueOf(detail), 3);
      assert.deepEqual(Object.fromEntries(effects(log)), { 't 1': 1, 't 2': 1 }, `foldTasks ${foldTasks}`);
      // One run of each flow: the grandchild's completed in the child's first attempt, reused in its second.
      const runs = await store.list();
      assert.deepEqual(runs.map((r) => [r.flowName, r.state.name, r.attempt]).sort(), [['child', 'Completed', 2], ['grandchild', 'Completed', 1], ['parent', 'Completed', 2]]);
      const child = runs.find((r) => r.flowName === 'child')!;
      const grandchild = runs.find((r) => r.flowName === 'grandchild')!;
      assert.match((await logsOf(store, child.id)).map((l) => l.message).join('\n'), new RegExp(`Reused subflow run '${grandchild.name}' for flow 'grandchild' \\(completed in attempt 1\\)`));
    }
  });

  it('resumeOnCrash: a run whose CLI was killed is resumed by `flowdeck resume --crashed`, once, even with two at once', async () => {
    const dir = tempDir();
    const log = join(dir, 'effects.txt');
    const home = tempDir();
    const ws = workspace({
      'long.flow.ts': flowSource(`import { appendFileSync, existsSync } from 'node:fs';
const step = task({ name: 'step' }, async (i: number) => {
  appendFileSync(${JSON.stringify(log)}, 'step ' + i + '\\n');
  if (i === 3 && !existsSync(${JSON.stringify(join(dir, 'go'))})) await new Promise((r) => setTimeout(r, 60_000));
  return i;
});
export default flow({ name: 'long', resumeOnCrash: true }, async () => { let s = 0; for (let i = 1; i <= 4; i++) s += await step(i); return s; });`),
    });
    const cli = spawn(process.execPath, [CLI, 'run', 'long.flow.ts'], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore' });
    // Killed once steps 1 and 2 are checkpointed (on disk): those must not run again. (A step whose
    // checkpoint was not yet written when the host died runs again: at least once, never lost.)
    const reader = await EmbeddedStore.open(home, { readOnly: true });
    await waitFor(async () => {
      await reader.refresh();
      const run = (await reader.list())[0];
      const detail = run ? await reader.readRun(run.id) : undefined;
      return (detail?.taskRuns.filter((t) => t.state.name === 'Completed').length ?? 0) >= 2 && existsSync(log) && readFileSync(log, 'utf8').includes('step 3');
    }, 'steps 1 and 2 to be checkpointed and step 3 to start', 60_000);
    await reader.close();
    cli.kill('SIGKILL');
    await new Promise((r) => cli.on('exit', r));
    writeFileSync(join(dir, 'go'), '');
    const [a, b] = await Promise.all([runCli(['resume', '--crashed', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } }), runCli(['resume', '--crashed'], { cwd: ws, env: { FLOWDECK_HOME: home } })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    // --json: stdout is one JSON array of the runs this process resumed, as they ended (none: []).
    const printed = JSON.parse(a.stdout) as { name: string; attempt: number; state: { name: string }; result: unknown; taskRuns: unknown[] }[];
    assert.ok(Array.isArray(printed), a.stdout);
    const resumedBy = [printed.length === 1, /Completed/.test(b.stdout)].filter(Boolean);
    assert.equal(resumedBy.length, 1, `exactly one resumed it:\n${a.stdout}\n${b.stdout}`);
    if (printed.length === 1) {
      assert.equal(printed[0]!.state.name, 'Completed');
      assert.equal(printed[0]!.attempt, 2);
      assert.equal(printed[0]!.result, 10);
      assert.equal(printed[0]!.taskRuns.length >= 4, true, 'its task runs, from both attempts');
    } else assert.equal(printed.length, 0);
    const store = await EmbeddedStore.open(home, { readOnly: true });
    const run = (await store.list())[0]!;
    assert.equal(run.state.name, 'Completed');
    assert.equal(run.attempt, 2);
    const counts = effects(log);
    assert.equal(counts.get('step 1'), 1);
    assert.equal(counts.get('step 2'), 1);
    assert.equal(counts.get('step 4'), 1);
    appendFileSync(log, '');
  });
});

describe('kill -9 at random points, then resume', { timeout: 900_000 }, () => {
  it('up to 20 times: every checkpointed task ran exactly once in all, and the result equals an uninterrupted run', async () => {
    const TRIALS = Number(process.env.FLOWDECK_RESUME_TRIALS ?? 20);
    // Bounded in time too, so the file's other tests fit its limit on a busy machine: at least MIN_TRIALS whatever it takes.
    const BUDGET_MS = 75_000;
    const MIN_TRIALS = Math.min(5, TRIALS);
    const began = Date.now();
    let trials = 0;
    const TASKS = 200;
    const expected = Array.from({ length: TASKS }, (_, i) => i * i).reduce((a, b) => a + b, 0);
    let checkpointedTotal = 0;
    let rerunTotal = 0;
    for (let trial = 0; trial < TRIALS && (trial < MIN_TRIALS || Date.now() - began < BUDGET_MS); trial++) {
      trials++;
      const dir = tempDir();
      const log = join(dir, 'effects.txt');
      const home = tempDir();
      const ws = workspace({
        'many.flow.ts': flowSource(`import { appendFileSync } from 'node:fs';
const square = task({ name: 'square' }, async (i: number) => { appendFileSync(${JSON.stringify(log)}, 'task ' + i + '\\n'); await new Promise((r) => setTimeout(r, 2)); return i * i; });
export default flow({ name: 'many' }, async () => { let s = 0; for (let i = 0; i < ${TASKS}; i++) s += await square(i); return s; });`),
      });
      const cli = spawn(process.execPath, [CLI, 'run', 'many.flow.ts'], { cwd: ws, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore', detached: true });
      await waitFor(() => existsSync(log), 'the run to start', 60_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      try {
        process.kill(-cli.pid!, 'SIGKILL');
      } catch {
        // The run already ended: the resume below refuses a completed run, and the trial checks it ran once.
      }
      await new Promise((r) => (cli.exitCode !== null || cli.signalCode !== null ? r(undefined) : cli.on('exit', r)));
      // What was on disk when the host died: the checkpoints a resume must honour.
      const store = await EmbeddedStore.open(home);
      const run = (await store.list())[0]!;
      const before = (await store.readRun(run.id))!;
      const checkpointed = new Set(before.taskRuns.filter((t) => t.state.name === 'Completed').map((t) => t.name));
      await store.close();
      // The orphaned worker stops within moments (its watch thread); only then is the count final.
      await new Promise((r) => setTimeout(r, 500));
      const r = await runCli(['resume', run.id, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
      let result: number;
      if (run.state.type === 'COMPLETED') {
        assert.equal(r.code, 2, r.stderr);
        result = valueOf(before) as number;
      } else {
        assert.equal(r.code, 0, `trial ${trial}: ${r.stderr.slice(-1500)}`);
        result = (JSON.parse(r.stdout) as { result: number }).result;
      }
      assert.equal(result, expected, `trial ${trial}: the result of an uninterrupted run`);
      const counts = effects(log);
      for (let i = 0; i < TASKS; i++) {
        const n = counts.get(`task ${i}`) ?? 0;
        assert.ok(n >= 1, `trial ${trial}: task ${i} never ran`);
        if (checkpointed.has(`square-${i}`)) assert.equal(n, 1, `trial ${trial}: task ${i} was checkpointed before the kill yet ran ${n} times`);
        else if (n > 1) rerunTotal++;
      }
      checkpointedTotal += checkpointed.size;
    }
    console.log(`# ${trials} kills (of up to ${TRIALS}, in ${Math.round((Date.now() - began) / 1000)} s) at random points of a ${TASKS}-task run: ${checkpointedTotal} checkpointed task runs reused (each ran once in all), ${rerunTotal} in flight at the kill ran again; every result equal to an uninterrupted run's`);
  });
});

describe('a delete while a resume begins', T, () => {
  it('keeps a run whose resume is loading the flow (the resume holds its next attempt): delete says so, exit 1, and the resume completes it', async () => {
    const { dir, log, home, ws, run } = await failedHeldRun();
    writeFileSync(join(dir, 'hold'), '');
    const resuming = runCli(['resume', run.name, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    await waitFor(() => loading(dir).length === 1, 'the resume to load the flow', 60_000);
    const deleted = await runCli(['delete', run.name], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(deleted.code, 1, deleted.stderr);
    assert.match(deleted.stderr, new RegExp(`flowdeck delete: flow run '${run.name}' was kept: it is being resumed \\(its flow loading\\); delete it once it ends`));
    writeFileSync(join(dir, 'go'), '');
    const r = await resuming;
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { attempt: number }).attempt, 2);
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 2 });
  });

  it('a resume that read the run just before another process deleted it is refused: nothing runs, the run stays gone', async () => {
    const { log, home, run } = await failedHeldRun();
    const { runner, store } = await makeRunner(home);
    // Between this resume's read of the run and its claim, another process deletes the run (claims and all).
    const claim = store.claim.bind(store);
    store.claim = async (key: string) => {
      if (key === `attempt:${run.id}:2`) {
        await inOwnProcess(
          `require(${JSON.stringify(join(ROOT, 'src', 'engine', 'embeddedStore.ts'))}).EmbeddedStore.open(${JSON.stringify(home)})`,
          `const gone = await store.delete(['${run.id}']); if (gone.length !== 1) throw new Error('not deleted');`,
        );
      }
      return claim(key);
    };
    await assert.rejects(runner.resume(run.id), new RegExp(`Run '${run.name}' was deleted while this resume began`));
    assert.deepEqual(Object.fromEntries(effects(log)), { 'step 1': 1, 'step 2': 1 }, 'no step ran again');
    await store.refresh();
    assert.equal(await store.get(run.id), undefined);
    assert.equal(existsSync(join(home, 'runs', `${run.id}.jsonl`)), false, 'no journal made again');
  });

  it("an attempt whose end reached only the index (its journal could not take it: a full disk) keeps that end once a resume completes the run: its unfinished task run ended with it, not with the next attempt", async () => {
    const ws = workspace({ 'plain.flow.ts': flowSource(`export default flow({ name: 'plain' }, async () => 'done');`) });
    const home = tempDir();
    const { runner, store } = await makeRunner(home);
    // Attempt 1 as a host left it whose journal writes failed at the end: running a task, then Failed in the index only.
    const h = await store.createRun({ flowName: 'plain', source: join(ws, 'plain.flow.ts'), parameters: {} });
    const started = Date.now() - 60_000;
    await h.append([
      { k: 'state', runId: h.id, name: 'Running', ts: started, attempt: 1 },
      { k: 'task', runId: h.id, id: `${h.id}-t`, name: 'step-0', taskName: 'step', ts: started + 10 },
      { k: 'tstate', runId: h.id, id: `${h.id}-t`, name: 'Running', ts: started + 10, attempt: 1 },
    ]);
    const failedAt = started + 1000;
    await h.setState(state('Failed', 'Flowdeck could not record the run, so it was stopped: no space left on the device', failedAt), { endTime: failedAt });
    await h.close();
    const before = (await store.readRun(h.id))!.taskRuns.find((t) => t.name === 'step-0')!;
    assert.deepEqual([before.state.name, before.state.message, before.endTime], ['Failed', 'flow run ended in state Failed', failedAt]);
    const resumed = await (await runner.resume(h.id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    for (const reader of [store, await EmbeddedStore.open(home, { readOnly: true })]) {
      await reader.refresh();
      const t = (await reader.readRun(h.id))!.taskRuns.find((x) => x.name === 'step-0')!;
      assert.deepEqual([t.state.name, t.state.message, t.endTime], ['Failed', 'flow run ended in state Failed', failedAt], 'attempt 1 as it ended');
    }
  });
});

