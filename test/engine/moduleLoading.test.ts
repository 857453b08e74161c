import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../support/engine';
import { COMPILERS, ESM_ONLY_LIMIT, fixtureWorkspace } from '../support/fixtures';

/** A test runs the CLI a few times: seconds each on a busy machine. */
const T = 120_000;

for (const compiler of COMPILERS) {
  const env = (home = tempDir()) => ({ FLOWDECK_HOME: home, FLOWDECK_COMPILER: compiler });

  describe(`ES module flows (${compiler})`, () => {
    for (const file of ['limit.flow.mts', 'limit.flow.mjs', 'limit.flow.ts']) {
      it(`${file}: a default import of an ESM-only package, top-level await, import.meta.url, and one 'flowdeck' for the flow, its TypeScript and CommonJS imports`, { timeout: T }, async () => {
        const ws = fixtureWorkspace('esm', ESM_ONLY_LIMIT);
        const r = await runCli(['run', file, '--json'], { cwd: ws, env: env() });
        assert.equal(r.code, 0, r.stderr);
        const run = JSON.parse(r.stdout);
        const ext = file.split('.').at(-1);
        assert.deepEqual(run.result, {
          values: [2, 4, 6],
          base: 20,
          metaUrl: pathToFileURL(join(ws, file)).href,
          task: `${run.name}:${ext}`,
          sameApi: true,
        });
        assert.match(r.stderr, new RegExp(`Task run 'logged-0' - helper task from ${ext}`));
      });
    }

    it('a subflow from another flow file, imported the TypeScript way (`./lib/child.flow` for child.flow.ts, `./lib/date.utils`), runs as a subflow of the flow', { timeout: T }, async () => {
      const ws = fixtureWorkspace('esm', {
        'parent.flow.ts': `import { flow } from 'flowdeck';\nimport child from './lib/child.flow';\nimport { twice } from './lib/date.utils';\nexport default flow({ name: 'parent' }, async () => twice(await child({ n: 4 })));\n`,
        'lib/child.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'child' }, async ({ n }: { n: number }) => n + 1);\n`,
        'lib/date.utils.ts': `export const twice = (n: number): number => n * 2;\n`,
      });
      const r = await runCli(['run', 'parent.flow.ts', '--json'], { cwd: ws, env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { result: number }).result, 10);
      assert.match(r.stderr, /Created subflow run '[a-z-]+' for flow 'child'/);
    });
  });

  describe(`ES module flows that import only 'flowdeck' and built-ins (${compiler})`, () => {
    const DIRECT = `import { flow, task } from 'flowdeck';
import { basename } from 'node:path';
const double = task({ name: 'double' }, async (n: number): Promise<number> => n * 2);
const top: number = await Promise.resolve(20);
export default flow({ name: 'direct' }, async (p: { fail?: boolean }) => {
  if (p.fail) throw new Error('thrown on line 6');
  return { metaUrl: import.meta.url, file: basename(import.meta.filename), dir: import.meta.dirname, value: await double(top) };
});
`;
    it('load without the module hooks, from a private copy in the store: import.meta and stack frames are the flow file\'s own', { timeout: T }, async () => {
      const ws = fixtureWorkspace('esm', { 'sub dir/direct.flow.ts': DIRECT });
      const home = tempDir();
      const r = await runCli(['run', 'sub dir/direct.flow.ts', '--json'], { cwd: ws, env: env(home) });
      assert.equal(r.code, 0, r.stderr);
      const file = join(ws, 'sub dir', 'direct.flow.ts');
      assert.deepEqual(JSON.parse(r.stdout).result, { metaUrl: pathToFileURL(file).href, file: 'direct.flow.ts', dir: join(ws, 'sub dir'), value: 40 });
      // The copy the worker imported (the hooks path compiles into .js cache files only).
      const copies = readdirSync(join(home, 'compiled')).filter((f) => f.endsWith('.mjs'));
      assert.equal(copies.length, 1, copies.join(', '));
      const copy = join(home, 'compiled', copies[0]!);
      assert.equal(statSync(copy).mode & 0o777, 0o600);
      assert.match(readFileSync(copy, 'utf8'), /^import\.meta\.url = /);
      const failed = await runCli(['run', 'sub dir/direct.flow.ts', '--param', 'fail=true'], { cwd: ws, env: env(home) });
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /Error: thrown on line 6/);
      assert.ok(failed.stderr.split('\n').some((l) => l.includes(`${file}:6:`)), failed.stderr);
      assert.deepEqual(readdirSync(join(home, 'compiled')).filter((f) => f.endsWith('.mjs')), copies, 'the second run imports the same copy');
      writeFileSync(copy, 'export default 1;\n');
      const edited = await runCli(['run', 'sub dir/direct.flow.ts', '--json'], { cwd: ws, env: env(home) });
      assert.equal(edited.code, 0, edited.stderr);
      assert.equal(JSON.parse(edited.stdout).result.value, 40, 'a copy changed in the store is written again before it is imported');
    });
    it('its top level runs once: loaded at once, through import() after require() refused its top-level await, and when it throws', { timeout: T }, async () => {
      const dir = tempDir();
      const counted = (name: string, rest: string): string => `import { flow } from 'flowdeck';
import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(join(dir, name))}, 'x');
const stack = new Error().stack ?? '';
${rest}
export default flow({ name: '${name}' }, async () => ({ sync: stack.includes('ModuleJobSync') }));
`;
      const ws = fixtureWorkspace('esm', {
        'plain.flow.ts': counted('plain', ''),
        'awaits.flow.ts': counted('awaits', 'await Promise.resolve();'),
        'throws.flow.ts': counted('throws', "if (stack) throw new Error('thrown at the top level');"),
      });
      const home = tempDir();
      const plain = await runCli(['run', 'plain.flow.ts', '--json'], { cwd: ws, env: env(home) });
      assert.equal(plain.code, 0, plain.stderr);
      // Where Node can require() an ES module, a flow without top-level await loads at once (moduleImport.ts).
      assert.deepEqual(JSON.parse(plain.stdout).result, { sync: process.features.require_module === true });
      const awaits = await runCli(['run', 'awaits.flow.ts', '--json'], { cwd: ws, env: env(home) });
      assert.equal(awaits.code, 0, awaits.stderr);
      const throws = await runCli(['run', 'throws.flow.ts'], { cwd: ws, env: env(home) });
      assert.equal(throws.code, 2, throws.stderr);
      assert.match(throws.stderr, /thrown at the top level/);
      for (const name of ['plain', 'awaits', 'throws']) assert.equal(readFileSync(join(dir, name), 'utf8'), 'x', `${name}'s top level ran once`);
    });
    it("an import of a name a module lacks is a load error naming it — 'flowdeck' by its name, with what it exports — loaded without the hooks or with them, creating no run", { timeout: T }, async () => {
      const body = `export default flow({ name: 'lacks' }, async () => { log.info('x'); return 1; });\n`;
      const ws = fixtureWorkspace('esm', {
        'lacks.flow.ts': `import { flow, log } from 'flowdeck';\n${body}`,
        'lacks.flow.mjs': `import { flow, log } from 'flowdeck';\n${body}`,
        'helped.flow.ts': `import { flow, log } from 'flowdeck';\nimport { value } from './value';\n${body.replace('return 1', 'return value')}`,
        'relative.flow.ts': `import { flow } from 'flowdeck';\nimport { nothing } from './value';\nexport default flow({ name: 'relative' }, async () => nothing);\n`,
        'value.ts': `export const value: number = 7;\n`,
      });
      const home = tempDir();
      // lacks.flow.ts twice: the second run imports the copy the first kept in the store.
      for (const file of ['lacks.flow.ts', 'lacks.flow.ts', 'lacks.flow.mjs', 'helped.flow.ts']) {
        const r = await runCli(['run', file], { cwd: ws, env: env(home) });
        assert.equal(r.code, 2, r.stderr);
        assert.ok(r.stderr.includes(`Loading ${join(ws, file)} failed: The requested module 'flowdeck' does not provide an export named 'log'; it exports ArtifactError, `), r.stderr);
        assert.match(r.stderr, /, getRunLogger, /);
        assert.doesNotMatch(r.stderr, /data:|bug in Node/);
      }
      const relative = await runCli(['run', 'relative.flow.ts'], { cwd: ws, env: env(home) });
      assert.equal(relative.code, 2, relative.stderr);
      assert.match(relative.stderr, /The requested module '\.\/value' does not provide an export named 'nothing'\n?$/);
      const runs = await runCli(['runs', '--json'], { cwd: ws, env: env(home) });
      assert.deepEqual(JSON.parse(runs.stdout), []);
    });
    it("the CLI's worker readies itself by a glance at the flow file: without the hooks for this one, with them for one importing a helper", { timeout: T }, async (t) => {
      if (!existsSync('/proc/self/environ')) return t.skip('needs /proc to see how the worker was forked');
      const ahead = `readFileSync('/proc/self/environ', 'utf8').split('\\0').find((e) => e.startsWith('FLOWDECK_WORKER_AHEAD='))`;
      const ws = fixtureWorkspace('esm', {
        'direct.flow.ts': `import { flow } from 'flowdeck';\nimport { readFileSync } from 'node:fs';\nexport default flow({ name: 'direct' }, async () => ${ahead});\n`,
        'helped.flow.ts': `import { flow } from 'flowdeck';\nimport { readFileSync } from 'node:fs';\nimport { value } from './value';\nexport default flow({ name: 'helped' }, async () => [${ahead}, value]);\n`,
        'value.ts': `export const value: number = 7;\n`,
      });
      const direct = await runCli(['run', 'direct.flow.ts', '--json'], { cwd: ws, env: env() });
      assert.equal(direct.code, 0, direct.stderr);
      assert.equal(JSON.parse(direct.stdout).result, 'FLOWDECK_WORKER_AHEAD=no-hooks');
      const helped = await runCli(['run', 'helped.flow.ts', '--json'], { cwd: ws, env: env() });
      assert.equal(helped.code, 0, helped.stderr);
      assert.deepEqual(JSON.parse(helped.stdout).result, ['FLOWDECK_WORKER_AHEAD=hooks', 7]);
    });
  });

  describe(`CommonJS flows (${compiler})`, () => {
    for (const [file, flowName, result] of [
      ['exports.flow.js', undefined, 9],
      ['named.flow.js', 'second', 'function'],
      ['object.flow.js', 'beta', 'b'],
      ['required.flow.ts', undefined, 'required.flow.ts'],
    ] as const) {
      it(`${file}${flowName ? ` --flow ${flowName}` : ''} runs as CommonJS`, { timeout: T }, async () => {
        const ws = fixtureWorkspace('cjs');
        const r = await runCli(['run', file, '--json', ...(flowName ? ['--flow', flowName] : [])], { cwd: ws, env: env() });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).result, result);
      });
    }

    it('a file with two exported flows and no --flow asks for one by name', { timeout: T }, async () => {
      const r = await runCli(['run', 'named.flow.js'], { cwd: fixtureWorkspace('cjs'), env: env() });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /has 2 flows \(first, second\); pick one with --flow NAME/);
    });
  });

  describe(`errors point at the user's source (${compiler})`, () => {
    it('a syntax error has one file:line:col from run and from flows, counted as editors count', { timeout: T }, async () => {
      const ws = fixtureWorkspace('errors');
      const run = await runCli(['run', 'syntax.flow.ts'], { cwd: ws, env: env() });
      assert.equal(run.code, 2, run.stderr);
      const flows = await runCli(['flows', 'syntax.flow.ts'], { cwd: ws, env: env() });
      assert.equal(flows.code, 2, flows.stderr);
      // `  const café = 'crème' +;`: the unexpected `;` is the 25th character of line 4.
      // Each compiler words it its own way: this also shows which one compiled.
      const detail = compiler === 'esbuild' ? 'Unexpected ";"' : 'Unexpected token';
      assert.ok(run.stderr.includes(`syntax.flow.ts:4:25: ${detail}`), run.stderr);
      assert.equal(flows.stdout.trim(), `syntax.flow.ts:4:25: error: ${detail}`);
    });

    it('a syntax error in a module the flow imports is a compile error at that module\'s file:line:col, creating no run', { timeout: T }, async () => {
      const ws = fixtureWorkspace('errors');
      const r = await runCli(['run', 'imports-broken.flow.ts'], { cwd: ws, env: env() });
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(`${join(ws, 'lib', 'broken.ts')}:3:35: `), r.stderr);
    });

    it('a file nested too deeply for the parser is said to be so by run, flows and schedules (exit 2), not as a stack overflow; a flow that recurses as it is imported still is one', { timeout: T }, async () => {
      const ws = tempDir();
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      writeFileSync(join(ws, 'deep.flow.ts'), `import { flow } from 'flowdeck';\nconst deep = ${deep};\nexport default flow({ name: 'deep' }, async () => deep.length);\n`);
      // Imported: V8's parser overflows as the run loads the helper (the hooks load it).
      writeFileSync(join(ws, 'nested.ts'), `export const deep = ${deep};\n`);
      writeFileSync(join(ws, 'imports-deep.flow.ts'), `import { flow } from 'flowdeck';\nimport { deep } from './nested';\nexport default flow({ name: 'imports-deep' }, async () => deep.length);\n`);
      writeFileSync(join(ws, 'recurses.flow.ts'), `import { flow } from 'flowdeck';\nfunction down(n: number): number { return down(n + 1) + 1; }\ndown(0);\nexport default flow({ name: 'recurses' }, async () => 1);\n`);
      const said = 'nests too deeply for the parser to read (brackets, braces or parentheses nested thousands deep); simplify it';
      for (const [command, file] of [['run', 'deep.flow.ts'], ['run', 'imports-deep.flow.ts'], ['flows', 'deep.flow.ts'], ['schedules', 'deep.flow.ts']]) {
        const r = await runCli([command!, file!], { cwd: ws, env: env() });
        assert.equal(r.code, 2, `${command} ${file}: ${r.stdout}${r.stderr}`);
        assert.ok(`${r.stdout}${r.stderr}`.includes(said), `${command} ${file}: ${r.stdout}${r.stderr}`);
        assert.ok(!`${r.stdout}${r.stderr}`.includes('Maximum call stack size exceeded'), `${command} ${file}: ${r.stdout}${r.stderr}`);
      }
      const recurses = await runCli(['run', 'recurses.flow.ts'], { cwd: ws, env: env() });
      assert.equal(recurses.code, 2, recurses.stderr);
      assert.ok(recurses.stderr.includes('failed: Maximum call stack size exceeded (at down ('), recurses.stderr);
    });

    it("a stack trace points at the .ts line that threw, through the compiled code's source map", { timeout: T }, async () => {
      const r = await runCli(['run', 'throws.flow.ts'], { cwd: fixtureWorkspace('errors'), env: env() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Error: thrown on line 16/);
      assert.match(r.stderr, /throws\.flow\.ts:16:\d+\)?$/m);
    });

    it('two flows with one name: run --flow refuses the file with the message flows prints', { timeout: T }, async () => {
      const ws = fixtureWorkspace('discovery');
      const home = tempDir();
      const message = "duplicate.flow.ts:7:18: flows at lines 3 and 7 are both named 'same-name'; give each flow a name of its own";
      const run = await runCli(['run', 'duplicate.flow.ts', '--flow', 'unique'], { cwd: ws, env: env(home) });
      assert.equal(run.code, 2, run.stderr);
      assert.ok(run.stderr.includes(`${join(ws, message)}`), run.stderr);
      const flows = await runCli(['flows', 'duplicate.flow.ts'], { cwd: ws, env: env(home) });
      assert.equal(flows.code, 2);
      assert.equal(flows.stdout.trim(), message.replace(': flows at', ': error: flows at'));
      const runs = await runCli(['runs', '--json'], { cwd: ws, env: env(home) });
      assert.deepEqual(JSON.parse(runs.stdout), []);
    });

    it('two exported flows whose names only the run can see are alike are refused too, naming both exports', { timeout: T }, async () => {
      const r = await runCli(['run', 'dynamic-duplicate.flow.ts', '--flow', 'twin-flow'], { cwd: fixtureWorkspace('discovery'), env: env() });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /exports two flows named 'twin-flow' \(exports 'first' and 'second'\); give each flow a name of its own/);
    });
  });
}

