import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCli, workspace } from '../support/engine';
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

  it('without a tsconfig.json, accepts what a run accepts: ES modules, top-level await, import.meta, extensionless imports, JSON', { timeout: T }, async () => {
    const ws = withTypeScript({
      'flows/lib/math.ts': `export const double = (n: number): number => n * 2;\n`,
      'flows/lib/data.json': `{ "base": 21 }\n`,
      'flows/modern.flow.mts': `import { flow } from 'flowdeck';\nimport { double } from './lib/math';\nimport data from './lib/data.json';\nconst base: number = await Promise.resolve(data.base);\nexport default flow({ name: 'modern' }, async () => ({ url: import.meta.url, n: double(base) }));\n`,
    });
    const r = await runCli(['check', 'flows/modern.flow.mts'], { cwd: ws });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('leaves a workspace that declares flowdeck itself (a scaffolded flowdeck.d.ts) with its own declaration, not two', { timeout: T }, async () => {
    const ws = withTypeScript({
      'hello.flow.ts': `/// <reference path="./flowdeck.d.ts" />\nimport { flow } from 'flowdeck';\nexport default flow({ name: 'hello' }, async () => 1);\n`,
    });
    copyFileSync(join(ROOT, 'media', 'flowdeck.d.ts'), join(ws, 'flowdeck.d.ts'));
    const r = await runCli(['check', 'hello.flow.ts'], { cwd: ws });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('exits 2 saying how to install TypeScript when the workspace has none', { timeout: T }, async () => {
    const ws = workspace({ 'a.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'a' }, async () => 1);\n` });
    const r = await runCli(['check', 'a.flow.ts'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no TypeScript compiler found from .*; install it with npm i -D typescript/);
  });

  it('exits 2 for a path that does not exist', { timeout: T }, async () => {
    const r = await runCli(['check', 'nope.flow.ts'], { cwd: CHECK });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such file or folder: .*nope\.flow\.ts/);
  });
});
