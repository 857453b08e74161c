/**
 * What `flowdeck serve` reads of the runs it sees change: serve is run in this process, so that its store's
 * reads can be counted, while a run goes in a process of its own sharing the store.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { serveCommand } from '../../src/cli/commands/serve';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { RunChanges } from '../../src/engine/runChanges';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';

// Found on review: serve heard of each changed run twice — once to decide whether to resume it
// (resumeOnCrash), once whether to tell of it (a webhook) — and read it from the store each time.
test('serve with a webhook reads each run it sees change once per change, to decide both whether to resume it and whether to tell of it', { timeout: 180_000 }, async () => {
  const home = tempDir();
  const cwd = workspace({ 'quick.flow.ts': flowSource(`export default flow({ name: 'quick' }, async () => 'done');`) });
  const reads = new Map<string, number>();
  const readEnded = new Set<string>();
  const changes = new Map<string, number>();
  const get = EmbeddedStore.prototype.get;
  const tell = RunChanges.prototype.tell;
  EmbeddedStore.prototype.get = function (ref: string) {
    reads.set(ref, (reads.get(ref) ?? 0) + 1);
    return get.call(this, ref).then((r) => {
      if (r?.state.type === 'COMPLETED') readEnded.add(r.id);
      return r;
    });
  };
  RunChanges.prototype.tell = function (ids: Iterable<string>) {
    const list = [...ids];
    for (const id of new Set(list)) changes.set(id, (changes.get(id) ?? 0) + 1);
    tell.call(this, list);
  };
  try {
    let said = '';
    const stderr = new PassThrough().setEncoding('utf8');
    stderr.on('data', (c: string) => (said += c));
    // Nothing listens at that port: a notice would not be delivered, but serve looks at each changed run to tell of it.
    const served = serveCommand(['--notify-url', 'http://127.0.0.1:9/hook'], { stdout: new PassThrough(), stderr, env: { FLOWDECK_HOME: home }, cwd });
    await waitFor(() => said.includes('Serving 0 schedules'), 'serve to start');
    const ran = await runCli(['run', 'quick.flow.ts', '--json'], { cwd, env: { FLOWDECK_HOME: home } });
    assert.equal(ran.code, 0, ran.stderr);
    const id = (JSON.parse(ran.stdout) as { id: string }).id;
    // Read ended, the run changes no more: every change of it serve was told of was looked at before it stops.
    await waitFor(() => readEnded.has(id), 'serve to read the run that changed, ended');
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(await served, 0, said);
    assert.ok((changes.get(id) ?? 0) > 0);
    assert.equal(reads.get(id), changes.get(id), `serve read the run ${reads.get(id)} times for ${changes.get(id)} changes told`);
  } finally {
    EmbeddedStore.prototype.get = get;
    RunChanges.prototype.tell = tell;
  }
});