describe('compile cache', () => {
  it('a flow whose cached compiled files were emptied or truncated compiles again and runs, never "exports no flow"', { timeout: T }, async () => {
    const ws = fixtureWorkspace('esm', ESM_ONLY_LIMIT);
    const home = tempDir();
    const first = await runCli(['run', 'limit.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(first.code, 0, first.stderr);
    // The compiled sources; the folders beside them hold code caches of Flowdeck's own bundles.
    const cached = readdirSync(join(home, 'compiled'), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);
    assert.ok(cached.length >= 2, `the flow and its helper are cached: ${cached.join(', ')}`);
    cached.forEach((f, i) => {
      const path = join(home, 'compiled', f);
      writeFileSync(path, i % 2 === 0 ? '' : readFileSync(path, 'utf8').slice(0, 60));
    });
    const again = await runCli(['run', 'limit.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).result.values, [2, 4, 6]);
  });
});

describe('module hooks on Node 26', () => {
  it('a flow that needs the hooks runs without `module.register`, which Node 26 deprecates: no deprecated call at all', { timeout: T }, async (t) => {
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 26) return t.skip(`module.register is deprecated from Node 26 (this is ${process.versions.node}); where Node has module.registerHooks the hooks run on the worker's own thread`);
    const ws = fixtureWorkspace('esm', ESM_ONLY_LIMIT);
    // A deprecated call throws here: with module.register the worker crashed at its first import (DEP0205).
    const r = await runCli(['run', 'limit.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir(), NODE_OPTIONS: '--throw-deprecation' } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).result.values, [2, 4, 6]);
  });
});

describe('top-level await', () => {
  it("one that never settles ends the start at once saying so, no run created; one that settles late, or waits on the store, loads as ever", { timeout: T }, async () => {
    const never = `await new Promise(() => {});\nexport default flow({ name: 'never' }, async () => 1);\n`;
    const ws = fixtureWorkspace('esm', {
      // Loaded without the module hooks (a copy in the store), and through them (it imports a helper).
      'never.flow.ts': `import { flow } from 'flowdeck';\n${never}`,
      'helped.flow.ts': `import { flow } from 'flowdeck';\nimport { value } from './value';\nvoid value;\n${never}`,
      'value.ts': `export const value: number = 7;\n`,
      'late.flow.ts': `import { flow } from 'flowdeck';\nconst late = await new Promise<string>((r) => setTimeout(() => r('late'), 2000));\nexport default flow({ name: 'late' }, async () => late);\n`,
      // Its reply comes over the IPC channel, which is all that keeps the process going meanwhile.
      'stored.flow.ts': `import { flow, getVariable } from 'flowdeck';\nconst v = await getVariable('greeting', 'none');\nexport default flow({ name: 'stored' }, async () => v);\n`,
    });
    const home = tempDir();
    // Before, the CLI waited for ever: bounded here, a hang fails the test.
    for (const file of ['never.flow.ts', 'helped.flow.ts']) {
      const r = await runCli(['run', file], { cwd: ws, env: { FLOWDECK_HOME: home }, timeoutMs: 60_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(`Loading ${join(ws, file)} failed: the flow file's top-level await never settles`), r.stderr);
    }
    assert.deepEqual(JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } })).stdout), []);
    const late = await runCli(['run', 'late.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home }, timeoutMs: 60_000 });
    assert.equal(late.code, 0, late.stderr);
    assert.equal(JSON.parse(late.stdout).result, 'late');
    assert.equal((await runCli(['variable', 'set', 'greeting', '"hi"'], { cwd: ws, env: { FLOWDECK_HOME: home } })).code, 0);
    const stored = await runCli(['run', 'stored.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home }, timeoutMs: 60_000 });
    assert.equal(stored.code, 0, stored.stderr);
    assert.equal(JSON.parse(stored.stdout).result, 'hi');
  });
});
