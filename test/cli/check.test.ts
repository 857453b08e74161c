import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_FILE, TYPES_FILE, flowsConfigSource, helloFlowSource } from '../../src/extension/scaffold/helloFlow';
import { DIST, ROOT, runCli, workspace } from '../support/engine';
import { FLOW_FIXTURES } from '../support/fixtures';

const CHECK = join(FLOW_FIXTURES, 'check');

/** A workspace with `files` and the repository's TypeScript installed, as `npm i -D typescript` would. */
function withTypeScript(files: Record<string, string>): string {
  const ws = workspace(files);
  mkdirSync(join(ws, 'node_modules'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', 'typescript'), join(ws, 'node_modules', 'typescript'), 'dir');
  return ws;
}

/** Each check loads the TypeScript compiler and its libraries: slow on a busy machine. */
const T = 120_000;

describe('flowdeck check', () => {
  it("prints type errors as file:line:col - error TSxxxx: message and exits 1, 'flowdeck' typed by Flowdeck's flowdeck.d.ts; a flow that type-checks exits 0", { timeout: T }, async () => {
    const all = await runCli(['check', '.'], { cwd: CHECK });
    assert.equal(all.code, 1, all.stderr);
    assert.equal(all.stdout, "type-error.flow.ts:6:9 - error TS2322: Type 'number' is not assignable to type 'string'.\nFound 1 type error in 2 flow files.\n");
    const clean = await runCli(['check', 'clean.flow.ts'], { cwd: CHECK });
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.equal(clean.stdout, 'No type errors in 1 flow file.\n');
  });

  it('calls a syntax error a syntax error (file:line:col as tsc prints it), counted apart from type errors', { timeout: T }, async () => {
    const broken = `import { flow } from 'flowdeck';\n\nexport default flow({ name: 'broken' }, async () => {\n  const x = ;\n  return x;\n});\n`;
    const typed = `import { flow } from 'flowdeck';\nexport default flow({ name: 'typed' }, async () => {\n  const n: string = 1;\n  return n;\n});\n`;
    const ws = withTypeScript({ 'broken.flow.ts': broken, 'typed.flow.ts': typed });
    const one = await runCli(['check', 'broken.flow.ts'], { cwd: ws });
    assert.equal(one.code, 1, one.stdout + one.stderr);
    assert.equal(one.stdout, 'broken.flow.ts:4:13 - error TS1109: Expression expected.\nFound 1 syntax error in 1 flow file.\n');
    const both = await runCli(['check', '.'], { cwd: ws });
    assert.equal(both.code, 1, both.stdout + both.stderr);
    assert.match(both.stdout, /^typed\.flow\.ts:3:9 - error TS2322: /m);
    assert.match(both.stdout, /\nFound 1 syntax error and 1 type error in 2 flow files\.\n$/);
  });

  it('without a tsconfig.json, accepts what a run accepts: ES modules, top-level await, import.meta, extensionless imports, JSON', { timeout: T }, async () => {
    const ws = withTypeScript({
      'flows/lib/math.ts': `export const double = (n: number): number => n * 2;\n`,
      'flows/lib/data.json': `{ "base": 21 }\n`,
      'flows/modern.flow.mts': `import { flow } from 'flowdeck';\nimport { double } from './lib/math';\nimport data from './lib/data.json';\nconst base: number = await Promise.resolve(data.base);\nexport default flow({ name: 'modern' }, async () => ({ url: import.meta.url, n: double(base) }));\n`,
    });
    const r = await runCli(['check', 'flows/modern.flow.mts'], { cwd: ws });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('uses the types a workspace gives flowdeck itself: a scaffolded tsconfig.json and flowdeck.d.ts, or its own declaration', { timeout: T }, async () => {
    const scaffolded = withTypeScript({ 'flows/hello.flow.ts': helloFlowSource('hello'), [`flows/${CONFIG_FILE}`]: flowsConfigSource() });
    copyFileSync(join(DIST, TYPES_FILE), join(scaffolded, 'flows', TYPES_FILE));
    const r = await runCli(['check', 'flows'], { cwd: scaffolded });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // Its own (older, smaller) declaration wins over Flowdeck's: `unmapped` is not in it.
    const declared = withTypeScript({
      'flowdeck.d.ts': `declare module 'flowdeck' {\n  export function flow<R>(options: { name: string }, fn: () => R): () => Promise<R>;\n}\n`,
      'old.flow.ts': `/// <reference path="./flowdeck.d.ts" />\nimport { flow, unmapped } from 'flowdeck';\nexport default flow({ name: 'old' }, async () => unmapped);\n`,
    });
    const old = await runCli(['check', 'old.flow.ts'], { cwd: declared });
    assert.equal(old.code, 1, old.stdout + old.stderr);
    assert.match(old.stdout, /old\.flow\.ts:2:\d+ - error TS2305: Module '"flowdeck"' has no exported member 'unmapped'/);
  });

  it("checks with its own version's types when the scaffolded flowdeck.d.ts is another version's copy, saying so; a copy of this version's, or a map to the workspace's own file, is used as it is", { timeout: T }, async () => {
    const flow = `import { flow, suspendFlowRun } from 'flowdeck';\nexport default flow({ name: 'late' }, async () => (await suspendFlowRun({ input: { ok: { type: 'boolean' } } })).ok);\n`;
    const ws = withTypeScript({ 'flows/late.flow.ts': flow, [`flows/${CONFIG_FILE}`]: flowsConfigSource() });
    // An older Flowdeck's copy: no suspendFlowRun in it yet.
    const own = readFileSync(join(DIST, TYPES_FILE), 'utf8');
    const older = own.replace(/^export declare function suspendFlowRun\b[^\n]*\n/m, '');
    assert.notEqual(older, own);
    writeFileSync(join(ws, 'flows', TYPES_FILE), older);
    const r = await runCli(['check', 'flows'], { cwd: ws });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'No type errors in 1 flow file.\n');
    assert.match(r.stderr, new RegExp(`^flowdeck check: flows/flowdeck\\.d\\.ts is another Flowdeck version's copy of its types; checked with this version's \\(the editor types flows with the copy: Create a Flow, or the Flowdeck extension as it starts, replaces it`));
    // This version's copy: as it is, nothing said.
    writeFileSync(join(ws, 'flows', TYPES_FILE), own);
    const same = await runCli(['check', 'flows'], { cwd: ws });
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.equal(same.stderr, '');
    // A file of the workspace's own (not generated) that the tsconfig.json maps 'flowdeck' to is used as it is.
    writeFileSync(join(ws, 'flows', TYPES_FILE), older.slice(older.indexOf('\n', older.indexOf('check flow code.')) + 1).replace(/^\/\/[^\n]*\n/gm, ''));
    const theirs = await runCli(['check', 'flows'], { cwd: ws });
    assert.equal(theirs.code, 1, theirs.stdout + theirs.stderr);
    assert.match(theirs.stdout, /late\.flow\.ts:1:\d+ - error TS2305: Module '"flowdeck"' has no exported member 'suspendFlowRun'/);
  });

  it("exits 2 with a tsconfig.json's own errors (it does not parse, extends a file that is not there, an option TypeScript does not know) rather than checking with what is left of it", { timeout: T }, async () => {
    const flow = `import { flow } from 'flowdeck';\nexport default flow({ name: 'a' }, async () => import.meta.url);\n`;
    const cases: [string, RegExp][] = [
      ['{ "compilerOptions": { "strict": true, }\n', /^tsconfig\.json:2:1 - error TS1005: '}' expected\.$/m],
      ['{ "extends": "./base.json" }\n', /error TS5083: Cannot read file '.*base\.json'/],
      ['{ "compilerOptions": { "strictt": true } }\n', /^tsconfig\.json:1:24 - error TS\d+: Unknown compiler option 'strictt'/m],
    ];
    for (const [config, said] of cases) {
      const ws = withTypeScript({ 'tsconfig.json': config, 'a.flow.ts': flow });
      const r = await runCli(['check', 'a.flow.ts'], { cwd: ws });
      assert.equal(r.code, 2, config + r.stdout + r.stderr);
      assert.match(r.stderr, said);
      assert.match(r.stderr, /flowdeck check: tsconfig\.json has an error; fix it to type-check the flows it covers/);
      assert.equal(r.stdout, '');
    }
    // A tsconfig.json whose `include` leaves the flow files out still applies: they are given.
    const ws = withTypeScript({ 'tsconfig.json': '{ "compilerOptions": { "target": "es2022", "module": "esnext", "moduleResolution": "bundler", "strict": true }, "include": ["src"] }\n', 'a.flow.ts': flow });
    const r = await runCli(['check', 'a.flow.ts'], { cwd: ws });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('exits 2 saying how to install TypeScript when the workspace has none', { timeout: T }, async () => {
    const ws = workspace({ 'a.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'a' }, async () => 1);\n` });
    const r = await runCli(['check', 'a.flow.ts'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no TypeScript compiler found from .*; install it with npm i -D typescript/);
  });

  it('exits 2 for a flow file over 1 MiB, naming it and the limit as flows does, and checks the others', { timeout: T }, async () => {
    const clean = `import { flow } from 'flowdeck';\nexport default flow({ name: 'a' }, async () => 1);\n`;
    const big = `${clean}${'// padding\n'.repeat(200_000)}`;
    const ws = withTypeScript({ 'a.flow.ts': clean, 'big.flow.ts': big });
    const r = await runCli(['check', '.'], { cwd: ws });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, 'flowdeck check: big.flow.ts: too large to check: 2.1 MiB, over the 1.0 MiB limit\n');
    assert.equal(r.stdout, 'No type errors in 1 flow file.\n');
  });

  it('exits 2 for a path that does not exist', { timeout: T }, async () => {
    const r = await runCli(['check', 'nope.flow.ts'], { cwd: CHECK });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such file or folder: .*nope\.flow\.ts/);
  });
});
