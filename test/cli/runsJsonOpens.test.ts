/**
 * `runs --json` on the embedded store opened each run's journal once for every read of the run in parts
 * (twice a run, a read buffer each time): 20,000 small runs took ~1 ms of CPU a run. Each journal is now
 * opened once and a small one held until its run is printed; one over the bound is read from its file each
 * time, as before. What is printed is what each run's own read gives, byte for byte.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { main } from '../../src/cli/main';
import { indexedRunParts, printRunJsonArray } from '../../src/cli/runJsonStream';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { tempDir } from '../support/engine';
import { addFinishedRun } from '../support/finishedRun';

/** What `body` printed, and how many times each file was opened meanwhile (fs.promises.open, by path). */
async function counted(body: (out: PassThrough) => Promise<void>): Promise<{ text: string; opens: Map<string, number> }> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (c: string) => (text += c));
  const opens = new Map<string, number>();
  const open = fs.promises.open;
  fs.promises.open = ((path: fs.PathLike, ...rest: unknown[]) => {
    opens.set(String(path), (opens.get(String(path)) ?? 0) + 1);
    return (open as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof open;
  syncBuiltinESMExports();
  try {
    await body(out);
  } finally {
    fs.promises.open = open;
    syncBuiltinESMExports();
  }
  return { text, opens };
}

it('runs --json on the embedded store opens each small journal once, and prints each run as its own read gives it', { timeout: 120_000 }, async () => {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  const ids: string[] = [];
  try {
    // One journal over the bound a journal is held up to (1 MiB): about 1.4 MiB of task runs.
    for (let i = 0; i < 12; i++) ids.push(await addFinishedRun(store, i, i === 5 ? 9_000 : i % 4));
    const journal = (id: string): string => join(home, 'runs', `${id}.jsonl`);
    assert.ok(fs.statSync(journal(ids[5]!)).size > 1024 * 1024);
    const listed = await counted((stdout) => main(['runs', '--json', '--limit', '12'], { stdout, stderr: process.stderr, env: { ...process.env, FLOWDECK_HOME: home }, cwd: home }).then((code) => assert.equal(code, 0)));
    // Each read alone (readRunParts), newest first as runs lists them.
    const newestFirst = [...ids].reverse();
    const alone = await counted((out) => printRunJsonArray(store, indexedRunParts(newestFirst.length, (i) => store.readRunParts(newestFirst[i]!, { artifactData: false })), out, { loadResultFiles: false }));
    assert.equal(listed.text, alone.text);
    assert.deepEqual((JSON.parse(listed.text) as { id: string }[]).map((r) => r.id), newestFirst);
    const small = ids.filter((_, i) => i !== 5);
    assert.deepEqual(
      small.map((id) => [id, listed.opens.get(journal(id))]),
      small.map((id) => [id, 1]),
      'each small journal opened once',
    );
    // The large one is not held: read from its file at each read, as alone.
    assert.equal(listed.opens.get(journal(ids[5]!)), alone.opens.get(journal(ids[5]!)));
    assert.ok(alone.opens.get(journal(ids[0]!))! >= 2, 'read alone, a journal is opened for each read');
  } finally {
    await store.close();
  }
});
