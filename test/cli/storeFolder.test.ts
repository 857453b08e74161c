/**
 * FLOWDECK_HOME as users give it — a link to a folder, a path relative to where the command runs — and
 * store files damaged or of the wrong kind: every command works, or says what is wrong (exit 2), never a stack.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { state } from '../../src/engine/states';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const T = { timeout: 120_000 };

describe('FLOWDECK_HOME given as a link or a relative path', T, () => {
  it('runs an ES module flow, twice (its compiled copy made, then found again)', async () => {
    const ws = workspace({ 'es.flow.ts': flowSource(`export default flow({ name: 'es' }, async () => 7);`) });
    const real = tempDir();
    const link = join(tempDir(), 'home-link');
    symlinkSync(real, link);
    for (const [home, cwd] of [[link, ws], ['relative-home', ws]] as const) {
      for (let i = 0; i < 2; i++) {
        const r = await runCli(['run', 'es.flow.ts', '--json'], { cwd, env: { FLOWDECK_HOME: home } });
        assert.equal(r.code, 0, `${home}, run ${i + 1}: ${r.stderr}`);
        assert.equal(JSON.parse(r.stdout).result, 7);
      }
    }
  });
});

/** A store holding one finished run, made directly. */
async function storeWithRun(): Promise<{ home: string; id: string }> {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  const h = await store.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {} });
  await h.setState(state('Completed'), { endTime: Date.now() });
  await h.close();
  await store.close();
  return { home, id: h.id };
}

describe('a store file of the wrong kind is bad input naming it', T, () => {
  it('a folder where the index or a journal goes, a file where the runs, variables or cache folder goes: exit 2, the path and why, no stack', async () => {
    const cases: [string, (home: string, id: string) => string, string[][]][] = [
      ['index a folder', (home) => {
        const f = join(home, 'runs', 'index-0000000000.jsonl');
        rmSync(f);
        mkdirSync(f);
        return f;
      }, [['runs'], ['inspect', 'ID'], ['logs', 'ID']]],
      ['journal a folder', (home, id) => {
        const f = join(home, 'runs', `${id}.jsonl`);
        rmSync(f);
        mkdirSync(f);
        return f;
      }, [['inspect', 'ID'], ['logs', 'ID'], ['artifacts', 'ID'], ['delete', 'ID']]],
      ['schedules a folder', (home) => {
        const f = join(home, 'schedules', 'schedules.jsonl');
        mkdirSync(f, { recursive: true });
        return f;
      }, [['schedules']]],
      ['variables a file', (home) => {
        const f = join(home, 'variables');
        writeFileSync(f, 'x');
        return f;
      }, [['variables'], ['variables', '--json']]],
      ['cache a file', (home) => {
        const f = join(home, 'cache');
        rmSync(f, { recursive: true, force: true });
        writeFileSync(f, 'x');
        return f;
      }, [['cache', 'ls'], ['cache', 'clear', '--all']]],
      ['runs a file', (home) => {
        const f = join(home, 'runs');
        rmSync(f, { recursive: true });
        writeFileSync(f, 'x');
        return f;
      }, [['runs'], ['run', 'x.flow.ts']]],
    ];
    const ws = workspace({ 'x.flow.ts': flowSource(`export default flow({ name: 'x' }, async () => 1);`) });
    for (const [what, damage, commands] of cases) {
      for (const args of commands) {
        const { home, id } = await storeWithRun();
        const path = damage(home, id);
        const r = await runCli(args.map((a) => (a === 'ID' ? id : a)), { cwd: ws, env: { FLOWDECK_HOME: home } });
        const label = `${what}: ${args[0]}: ${r.stderr}`;
        assert.equal(r.code, 2, label);
        assert.ok(r.stderr.includes(`the store file ${path} cannot be used: `), label);
        assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: no stack trace`);
      }
    }
  });
});

describe('a damaged run index is said, not silent', T, () => {
  it('runs lists what it can read and says how many lines of the index it could not', async () => {
    const intact = await runCli(['runs'], { env: { FLOWDECK_HOME: (await storeWithRun()).home } });
    assert.equal(intact.stderr, '', 'nothing said of an intact index');
    // The run's creation line torn (a crash of the machine mid-write, a hand edit).
    // (Its journal holds its creation alone — its states were written to the index only — so nothing lists it
    // again: test/cli/lostRuns.test.ts has runs that did.)
    for (const args of [['runs'], ['runs', '--json']]) {
      const { home, id } = await storeWithRun();
      const segment = join(home, 'runs', 'index-0000000000.jsonl');
      writeFileSync(segment, readFileSync(segment, 'utf8').replace(/\{"k":"run"[^\n]*/, '{"k":"run","id":"'));
      const r = await runCli(args, { env: { FLOWDECK_HOME: home } });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(id));
      assert.match(r.stderr, new RegExp(`^flowdeck runs: 1 line of the run index in ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be read \\(damaged\\); no lost run's journal was found to list again; a run whose state line was lost may show an older state\\.\\n`), args.join(' '));
    }
  });
});

describe('flowdeck delete with a runs folder that cannot be written', T, () => {
  it('deletes nothing — the run stays listed, its files in place — and says why, exit 2', async (t) => {
    if (process.getuid?.() === 0) return t.skip('run as root: chmod does not restrict root');
    const { home, id } = await storeWithRun();
    const runs = join(home, 'runs');
    chmodSync(runs, 0o500);
    try {
      const r = await runCli(['delete', id], { env: { FLOWDECK_HOME: home } });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `flowdeck delete: Nothing was deleted: the runs' files in ${runs} cannot be removed: permission denied (EACCES). Once the store folder can be written, run the command again.\n`);
      assert.ok(existsSync(join(runs, `${id}.jsonl`)));
      const listed = await runCli(['runs', '--json'], { env: { FLOWDECK_HOME: home } });
      assert.deepEqual((JSON.parse(listed.stdout) as { id: string }[]).map((x) => x.id), [id], 'still listed');
    } finally {
      chmodSync(runs, 0o700);
    }
    const again = await runCli(['delete', id], { env: { FLOWDECK_HOME: home } });
    assert.equal(again.code, 0, again.stderr);
    assert.ok(!existsSync(join(runs, `${id}.jsonl`)));
  });
});

describe('FLOWDECK_HOME unusable with a Postgres store', { ...T, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('is bad input as with the embedded store (it holds results on their way into the database): run, run --queue and worker exit 2 naming it', async () => {
    const ws = workspace({ 'big.flow.ts': flowSource(`const big = task({ name: 'big' }, async () => 'q'.repeat(600_000));\nexport default flow({ name: 'big' }, async () => (await big()).length);`) });
    const home = join(tempDir(), 'home-file');
    writeFileSync(home, 'x');
    const env = { FLOWDECK_HOME: home, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema() };
    for (const args of [['run', 'big.flow.ts'], ['run', 'big.flow.ts', '--queue', 'q'], ['worker', '--queue', 'q', '--flows', ws]]) {
      const r = await runCli(args, { cwd: ws, env, timeoutMs: 60_000 });
      const label = `${args.join(' ')}: ${r.stdout}${r.stderr}`;
      assert.equal(r.code, 2, label);
      assert.ok(r.stderr.includes(`The Flowdeck store folder ${home} cannot be used: it is a file, not a folder`), label);
    }
  });
});
