/**
 * An error with a huge message (1 MB) is kept and printed cut to a bounded head, masked before the cut: the
 * task run's and the flow run's Failed states in the store, and what `flowdeck run` prints.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { MAX_ERROR_TEXT_CHARS } from '../../src/engine/worker/errors';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const TOKEN = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789abcdefghijkl';
const BOUND = MAX_ERROR_TEXT_CHARS + 200;

/** The store's files (not the compile cache). */
function filesUnder(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    if (name === 'compiled') continue;
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? filesUnder(p) : readFileSync(p, 'latin1');
  }
  return out;
}

describe('an error with a 1 MB message', { timeout: 180_000 }, () => {
  it("is kept and printed cut to a bounded head, a secret across the cut masked whole", async () => {
    const ws = workspace({
      // The secret starts just before the cut, so a cut before masking would leave its head showing.
      'huge.flow.ts': flowSource(`
const boom = task({ name: 'boom' }, async () => {
  throw new Error('x'.repeat(${MAX_ERROR_TEXT_CHARS - 20}) + process.env.GITHUB_TOKEN + 'y'.repeat(1024 * 1024));
});
export default flow({ name: 'huge' }, async () => { await boom(); });`),
    });
    const home = tempDir();
    const r = await runCli(['run', 'huge.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: home, GITHUB_TOKEN: TOKEN } });
    assert.equal(r.code, 1, r.stderr.slice(0, 2000));
    const printed = r.stdout + r.stderr;
    assert.ok(printed.length < 20 * BOUND, `flowdeck run printed ${printed.length} characters`);
    assert.ok(!printed.includes(TOKEN.slice(0, 12)), 'a piece of the secret shows in the output');

    const store = await EmbeddedStore.open(home, { readOnly: true });
    try {
      const [summary] = await store.list();
      const detail = (await store.readRun(summary!.id))!;
      const taskRun = detail.taskRuns.find((t) => t.taskName === 'boom')!;
      const total = (MAX_ERROR_TEXT_CHARS - 20 + TOKEN.length + 1024 * 1024).toLocaleString('en-US');
      const note = `***… (cut: ${total} characters in all; error texts are limited to ${MAX_ERROR_TEXT_CHARS.toLocaleString('en-US')})`;
      for (const [what, s] of [['task run', taskRun.state], ['flow run', detail.state]] as const) {
        assert.equal(s.name, 'Failed', what);
        assert.ok(s.message!.length < BOUND, `${what}'s message: ${s.message!.length} characters`);
        assert.ok(s.message!.startsWith('x'.repeat(1000)) && s.message!.endsWith(note), `${what}: …${s.message!.slice(-200)}`);
        assert.ok(s.failure!.message.length < BOUND, `${what}'s failure message: ${s.failure!.message.length} characters`);
        assert.ok(s.failure!.stack!.length < BOUND, `${what}'s failure stack: ${s.failure!.stack!.length} characters`);
      }
      assert.ok(summary!.state.message!.length < BOUND, 'the index summary');
    } finally {
      await store.close();
    }
    const stored = filesUnder(home);
    assert.ok(stored.length < 40 * BOUND, `the store holds ${stored.length} bytes`);
    assert.ok(!stored.includes(TOKEN.slice(0, 12)), 'a piece of the secret shows in the store');
  });
});
