import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileFile } from '../../src/engine/compileCache';
import { ROOT, tempDir } from '../support/engine';
import { COMPILERS } from '../support/fixtures';

const T = 60_000;

/** What `transpiler()` reports for `source` under FLOWDECK_COMPILER=compiler, in a process of its own. */
function compileIn(compiler: string, source: string): { id: string; line?: number; column?: number; message?: string; name?: string } {
  const script = `
    process.env.FLOWDECK_COMPILER = ${JSON.stringify(compiler)};
    const { transpiler } = require(${JSON.stringify(join(ROOT, 'src/engine/compiler.ts'))});
    let out = { id: transpiler().id };
    try { transpiler().transform(${JSON.stringify(source)}, '/ws/bad.flow.ts', 'preserve'); } catch (e) { out = { ...out, line: e.line, column: e.column, message: e.message, name: e.name }; }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(r.stdout.trim());
}

describe('compilers', () => {
  it('both report a syntax error at the same 1-based line and column, counting UTF-16 units past non-ASCII text', { timeout: T }, () => {
    const cases = [
      { source: `const ok = 1;\n\nfunction f(: number) {}\n`, line: 3, column: 12 },
      { source: `const s = 'héllo😀'; const n = 1 +;\n`, line: 1, column: 35 },
    ];
    for (const { source, line, column } of cases) {
      for (const compiler of COMPILERS) {
        const r = compileIn(compiler, source);
        assert.ok(r.id.startsWith(compiler), r.id);
        assert.equal(r.name, 'CompileError');
        assert.deepEqual([r.line, r.column], [line, column], `${compiler}: ${r.message}`);
        assert.ok(r.message?.startsWith(`/ws/bad.flow.ts:${line}:${column}: `), r.message);
      }
    }
  });
});

describe('compile cache', () => {
  it('reuses compiled code by content hash and compiles again when the content changes', { timeout: T }, () => {
    const home = tempDir();
    const file = join(home, 'x.flow.ts');
    const first = compileFile(file, home, 'preserve', 'export const a: number = 1;');
    assert.equal(first.moduleSyntax, true);
    const [cached] = readdirSync(join(home, 'compiled'));
    const cachedText = readFileSync(join(home, 'compiled', cached!), 'utf8');
    assert.deepEqual(compileFile(file, home, 'preserve', 'export const a: number = 1;'), first);
    assert.equal(readFileSync(join(home, 'compiled', cached!), 'utf8'), cachedText, 'a hit rewrites nothing');
    const changed = compileFile(file, home, 'preserve', 'export const a: number = 2;');
    assert.match(changed.code, /= 2/);
    assert.equal(readdirSync(join(home, 'compiled')).length, 2);
  });

  it('tells CommonJS from module syntax, and keeps that in the cache', { timeout: T }, () => {
    const home = tempDir();
    const file = join(home, 'c.flow.ts');
    const source = `const { flow } = require('flowdeck') as { flow: unknown };\nmodule.exports = flow;\n`;
    assert.equal(compileFile(file, home, 'preserve', source).moduleSyntax, false);
    assert.equal(compileFile(file, home, 'preserve', source).moduleSyntax, false);
    assert.equal(compileFile(join(home, 'm.flow.ts'), home, 'preserve', 'console.log(import.meta.url);').moduleSyntax, true);
  });

  it('never loads an empty, truncated or edited cache file: it compiles again and repairs it', { timeout: T }, () => {
    const home = tempDir();
    const file = join(home, 'x.flow.ts');
    const source = 'export const answer: number = 42;\n';
    const good = compileFile(file, home, 'preserve', source);
    const path = join(home, 'compiled', readdirSync(join(home, 'compiled'))[0]!);
    const full = readFileSync(path, 'utf8');
    for (const damaged of ['', full.slice(0, full.length / 2), full.replace('42', '41'), full.split('\n').slice(1).join('\n')]) {
      writeFileSync(path, damaged);
      assert.deepEqual(compileFile(file, home, 'preserve', source), good);
      assert.equal(readFileSync(path, 'utf8'), full);
    }
  });

  it('keeps the cache private: folder 0700, files 0600', { timeout: T }, () => {
    const home = tempDir();
    compileFile(join(home, 'x.flow.ts'), home, 'cjs', 'export const a = 1;');
    const dir = join(home, 'compiled');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const f of readdirSync(dir)) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600);
  });
});

describe('esbuild as a process per compile', () => {
  it('starts no thread to compile: nothing it runs can die and leave the compile waiting, and nothing stays running after', { timeout: T }, () => {
    const script = `
      const { transpiler } = require(${JSON.stringify(join(ROOT, 'src/engine/compiler.ts'))});
      const threads = () => require('node:fs').readdirSync('/proc/self/task').length;
      const before = threads();
      const first = transpiler().transform('const a: number = 1; export { a };', '/ws/a.flow.ts', 'preserve', false);
      const again = transpiler().transform('const b: string = "x"; export { b };', '/ws/b.flow.ts', 'preserve', false);
      console.log(JSON.stringify({ before, after: threads(), id: transpiler().id, first, again }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, FLOWDECK_COMPILER: 'esbuild' } });
    const out = JSON.parse(r.stdout.trim()) as { before: number; after: number; id: string; first: string; again: string };
    assert.match(out.id, /^esbuild@/);
    assert.equal(out.after, out.before, 'no thread was started');
    assert.match(out.first, /const a = 1/);
    assert.match(out.again, /const b = "x"/);
  });
});
