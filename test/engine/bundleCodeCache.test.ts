/**
 * V8's code cache of the CLI's and the worker's bundles (src/engine/bundleCodeCache.ts): kept in the store's
 * private folder, used by the next start, and a cache that is corrupt, truncated or made for other code is
 * never run — the bundle loads as usual and the cache is written anew.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const nodeKeepsItsOwn = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const BUNDLES = ['cli-main', 'worker-main'];

function cacheFiles(home: string): string[] {
  return BUNDLES.map((b) => join(home, 'compiled', 'v8', `${b}-${process.version}-${process.arch}.v8cache`));
}

/** Runs an ES module flow (imported by the worker's `import()`) and checks its result. */
async function runOne(ws: string, home: string): Promise<void> {
  const r = await runCli(['run', 'one.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { state: { name: string } };
  assert.equal(doc.state.name, 'Completed', r.stderr);
}

describe("the bundles' code cache", { timeout: 180_000 }, () => {
  const ws = workspace({ 'one.flow.ts': flowSource(`const one = task({ name: 'one' }, async () => 41);\nexport default flow({ name: 'one' }, async () => (await one()) + 1);`) });

  it("is kept in the store's private folder and used by the next start as it is", async (t) => {
    if (nodeKeepsItsOwn) return t.skip(`Node ${process.version} keeps its own compile cache`);
    const home = tempDir();
    await runOne(ws, home);
    const dir = join(home, 'compiled', 'v8');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(dir).sort(), cacheFiles(home).map((f) => f.slice(dir.length + 1)).sort());
    const before = cacheFiles(home).map((f) => {
      assert.equal(statSync(f).mode & 0o777, 0o600, f);
      return readFileSync(f);
    });
    // Used as it is: a cache V8 or its header refused would be written anew at exit.
    await runOne(ws, home);
    cacheFiles(home).forEach((f, i) => assert.ok(readFileSync(f).equals(before[i]!), `${f} was written again`));
  });

  for (const [damage, spoil] of [
    ['a byte of its data changed', (b: Buffer) => Buffer.concat([b.subarray(0, b.length - 100), Buffer.from([b[b.length - 100]! ^ 0xff]), b.subarray(b.length - 99)])],
    ['cut short', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    ['made for other code', (b: Buffer) => Buffer.from(b.toString('latin1').replace(/^(flowdeck-v8-code-cache 1\n)[0-9a-f]/, (_, m: string) => `${m}x`), 'latin1')],
    ['empty', () => Buffer.alloc(0)],
  ] as const) {
    it(`${damage}, is not run: the run loads the bundles as usual and the cache is written anew`, async (t) => {
      if (nodeKeepsItsOwn) return t.skip(`Node ${process.version} keeps its own compile cache`);
      const home = tempDir();
      await runOne(ws, home);
      const good = cacheFiles(home).map((f) => readFileSync(f));
      cacheFiles(home).forEach((f, i) => writeFileSync(f, spoil(good[i]!)));
      await runOne(ws, home);
      const rewritten = cacheFiles(home).map((f) => readFileSync(f));
      rewritten.forEach((b, i) => assert.ok(!b.equals(spoil(good[i]!)), `${cacheFiles(home)[i]} was kept as spoilt`));
      // The new cache is whole: the next start uses it as it is.
      await runOne(ws, home);
      cacheFiles(home).forEach((f, i) => assert.ok(readFileSync(f).equals(rewritten[i]!), `${f} was written again`));
    });
  }

  it('is not kept, and no store is created for it, before the store exists', async () => {
    const none = join(tempDir(), 'not-yet');
    const r = await runCli(['runs'], { cwd: ws, env: { FLOWDECK_HOME: none } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(none), false);
  });
});
