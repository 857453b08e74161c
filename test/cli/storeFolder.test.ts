/**
 * FLOWDECK_HOME as users give it — a link to a folder, a path relative to where the command runs — and
 * store files damaged or of the wrong kind: every command works, or says what is wrong (exit 2), never a stack.
 */
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

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
