import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const hasCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe("Node's compile cache", { timeout: 120_000 }, () => {
  it("is kept in the store's private folder, never in the shared temporary one, and never creates the store", async (t) => {
    if (!hasCache) {
      t.skip(`Node ${process.version} has no module.enableCompileCache (22.1+)`);
      return;
    }
    const home = tempDir();
    const ws = workspace({ 'one.flow.ts': flowSource(`const one = task({ name: 'one' }, async () => 1);\nexport default flow({ name: 'one' }, async () => one());`) });
    const first = await runCli(['run', 'one.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(['run', 'one.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(second.code, 0, second.stderr);
    const dir = join(home, 'compiled', 'node');
    assert.ok(existsSync(dir), 'the cache folder is in the store');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(readdirSync(dir, { recursive: true }).length > 0, 'something was cached');
    // A command before the store exists keeps no cache, and creates no store for it.
    const none = join(tempDir(), 'not-yet');
    await runCli(['runs'], { cwd: ws, env: { FLOWDECK_HOME: none } });
    assert.equal(existsSync(join(none, 'compiled', 'node')), false);
  });
});
