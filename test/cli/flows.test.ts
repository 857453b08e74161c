import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../support/engine';
import { fixtureWorkspace } from '../support/fixtures';

const T = 60_000;

describe('flowdeck flows', () => {
  it('lists CommonJS flows and says which flows it cannot list, exiting 0', { timeout: T }, async () => {
    const ws = fixtureWorkspace('discovery');
    const env = { FLOWDECK_HOME: tempDir() };
    const cjs = await runCli(['flows', 'cjs-exports.flow.js'], { cwd: ws, env });
    assert.equal(cjs.code, 0, cjs.stderr);
    assert.deepEqual(cjs.stdout.trim().split('\n'), ['via-exports         cjs-exports.flow.js:4', 'via-module-exports  cjs-exports.flow.js:5', 'bound-later         cjs-exports.flow.js:6']);
    const dynamic = await runCli(['flows', 'dynamic-name.flow.ts'], { cwd: ws, env });
    assert.equal(dynamic.code, 0, dynamic.stderr);
    assert.deepEqual(dynamic.stdout.trim().split('\n'), [
      'listed  dynamic-name.flow.ts:5',
      "dynamic-name.flow.ts:7:24: warning: flow at line 7: its name is not a literal string, so it can't be listed; write name: 'my-flow'",
    ]);
  });

  it('reports a file over the size limit with its size and the limit, exiting 2', { timeout: T }, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big.flow.ts'), `import { flow } from 'flowdeck';\nexport default flow({ name: 'big' }, async () => 1);\n${'/'.repeat(2 * 1024 * 1024)}\n`);
    const r = await runCli(['flows', '.', '--json'], { cwd: dir, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 2);
    const [big] = JSON.parse(r.stdout);
    assert.deepEqual(big.error, { kind: 'too-large', message: 'too large to scan for flows: 2.0 MiB, over the 1.0 MiB limit' });
    const text = await runCli(['flows', 'big.flow.ts'], { cwd: dir, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(text.stdout.trim(), 'big.flow.ts: error: too large to scan for flows: 2.0 MiB, over the 1.0 MiB limit');
  });
});
