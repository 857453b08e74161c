/**
 * How a worker ends once its run is over: it runs the flow's exit handlers, says so, closes its pipes, and
 * its host is done with it without waiting for the process's teardown. What those handlers log reaches
 * the run; the CLI's exit code is the run's; a worker whose exit handler never returns is killed.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { alive, flowSource, logsOf, makeRunner, runCli, tempDir, valueOf, waitFor, workspace } from '../support/engine';

const T = { timeout: 120_000 };

describe("a worker's exit", T, () => {
  for (const [outcome, body, code, state] of [
    ['completes', 'return 1;', 0, 'Completed'],
    ['fails', "throw new Error('no');", 1, 'Failed'],
  ] as const) {
    it(`keeps what the flow's exit handlers log when the flow ${outcome}, and exits ${code}`, async () => {
      const ws = workspace({
        'bye.flow.ts': flowSource(`
export default flow({ name: 'bye' }, async () => {
  process.on('exit', (c) => { console.log('first exit handler, code ' + c); });
  process.on('exit', () => { process.stderr.write('second exit handler\\n'); });
  // A line without its newline: held, and let go as the process ends.
  process.on('exit', () => { process.stdout.write('third exit handler, '); process.stdout.write('no newline'); });
  ${body}
});`),
      });
      const home = tempDir();
      const r = await runCli(['run', 'bye.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, /first exit handler, code 0/);
      assert.match(r.stderr, /second exit handler/);
      assert.match(r.stderr, /third exit handler, no newline/);
      const doc = JSON.parse(r.stdout) as { id: string; state: { name: string } };
      assert.equal(doc.state.name, state);
      const store = await EmbeddedStore.open(home, { readOnly: true });
      try {
        const messages = (await logsOf(store, doc.id)).map((l) => l.message);
        assert.ok(messages.includes('first exit handler, code 0'), messages.join('\n'));
        assert.ok(messages.includes('second exit handler'), messages.join('\n'));
        assert.ok(messages.includes('third exit handler, no newline'), messages.join('\n'));
      } finally {
        await store.close();
      }
    });
  }

  it('lets a profiled worker (FLOWDECK_WORKER_PROF) write its CPU profile, which it does after its exit handlers', async () => {
    const ws = workspace({ 'one.flow.ts': flowSource(`export default flow({ name: 'one' }, async () => 1);`) });
    const profiles = tempDir();
    const r = await runCli(['run', 'one.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir(), FLOWDECK_WORKER_PROF: profiles } });
    assert.equal(r.code, 0, r.stderr);
    const written = readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'));
    assert.equal(written.length, 1, `profiles written: ${written.join(', ')}`);
    const profile = JSON.parse(readFileSync(join(profiles, written[0]!), 'utf8')) as { nodes: unknown[] };
    assert.ok(profile.nodes.length > 0);
  });

  it("has waited for the worker's end when the run is done: it is gone, its CPU time counted as its host's child", async () => {
    const home = tempDir();
    const ws = workspace({ 'pid.flow.ts': flowSource(`export default flow({ name: 'pid' }, async () => process.pid);`) });
    const { runner } = await makeRunner(home);
    const detail = await (await runner.start({ source: { kind: 'file', path: `${ws}/pid.flow.ts` } })).done;
    assert.equal(detail.state.name, 'Completed');
    // A process that ended but was not waited for still answers signal 0 (a zombie): this one was waited for.
    assert.equal(alive(valueOf(detail) as number), false);
  });

  it('kills a worker whose exit handler never returns, and the run stays Completed', async () => {
    const home = tempDir();
    const ws = workspace({
      'stuck.flow.ts': flowSource(`
export default flow({ name: 'stuck' }, async () => {
  process.on('exit', () => { for (;;) {} });
  return process.pid;
});`),
    });
    const { runner } = await makeRunner(home, { exitGraceMs: 300 });
    const run = await runner.start({ source: { kind: 'file', path: `${ws}/stuck.flow.ts` } });
    const detail = await run.done;
    assert.equal(detail.state.name, 'Completed');
    const pid = valueOf(detail) as number;
    await waitFor(() => !alive(pid), 'the stuck worker to be killed', 30_000);
  });
});
