/**
 * Results as they were returned (issue 9): a task's result comes back from the result cache and from a
 * resumed run's checkpoints as the same values — Date, Map, Set, BigInt, RegExp, typed arrays, undefined,
 * NaN, -Infinity and cycles — seen by the flow code itself; `--json` prints a JSON view; a value that
 * cannot be kept fails its task naming the task and the path, unless the task says persistResult: false.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, makeRunner, runCli, tempDir, valueOf, workspace } from '../support/engine';

const T = { timeout: 180_000 };

/** A value of every kind a structured clone keeps, with a cycle; and the flow-side check of what came back. */
const RICH = `
function rich() {
  const v: any = { when: new Date(Date.UTC(2024, 1, 29, 12)), counts: new Map<unknown, number>([['a', 1], [2, 2]]), tags: new Set(['x', 'y']),
    big: 2n ** 70n, re: /ab+c/gi, bytes: new Uint8Array([1, 2, 255]), floats: new Float64Array([0.5]), nothing: undefined, nan: NaN, low: -Infinity };
  v.self = v;
  v.list = [v.tags, v.tags];
  return v;
}
function kinds(v: any): Record<string, unknown> {
  return {
    when: v.when instanceof Date && v.when.toISOString(),
    counts: v.counts instanceof Map && [...v.counts.entries()],
    tags: v.tags instanceof Set && [...v.tags],
    big: typeof v.big === 'bigint' && v.big === 2n ** 70n,
    re: v.re instanceof RegExp && String(v.re),
    bytes: v.bytes instanceof Uint8Array && [...v.bytes],
    floats: v.floats instanceof Float64Array && [...v.floats],
    nothing: 'nothing' in v && v.nothing === undefined,
    nan: Number.isNaN(v.nan),
    low: v.low === -Infinity,
    cycle: v.self === v,
    shared: v.list[0] === v.list[1] && v.list[0] === v.tags,
  };
}`;

const EXPECTED = {
  when: '2024-02-29T12:00:00.000Z',
  counts: [['a', 1], [2, 2]],
  tags: ['x', 'y'],
  big: true,
  re: '/ab+c/gi',
  bytes: [1, 2, 255],
  floats: [0.5],
  nothing: true,
  nan: true,
  low: true,
  cycle: true,
  shared: true,
};

