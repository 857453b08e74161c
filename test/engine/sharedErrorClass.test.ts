/**
 * Error classes whose instances cross bundles: the Postgres backend (dist/postgres.js) carries its own copy of
 * every engine module it imports, so an error the CLI's runner throws reaches the backend's queue worker as an
 * instance of another copy of its class (and the reverse). Each such class must answer `instanceof` for an
 * instance of any copy — checked here against a copy bundled as esbuild bundles dist/postgres.js.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { shareErrorClass } from '../../src/engine/sharedErrorClass';

const ROOT = join(__dirname, '..', '..');
const requireHere = createRequire(__filename);

/** The module at `file` as a bundle of its own would hold it: a second copy of each class it declares. */
async function bundledCopy(file: string): Promise<Record<string, unknown>> {
  const out = await build({ entryPoints: [join(ROOT, file)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent', external: ['vscode', 'esbuild', 'pg-native'] });
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'require', '__filename', '__dirname', out.outputFiles[0]!.text)(module, module.exports, requireHere, join(ROOT, file), join(ROOT, file, '..'));
  return module.exports;
}

type ErrorClass = abstract new (...args: never[]) => Error;
const isErrorClass = (v: unknown): v is ErrorClass => typeof v === 'function' && v.prototype instanceof Error;

describe('error classes shared across bundles', { timeout: 120_000 }, () => {
  it('an instance made by another copy of a shared class is an instance of it; of another class, a plain Error or a non-object it is not; subclasses keep plain instanceof', () => {
    const make = (): { A: ErrorClass; B: ErrorClass } => {
      class A extends Error {}
      shareErrorClass(A, 'TestA');
      class B extends Error {}
      shareErrorClass(B, 'TestB');
      return { A, B };
    };
    const one = make();
    const two = make();
    assert.notEqual(one.A, two.A, 'two copies');
    const fromTwo = Object.create(two.A.prototype) as Error;
    assert.equal(fromTwo instanceof one.A, true);
    assert.equal(fromTwo instanceof one.B, false);
    assert.equal(new Error('x') instanceof one.A, false);
    assert.equal((undefined as unknown) instanceof one.A, false);
    assert.equal(('TestA' as unknown) instanceof one.A, false);
    class Sub extends (one.A as unknown as new () => Error) {}
    assert.equal(new Sub() instanceof one.A, true, 'an instance of a subclass is one of its class');
    assert.equal(Object.create(one.A.prototype) instanceof Sub, false, 'but not the other way round');
    assert.equal(new Sub() instanceof Sub, true);
  });

  it("every error class of the Postgres backend's bundle answers instanceof for another copy's instances (and the backend's own copy for the CLI's)", async () => {
    // The engine modules dist/postgres.js bundles, as scripts/build.mjs bundles it.
    const meta = await build({ entryPoints: [join(ROOT, 'src/engine/postgres/index.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, metafile: true, logLevel: 'silent', external: ['vscode', 'esbuild', 'typescript'] });
    const files = Object.keys(meta.metafile.inputs).filter((f) => f.startsWith('src/'));
    const checked: string[] = [];
    for (const file of files) {
      const own = requireHere(join(ROOT, file)) as Record<string, unknown>;
      const classes = Object.entries(own).filter((e): e is [string, ErrorClass] => isErrorClass(e[1]));
      if (classes.length === 0) continue;
      const copy = await bundledCopy(file);
      for (const [name, cls] of classes) {
        const other = copy[name];
        assert.ok(isErrorClass(other) && other !== cls, `${name}: a second copy`);
        assert.equal(Object.create(other.prototype) instanceof cls, true, `${file}: ${name} made by another bundle's copy is not instanceof it: shareErrorClass(${name}, '${name}')`);
        assert.equal(Object.create(cls.prototype) instanceof other, true, `${name}, the other way`);
        checked.push(name);
      }
    }
    console.log(`[figure] ${checked.length} error classes shared with the Postgres bundle: ${checked.sort().join(', ')}`);
    for (const name of ['FlowSlotBusy', 'EndedBeforeStart', 'BadInputError']) assert.ok(checked.includes(name), `${name} checked`);
  });
});
