/**
 * Runs printed as one JSON array, each as it is read (`runs --json`, `resume --crashed --json`): the text
 * parses whatever runs are left out on the way.
 */
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import { indexedRunParts, printRunJson, printRunJsonArray } from '../../src/cli/runJsonStream';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { state } from '../../src/engine/states';
import { tempDir } from '../support/engine';

async function printed(body: (out: PassThrough) => Promise<void>): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (c: string) => (text += c));
  await body(out);
  out.end();
  return text;
}

test('a run gone from the store while the array is printed is left out, and the array still parses', { timeout: 60_000 }, async () => {
  const store = await EmbeddedStore.open(tempDir());
  try {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: { i } });
      await h.setState(state('Completed'), { endTime: Date.now() });
      await h.close();
      ids.push(h.id);
    }
    for (const gone of [0, 1, 2]) {
      const text = await printed((out) => printRunJsonArray(store, indexedRunParts(ids.length, (i) => (i === gone ? Promise.resolve(undefined) : store.readRunParts(ids[i]!))), out, { loadResultFiles: false }));
      const runs = JSON.parse(text) as { id: string; parameters: { i: number } }[];
      assert.deepEqual(runs.map((r) => r.id), ids.filter((_, i) => i !== gone), `run ${gone} left out`);
      assert.ok(text.endsWith('\n]\n'));
    }
    const none = await printed((out) => printRunJsonArray(store, indexedRunParts(ids.length, () => Promise.resolve(undefined)), out, { loadResultFiles: false }));
    assert.equal(none, '[]\n');
    const all = await printed((out) => printRunJsonArray(store, indexedRunParts(ids.length, (i) => store.readRunParts(ids[i]!)), out, { loadResultFiles: false }));
    const parsed = JSON.parse(all) as { parameters: { i: number } }[];
    assert.deepEqual(parsed.map((r) => r.parameters.i), [0, 1, 2]);
    // Pretty-printed as before: each run indented two spaces inside the array.
    assert.match(all, /^\[\n  \{\n    "id": /);
  } finally {
    await store.close();
  }
});

test('a run another process deletes between its first read and its task runs is printed as read, the array parses, and it is said', { timeout: 60_000 }, async () => {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  const other = await EmbeddedStore.open(home);
  try {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: { i } });
      await h.append([{ k: 'task', runId: h.id, id: `${h.id}-t`, name: 't-0', taskName: 't', ts: Date.now() }]);
      await h.setState(state('Completed'), { endTime: Date.now() });
      await h.close();
      ids.push(h.id);
    }
    const deleted: string[] = [];
    const text = await printed((out) =>
      printRunJsonArray(
        store,
        indexedRunParts(ids.length, async (i) => {
          const parts = await store.readRunParts(ids[i]!);
          // The first run goes after its first read (its detail), before its task runs are read.
          if (i === 0) {
            await other.refresh();
            assert.deepEqual(await other.delete([ids[0]!]), [ids[0]]);
          }
          return parts;
        }),
        out,
        { loadResultFiles: false, onDeleted: (run) => deleted.push(run.id) },
      ),
    );
    const runs = JSON.parse(text) as { id: string; taskRuns: unknown[] }[];
    assert.deepEqual(runs.map((r) => [r.id, r.taskRuns.length]), [[ids[0], 0], [ids[1], 1]]);
    assert.deepEqual(deleted, [ids[0]]);
    // Without someone to tell, it is an error, as before: nothing is printed as if whole.
    const again = await store.readRunParts(ids[1]!);
    await other.refresh();
    assert.deepEqual(await other.delete([ids[1]!]), [ids[1]]);
    await assert.rejects(printed((out) => printRunJsonArray(store, indexedRunParts(1, () => Promise.resolve(again)), out, { loadResultFiles: false })), /was deleted while it was read/);
  } finally {
    await other.close();
    await store.close();
  }
});

test("`run --json` of a run deleted as it ended (a prune beside it): valid JSON with the state it ended in, and stderr says its task runs are left out", { timeout: 60_000 }, async () => {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  const other = await EmbeddedStore.open(home);
  try {
    const make = async (): Promise<string> => {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      await h.append([{ k: 'task', runId: h.id, id: `${h.id}-t`, name: 't-0', taskName: 't', ts: Date.now() }]);
      await h.setState(state('Completed'), { endTime: Date.now() });
      await h.close();
      return h.id;
    };
    const prune = async (id: string): Promise<void> => {
      await other.refresh();
      assert.deepEqual(await other.delete([id]), [id]);
    };
    for (const when of ['before it is read', 'after its first line is printed'] as const) {
      const id = await make();
      const ended = (await store.readRun(id))!;
      if (when === 'before it is read') await prune(id);
      let text = '';
      let said = '';
      // The prune lands while the run's JSON is being written: once its first piece is out, before its task runs are read.
      const out = new Writable({
        highWaterMark: 1,
        write(chunk: Buffer, _enc, done) {
          const first = text === '';
          text += chunk.toString('utf8');
          if (first && when === 'after its first line is printed') void prune(id).then(() => done(), done);
          else done();
        },
      });
      const err = new PassThrough();
      err.setEncoding('utf8').on('data', (c: string) => (said += c));
      await printRunJson(store, id, { stdout: out, stderr: err }, ended);
      await new Promise((r) => setImmediate(r));
      const doc = JSON.parse(text) as { id: string; state: { name: string }; taskRuns: unknown[] };
      assert.deepEqual([doc.id, doc.state.name], [id, 'Completed'], when);
      assert.match(said, /flow run '.+' was deleted \(a prune, another process\) as it was printed; its task runs may be left out of its JSON/, when);
    }
  } finally {
    await other.close();
    await store.close();
  }
});

test('`inspect --json` of a run of many task runs waits for a slow reader: what waits to be written stays one batch, not the whole output', { timeout: 120_000 }, async () => {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  let id: string;
  try {
    const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
    const ts = Date.now();
    for (let b = 0; b < 20; b++) {
      await h.append(Array.from({ length: 1000 }, (_, i) => ({ k: 'task' as const, runId: h.id, id: `${h.id}-${b}-${i}`, name: `t-${b * 1000 + i}`, taskName: 't', ts })));
    }
    await h.setState(state('Completed'), { endTime: Date.now() });
    await h.close();
    id = h.id;
  } finally {
    await store.close();
  }
  let written = 0;
  let mostWaiting = 0;
  // A reader taking each piece a moment later, as a pipe to a slow consumer does.
  const stdout = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, done) {
      written += chunk.length;
      setImmediate(done);
    },
  });
  const watch = setInterval(() => (mostWaiting = Math.max(mostWaiting, stdout.writableLength)), 0);
  const stderr = new PassThrough();
  const code = await main(['inspect', id, '--json'], { stdout, stderr, env: { ...process.env, FLOWDECK_HOME: home }, cwd: home });
  clearInterval(watch);
  mostWaiting = Math.max(mostWaiting, stdout.writableLength);
  console.log(`inspect --json: ${written} bytes written, at most ${mostWaiting} waiting`);
  assert.equal(code, 0);
  assert.ok(written > 2_000_000, `${written}`);
  assert.ok(mostWaiting < written / 4, `${mostWaiting} bytes waited at once of ${written}`);
});