describe('results as they were returned', T, () => {
  it('a cached result (cacheKey) comes back as the same values, in the flow and in the store', async () => {
    const ws = workspace({
      'cached.flow.ts': flowSource(`${RICH}
const make = task({ name: 'make', cacheKey: () => 'rich', cacheExpirationSeconds: 3600 }, async () => rich());
export default flow({ name: 'cached' }, async () => { const v = await make(); return { kinds: kinds(v), value: v }; });`),
    });
    const { runner } = await makeRunner(tempDir());
    const once = async () => (await runner.start({ source: { kind: 'file', path: join(ws, 'cached.flow.ts') } })).done;
    const first = await once();
    const second = await once();
    assert.equal(first.taskRuns[0]!.state.name, 'Completed', first.state.message);
    assert.equal(second.taskRuns[0]!.state.name, 'Cached');
    for (const run of [first, second]) {
      const { kinds, value } = valueOf(run) as { kinds: unknown; value: Record<string, unknown> };
      assert.deepEqual(kinds, EXPECTED);
      // The run's own kept result too, read back from the store.
      assert.ok(value.when instanceof Date && value.counts instanceof Map && value.tags instanceof Set && value.bytes instanceof Uint8Array);
      assert.equal(value.self, value);
      assert.equal(value.big, 2n ** 70n);
    }
  });

  it('a kept result returned again on resume comes back as the same values', async () => {
    const gate = join(tempDir(), 'fixed');
    const ws = workspace({
      'resumed.flow.ts': flowSource(`${RICH}
import { existsSync } from 'node:fs';
const make = task({ name: 'make' }, async () => rich());
const after = task({ name: 'after' }, async () => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); });
export default flow({ name: 'resumed' }, async () => { const v = await make(); await after(); return kinds(v); });`),
    });
    const { runner } = await makeRunner(tempDir());
    const failed = await (await runner.start({ source: { kind: 'file', path: join(ws, 'resumed.flow.ts') } })).done;
    assert.equal(failed.state.name, 'Failed');
    writeFileSync(gate, '');
    const resumed = await (await runner.resume(failed.id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    const reused = resumed.taskRuns.filter((t) => t.name === 'make-0' && t.state.name === 'Cached');
    assert.equal(reused.length, 1, 'the second attempt reused make-0 instead of running it');
    assert.deepEqual(valueOf(resumed), EXPECTED);
  });

  it('--json shows the JSON view of a result: ISO dates, maps as objects, sets as lists, bigints as text, NaN as null, a cycle marked', async () => {
    const ws = workspace({ 'view.flow.ts': flowSource(`${RICH}\nexport default flow({ name: 'view' }, async () => rich());`) });
    const r = await runCli(['run', 'view.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const { result } = JSON.parse(r.stdout) as { result: Record<string, unknown> };
    assert.deepEqual(result, {
      when: '2024-02-29T12:00:00.000Z',
      counts: [['a', 1], [2, 2]],
      tags: ['x', 'y'],
      big: (2n ** 70n).toString(),
      re: '/ab+c/gi',
      bytes: [1, 2, 255],
      floats: [0.5],
      nan: null,
      low: null,
      self: '[Circular]',
      list: [['x', 'y'], ['x', 'y']],
    });
  });

  it('a result holding a function fails its task naming the task and the path; persistResult: false lets it through', async () => {
    const ws = workspace({
      'fn.flow.ts': flowSource(`
const kept = task({ name: 'kept' }, async () => ({ rows: [{ ok: 1 }, { run: () => 1 }] }));
const passed = task({ name: 'passed', persistResult: false }, async () => ({ rows: [{ run: () => 41 }] }));
export const keeps = flow({ name: 'keeps' }, async () => { await kept(); });
export const passes = flow({ name: 'passes' }, async () => (await passed()).rows[0]!.run() + 1);`),
    });
    const { runner } = await makeRunner(tempDir());
    const failed = await (await runner.start({ source: { kind: 'file', path: join(ws, 'fn.flow.ts') }, flowName: 'keeps' })).done;
    assert.equal(failed.state.name, 'Failed');
    const task = failed.taskRuns[0]!;
    assert.equal(task.state.name, 'Failed');
    // The task's own state does not repeat its name (its log lines say it); the flow's names it.
    assert.match(task.state.message!, /^Task run returned a value that cannot be kept: Cannot keep a function at \.rows\[1\]\.run\. Return plain data, or set persistResult: false/);
    assert.match(failed.state.message!, /^Task run 'kept-0' returned a value that cannot be kept: Cannot keep a function at \.rows\[1\]\.run/);
    const passed = await (await runner.start({ source: { kind: 'file', path: join(ws, 'fn.flow.ts') }, flowName: 'passes' })).done;
    assert.equal(passed.state.name, 'Completed', passed.state.message);
    assert.equal(valueOf(passed), 42);
    assert.equal(passed.taskRuns[0]!.state.name, 'Completed');
  });

  it('a large plain result is kept as its JSON, reused on resume with the task it was passed to, and printed by --json', async () => {
    const gate = join(tempDir(), 'fixed');
    const ws = workspace({
      'rows.flow.ts': flowSource(`
import { existsSync } from 'node:fs';
const rows = task({ name: 'rows' }, async (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, name: 'item ' + i, ok: i % 2 === 0 })));
const sum = task({ name: 'sum' }, async (r: { id: number }[]) => r.reduce((a, x) => a + x.id, 0));
const after = task({ name: 'after' }, async () => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not yet'); });
export default flow({ name: 'rows' }, async () => { const r = await rows(50_000); const total = await sum(r); await after(); return { total, rows: r }; });`),
    });
    const home = tempDir();
    const failed = await runCli(['run', 'rows.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(failed.code, 1, failed.stderr);
    const { id } = JSON.parse(failed.stdout) as { id: string };
    const kept = readdirSync(join(home, 'runs', `${id}.results`));
    assert.equal(kept.length, 1, 'the rows, kept in a file of their own');
    assert.ok(readFileSync(join(home, 'runs', `${id}.results`, kept[0]!), 'utf8').startsWith('{"json":[{"id":0,"name":"item 0","ok":true},'));
    writeFileSync(gate, '');
    const resumed = await runCli(['resume', id, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(resumed.code, 0, resumed.stderr);
    const run = JSON.parse(resumed.stdout) as { result: { total: number; rows: unknown[] }; taskRuns: { name: string; state: { name: string } }[] };
    // sum-0, given the 50,000 rows, was reused, not run again.
    assert.deepEqual(
      run.taskRuns.map((t) => `${t.name} ${t.state.name}`),
      ['rows-0 Completed', 'sum-0 Completed', 'after-0 Failed', 'rows-0 Cached', 'sum-0 Cached', 'after-0 Completed'],
    );
    assert.equal(run.result.total, (50_000 * 49_999) / 2);
    assert.equal(run.result.rows.length, 50_000);
    assert.deepEqual(run.result.rows[49_999], { id: 49_999, name: 'item 49999', ok: false });
  });

  it('a large result is kept exactly where its file is written in pieces: a character of two UTF-16 units across a piece boundary', async () => {
    // `{"json":["` is 10 characters: the emoji's first unit is the last of the first 1 MiB piece.
    const ws = workspace({
      'emoji.flow.ts': flowSource(`export default flow({ name: 'emoji' }, async () => ['a'.repeat(2 ** 20 - 11) + '😀' + 'é'.repeat(2 ** 20)]);`),
    });
    const r = await runCli(['run', 'emoji.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const [text] = (JSON.parse(r.stdout) as { result: [string] }).result;
    assert.equal(text.length, 2 ** 20 - 11 + 2 + 2 ** 20);
    assert.equal(text.slice(2 ** 20 - 12, 2 ** 20 - 8), 'a😀é');
    assert.ok(!text.includes('\ufffd'), 'no character replaced');
  });
});

