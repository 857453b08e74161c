import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readdirSync, writeFileSync } from 'node:fs';
import { CompileError, compileFile } from '../../src/engine/compiler';
import { discoverFlows } from '../../src/engine/flowDiscovery';
import { ROOT, tempDir } from '../support/engine';

const source = `
import { flow as makeFlow, task } from 'flowdeck';
import * as fd from 'flowdeck';
const helper = task({ name: 't' }, async () => 1);
type P = { repo?: string };
export default makeFlow({ name: 'main-flow', description: 'Main', parameters: { repo: { type: 'string', default: 'a/b' } } }, async ({ repo = 'a/b' }: P) => repo);
const second = fd.flow({ name: 'second', timeoutSeconds: 5 }, async () => 2);
export { second as renamed };
const hidden = makeFlow({ name: 'not-exported' }, async () => 3);
export const dynamic = makeFlow({ name: \`tmpl\`, parameters: someVariable }, async () => 4);
`;

describe('flow discovery', () => {
  it('finds flows, their literal options, export names and lines without running the file', () => {
    const flows = discoverFlows(source, '/ws/x.flow.ts');
    assert.deepEqual(
      flows.map((f) => [f.name, f.exportName, f.line]),
      [
        ['main-flow', 'default', 6],
        ['second', 'renamed', 7],
        ['not-exported', undefined, 9],
        ['tmpl', 'dynamic', 10],
      ],
    );
    assert.deepEqual(flows[0]!.parameters, { repo: { type: 'string', default: 'a/b' } });
    assert.equal(flows[0]!.description, 'Main');
    assert.equal(flows[3]!.parameters, undefined);
  });

  it('ignores files that do not import flowdeck', () => {
    assert.deepEqual(discoverFlows(`const flow = (o: object) => o; flow({ name: 'x' });`, '/ws/y.flow.ts'), []);
  });

  it('reports syntax errors with the line and column of the source', () => {
    const bad = `import { flow } from 'flowdeck';\n\nexport default flow({ name: 'x' }, async () => {\n  const = 1;\n});\n`;
    assert.throws(() => discoverFlows(bad, '/ws/bad.flow.ts'), (e: unknown) => e instanceof CompileError && e.line === 4 && e.message.startsWith('/ws/bad.flow.ts:4:'));
  });
});

describe('compilers', () => {
  it('both report syntax errors as file:line:col, and esbuild is used when it resolves', () => {
    const bad = `const ok = 1;\n\nfunction f(: number) {}\n`;
    for (const compiler of ['esbuild', 'sucrase']) {
      const script = `
        process.env.FLOWDECK_COMPILER = ${JSON.stringify(compiler)};
        const { transpiler } = require(${JSON.stringify(join(ROOT, 'src/engine/compiler.ts'))});
        try { transpiler().transform(${JSON.stringify(bad)}, '/ws/bad.flow.ts'); } catch (e) { console.log(JSON.stringify({ id: transpiler().id, line: e.line, message: e.message, name: e.name })); }`;
      const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' });
      const r = JSON.parse(out.stdout.trim());
      assert.ok(r.id.startsWith(compiler), r.id);
      assert.equal(r.name, 'CompileError');
      assert.equal(r.line, 3, r.message);
      assert.match(r.message, /^\/ws\/bad\.flow\.ts:3:\d+: /);
    }
  });

  it('caches compiled output by content hash and recompiles when the content changes', () => {
    const home = tempDir();
    const file = join(home, 'x.flow.ts');
    const first = compileFile(file, home, 'export const a: number = 1;');
    const cached = readdirSync(join(home, 'compiled'));
    assert.equal(cached.length, 1);
    writeFileSync(join(home, 'compiled', cached[0]!), 'module.exports = "from cache";');
    assert.equal(compileFile(file, home, 'export const a: number = 1;'), 'module.exports = "from cache";');
    const changed = compileFile(file, home, 'export const a: number = 2;');
    assert.notEqual(changed, first);
    assert.match(changed, /2/);
    assert.equal(readdirSync(join(home, 'compiled')).length, 2);
  });
});
