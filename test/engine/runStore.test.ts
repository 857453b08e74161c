import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseNameClaim } from '../../src/engine/abandonedCreations';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { currentProcess } from '../../src/engine/processIdentity';
import type { FlowRunSummary, ProcessIdentity, RunRecord } from '../../src/engine/records';
import { CRASHED_HOST_MESSAGE, type NewRun, type RunHandle } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { keyHash } from '../../src/engine/resultCache';
import { CLI, ROOT, closingHandles, flowSource, logsOf, tempDir, waitFor, workspace } from '../support/engine';

const T = { timeout: 60_000 };

/** The store, its run handles closed with it (closingHandles). */
const openStore = async (...args: Parameters<typeof EmbeddedStore.open>): Promise<EmbeddedStore> => closingHandles(await EmbeddedStore.open(...args));

function newRun(over: Partial<NewRun> = {}): NewRun {
  return { flowName: 'f', source: '/x.flow.ts', parameters: { p: 1 }, ...over };
}

const log = (runId: string, message: string, ts = 1): RunRecord => ({ k: 'log', runId, ts, level: 'INFO', source: 's', message });

describe('run store: journals', T, () => {
  it("touches a quiet run's journal while its handle is open (its host's sign of life), and stops once closed", async () => {
    const home = tempDir();
    const store = await openStore(home, { lifeSignMs: 20 });
    try {
      const h = await store.createRun(newRun());
      await h.append([log(h.id, 'a long task begins')]);
      const file = join(home, 'runs', `${h.id}.jsonl`);
      const written = readFileSync(file, 'utf8');
      utimesSync(file, 1, 1);
      await waitFor(() => statSync(file).mtimeMs > 1_000, 'the quiet journal to be touched', 10_000);
      assert.equal(readFileSync(file, 'utf8'), written, 'a touch writes nothing');
      await h.close();
      utimesSync(file, 1, 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(statSync(file).mtimeMs, 1_000, 'no touch after the handle closed');
    } finally {
      // Its files closed before the test ends: on Node 26 a file left to the garbage collector ends the process.
      await store.close();
    }
  });

  it('skips a torn final record and loses nothing before it; the next batch starts on a fresh line', async () => {
    const home = tempDir();
    const store = await openStore(home);
    const h = await store.createRun(newRun());
    await h.append([log(h.id, 'first'), log(h.id, 'second')]);
    await h.close();
    // A crash in the middle of a write leaves half a record (a state's: a read of the run's state passes log lines over).
    appendFileSync(store.runFile(h.id), '{"k":"tstate","runId":"x","id":"t","na');
    const again = await store.openRun(h.id);
    await again.append([log(h.id, 'after crash', 4)]);
    await again.setState(state('Completed'));
    await again.close();
    await store.close();
    const reopened = await openStore(home, { detectCrashed: false });
    assert.deepEqual((await logsOf(reopened, h.id)).map((l) => l.message), ['first', 'second', 'after crash']);
    const detail = (await reopened.readRun(h.id))!;
    assert.equal(detail.skippedRecords, 1);
    assert.equal(detail.state.name, 'Completed');
    assert.deepEqual(detail.parameters, { p: 1 });
  });

  it('skips and counts a parseable record of the wrong shape, in a journal and in the index', async () => {
    const home = tempDir();
    const store = await openStore(home);
    const h = await store.createRun(newRun());
    await h.append([log(h.id, 'ok')]);
    await h.close();
    appendFileSync(store.runFile(h.id), '{"k":"log","ts":"not a number"}\n[1,2,3]\n{"k":"tstate"}\n');
    appendFileSync(join(home, 'runs', 'index-0000000000.jsonl'), '{"k":"run","id":42}\n{"k":"state","id":"' + h.id + '","state":"Completed"}\n"just a string"\n');
    await store.close();
    const reopened = await openStore(home, { detectCrashed: false });
    assert.equal(reopened.skippedIndexRecords, 3);
    assert.equal((await reopened.get(h.id))!.state.name, 'Pending');
    const detail = (await reopened.readRun(h.id))!;
    // The log line of the wrong shape is passed over unread by a read of the run's state; the logs' read skips it.
    assert.equal(detail.skippedRecords, 2);
    assert.deepEqual((await logsOf(reopened, h.id)).map((l) => l.message), ['ok']);
  });

  it('reads a journal larger than the line limit allows for one record as the records it holds, counting the oversized one', async () => {
    const home = tempDir();
    const store = await openStore(home);
    const h = await store.createRun(newRun());
    await h.append(Array.from({ length: 3000 }, (_, i) => log(h.id, `line ${i} ${'x'.repeat(500)}`)));
    await h.close();
    // One line of 70 MB, over the 64 MB a record may take: skipped and counted, never read as "empty".
    appendFileSync(store.runFile(h.id), `{"k":"log","runId":"${h.id}","ts":1,"level":"INFO","source":"s","message":"${'y'.repeat(70 * 1024 * 1024)}"}\n`);
    const tail = await store.openRun(h.id);
    await tail.append([log(h.id, 'after the big one')]);
    await tail.close();
    const logs = await logsOf(store, h.id);
    assert.equal(logs.length, 3001);
    assert.equal(logs.at(-1)!.message, 'after the big one');
    assert.equal((await store.readRun(h.id))!.skippedRecords, 1);
    await store.close();
  });

  it('says a journal is missing instead of showing an empty run', async () => {
    const home = tempDir();
    const store = await openStore(home);
    const h = await store.createRun(newRun());
    await h.close();
    spawnSync('rm', [store.runFile(h.id)]);
    const detail = (await store.readRun(h.id))!;
    assert.equal(detail.missingJournal, true);
    assert.deepEqual(await store.readLogs(h.id, () => undefined), { found: false });
    await store.close();
  });

  it("creates a run again after its names folder went, and a name that cannot be claimed leaves no journal behind", async () => {
    const home = tempDir();
    const store = await openStore(home);
    const first = await store.createRun(newRun());
    await first.close();
    const names = join(home, 'runs', 'names');
    rmSync(names, { recursive: true });
    const second = await store.createRun(newRun());
    await second.close();
    assert.equal(parseNameClaim(readFileSync(join(names, second.name), 'utf8'))?.id, second.id);
    assert.equal(statSync(names).mode & 0o777, 0o700);
    rmSync(names, { recursive: true });
    writeFileSync(names, 'not a folder\n');
    const journals = () => readdirSync(join(home, 'runs')).filter((f) => f.endsWith('.jsonl') && !f.startsWith('index'));
    const before = journals();
    await assert.rejects(store.createRun(newRun()), /names/);
    assert.deepEqual(journals(), before, 'no journal of a run that was never created');
    assert.deepEqual((await store.list()).map((r) => r.id).sort(), [first.id, second.id].sort());
    await store.close();
  });

  it("creates a run from details still to come (its flow loading): a name that cannot be claimed fails it at once, and details refused leave no journal and no name claimed", async () => {
    const home = tempDir();
    const store = await openStore(home);
    const runs = join(home, 'runs');
    const journals = () => readdirSync(runs).filter((f) => f.endsWith('.jsonl') && !f.startsWith('index'));
    const claims = () => (existsSync(join(runs, 'names')) ? readdirSync(join(runs, 'names')) : []);
    let give!: (run: NewRun) => void;
    const later = store.createRun(new Promise<NewRun>((r) => (give = r)));
    // The name is claimed and the journal opened while the details are awaited.
    await waitFor(() => claims().length === 1 && journals().length === 1, 'the name claimed and the journal opened before the details come');
    assert.equal(await store.count(), 0, 'no run before its details');
    give(newRun({ flowName: 'came-later' }));
    const h = await later;
    assert.deepEqual(claims(), [h.name]);
    assert.deepEqual(journals(), [`${h.id}.jsonl`]);
    assert.equal((await store.get(h.id))?.flowName, 'came-later');
    await h.close();

    await assert.rejects(store.createRun(Promise.reject(new Error('the flow did not load'))), /the flow did not load/);
    assert.deepEqual(journals(), [`${h.id}.jsonl`], 'no journal of a run that was never created');
    assert.deepEqual(claims(), [h.name], 'no name claimed for it');

    rmSync(join(runs, 'names'), { recursive: true });
    writeFileSync(join(runs, 'names'), 'not a folder\n');
    // Details that never come: the failed claim ends the creation all the same.
    await assert.rejects(store.createRun(new Promise<NewRun>(() => undefined)), /names/);
    assert.deepEqual(journals(), [`${h.id}.jsonl`]);
    assert.equal(await store.count(), 1);
    await store.close();
  });

  it('refuses ids that could escape the store folder', async () => {
    const store = await openStore(tempDir());
    assert.throws(() => store.runFile('../../etc/passwd'), /Not a run id/);
    await assert.rejects(store.readResultText('x', { file: '../secret', bytes: 1 }), /Not a result file name/);
    await store.close();
  });
});

/** A process identity of a process that has ended. */
function deadProcess(): ProcessIdentity {
  return { ...currentProcess(), pid: spawnSync(process.execPath, ['-e', '0']).pid!, startTicks: 1 };
}

/** A run left Running by a host that died (`owner`), its Running in its journal and index. */
async function runOfDeadHost(store: EmbeddedStore, owner: ProcessIdentity = deadProcess()): Promise<RunHandle> {
  const run = await store.createRun(newRun({ owner }));
  const running = state('Running');
  await run.append([{ k: 'state', runId: run.id, name: running.name, ts: running.timestamp }]);
  await run.setState(running);
  return run;
}

describe('run store: the index', T, () => {
  it('marks a non-terminal run whose owner is gone as Crashed on open, and leaves live owners alone', async () => {
    const home = tempDir();
    const store = await openStore(home);
    const gone = await runOfDeadHost(store);
    const alive = await store.createRun(newRun());
    await alive.setState(state('Running'));
    await store.close();
    const reopened = await openStore(home);
    assert.equal((await reopened.get(gone.id))!.state.name, 'Crashed');
    assert.equal((await reopened.get(gone.id))!.state.message, CRASHED_HOST_MESSAGE);
    assert.equal((await reopened.get(alive.id))!.state.name, 'Running');
    // Recorded in the journal too, so the run's history says so.
    assert.deepEqual((await reopened.readRun(gone.id))!.states.map((s) => s.name), ['Pending', 'Running', 'Crashed']);
    await reopened.close();
  });

  it("two stores marking a dead host's run at once: one Crashed record in its journal", async () => {
    const home = tempDir();
    const store = await openStore(home);
    const gone = await runOfDeadHost(store);
    await store.close();
    // As the editor, serve and a CLI command opening the store around the same time.
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => openStore(home, { detectCrashed: false })));
    const marked = (await Promise.all([a!, b!, c!].map((s) => s.markCrashed()))).flat();
    const states = () => readFileSync(join(home, 'runs', `${gone.id}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { k: string; name?: string }).filter((r) => r.k === 'state').map((r) => r.name);
    assert.deepEqual(states(), ['Running', 'Crashed']);
    assert.deepEqual(marked, [gone.id], 'one of them marked it');
    for (const s of [a!, b!, c!]) {
      await s.refresh();
      assert.equal((await s.get(gone.id))!.state.name, 'Crashed');
    }
    await Promise.all([a!, b!, c!].map((s) => s.close()));
    // Opened again (its markers gone), nothing more is written.
    const again = await openStore(home);
    assert.deepEqual(await again.markCrashed(), []);
    assert.deepEqual(states(), ['Running', 'Crashed']);
    await again.close();
  });

  // Found on review: the process that claimed marking a run, then found it taken up by a live process,
  // kept the claim; that process dying in the same attempt, the run was never marked (Running for ever).
  it("a run found taken up by a live process after its crash was claimed is marked once that process dies too", async () => {
    const home = tempDir();
    const store = await openStore(home);
    const deadOwner = deadProcess();
    const run = await runOfDeadHost(store, deadOwner);
    const running = state('Running');
    await store.close();
    const marker = await openStore(home, { detectCrashed: false });
    const taker = await openStore(home, { detectCrashed: false });
    // Taken up by a live process (this one) in the same attempt after the marker last read the index.
    await taker.setRunState(run.id, running, { owner: currentProcess(), attempt: 1 });
    assert.deepEqual(await marker.markCrashed(), [], 'a live process holds it');
    // Its taker dies in that attempt: the marker marks it.
    await taker.setRunState(run.id, running, { owner: deadOwner, attempt: 1 });
    await marker.refresh();
    assert.deepEqual(await marker.markCrashed(), [run.id]);
    assert.equal((await marker.get(run.id))!.state.name, 'Crashed');
    await Promise.all([marker.close(), taker.close()]);
  });

  it('treats a reused PID as a different process (start time differs)', async () => {
    const store = await openStore(tempDir());
    const h = await store.createRun(newRun({ owner: { ...currentProcess(), startTicks: (currentProcess().startTicks ?? 0) + 12345 } }));
    await h.setState(state('Running'));
    if (currentProcess().startTicks === undefined) assert.deepEqual(await store.markCrashed(), []);
    else assert.deepEqual(await store.markCrashed(), [h.id]);
    await store.close();
  });

  it('opened read-only, shows a dead owner\'s run as Crashed without writing anything', async () => {
    const home = tempDir();
    const store = await openStore(home);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const h = await store.createRun(newRun({ owner: { ...currentProcess(), pid: dead, startTicks: 1 } }));
    await h.setState(state('Running'));
    await store.close();
    const listing = () => readdirSync(join(home, 'runs')).sort().map((f) => `${f}:${statSync(join(home, 'runs', f)).size}`);
    const before = listing();
    const ro = await openStore(home, { readOnly: true });
    assert.equal((await ro.get(h.id))!.state.name, 'Crashed');
    await assert.rejects(ro.createRun(newRun()), /read-only/);
    assert.deepEqual(listing(), before);
    await ro.close();
    // A folder that does not exist is an empty history, and stays nonexistent.
    const none = join(tempDir(), 'never-made');
    const empty = await openStore(none, { readOnly: true });
    assert.equal(await empty.count(), 0);
    assert.throws(() => statSync(none));
  });

  it('picks up runs other processes add (refresh) and survives compaction by another process', async () => {
    const home = tempDir();
    const a = await openStore(home);
    const b = await openStore(home);
    const first = await a.createRun(newRun());
    assert.deepEqual(await b.refresh(), [first.id]);
    for (let i = 0; i < 20; i++) await first.setState(state(i % 2 ? 'Running' : 'Pending'));
    await first.setState(state('Completed'));
    assert.equal(await a.compact(), true);
    const second = await b.createRun(newRun());
    const changed = await a.refresh();
    assert.ok(changed.includes(second.id));
    await b.refresh();
    assert.equal((await b.get(first.id))!.state.name, 'Completed');
    assert.deepEqual((await a.list()).map((r) => r.id).sort(), [first.id, second.id].sort());
    const files = readdirSync(join(home, 'runs')).filter((f) => /^(index|snapshot)-/.test(f));
    assert.ok(files.some((f) => f.startsWith('snapshot-')), files.join(', '));
    await a.close();
    await b.close();
  });

  it('deletes runs with their subflows and journals, and prunes to a history limit', async () => {
    const home = tempDir();
    const store = await openStore(home);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const h = await store.createRun(newRun({ state: state('Pending', undefined, 1000 + i) }));
      await h.setState(state('Completed'));
      ids.push(h.id);
    }
    const child = await store.createRun(newRun({ parentRunId: ids[0]! }));
    await child.setState(state('Completed'));
    const running = await store.createRun(newRun());
    await running.setState(state('Running'));
    assert.deepEqual((await store.delete([ids[0]!, running.id])).sort(), [ids[0]!, child.id].sort());
    assert.throws(() => statSync(store.runFile(child.id)));
    const pruned = await store.prune(2);
    assert.deepEqual(pruned.sort(), [ids[1]!, ids[2]!].sort());
    assert.deepEqual((await store.list({ rootsOnly: true })).map((r) => r.id), [running.id, ids[4]!, ids[3]!]);
    await store.close();
    const reopened = await openStore(home, { detectCrashed: false });
    assert.equal(await reopened.count(), 3);
    await reopened.close();
  });

  it('finds a run by id, name or unique id prefix, and says when a prefix is ambiguous', async () => {
    const store = await openStore(tempDir());
    const h = await store.createRun(newRun());
    assert.equal((await store.resolve(h.id)).run!.id, h.id);
    assert.equal((await store.resolve(h.name)).run!.id, h.id);
    assert.equal((await store.resolve(h.id.slice(0, 8))).run!.id, h.id);
    const many = await Promise.all(Array.from({ length: 40 }, () => store.createRun(newRun())));
    const byFirst = new Map<string, number>();
    for (const r of [h, ...many]) byFirst.set(r.id[0]!, (byFirst.get(r.id[0]!) ?? 0) + 1);
    const shared = [...byFirst].find(([, n]) => n > 1)![0];
    // Prefixes shorter than 4 characters are never guessed at: one that starts ids is said to be too short.
    assert.deepEqual(await store.resolve(shared), { tooShort: true });
    await store.close();
  });

  it("reads a claim written before claims named a nonce (its owner alone): a dead owner's is taken over, a live one's stands until it is given back", async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home);
    try {
      const claims = join(home, 'runs', 'claims');
      mkdirSync(claims, { recursive: true });
      const gone = spawnSync(process.execPath, ['-e', '0']).pid;
      writeFileSync(join(claims, 'attempt_run-1_2'), JSON.stringify({ ...currentProcess(), pid: gone, startTicks: 1 }));
      writeFileSync(join(claims, 'attempt_run-2_2'), JSON.stringify(currentProcess()));
      assert.equal(await store.claim('attempt:run-1:2'), true, "a dead owner's claim is taken over");
      assert.equal(await store.claim('attempt:run-1:2'), false, 'and is then this live process\'s');
      assert.equal(await store.claim('attempt:run-2:2'), false, "a live owner's claim stands");
      await store.unclaim('attempt:run-2:2');
      assert.equal(existsSync(join(claims, 'attempt_run-2_2')), false, 'its owner gives it back');
    } finally {
      await store.close();
    }
  });

  it('reads a 0.1.0 store: its index, journals and plain-JSON results', async () => {
    const home = tempDir();
    const runs = join(home, 'runs');
    mkdirSync(runs, { recursive: true });
    const id = '11111111-2222-3333-4444-555555555555';
    const owner = { pid: 1, hostname: 'elsewhere' };
    const summary = { id, name: 'old-otter', flowName: 'legacy', source: '/l.flow.ts', parameters: { a: 1 }, state: { type: 'PENDING', name: 'Pending', timestamp: 1 }, created: 1, owner };
    writeFileSync(join(runs, 'index.jsonl'), `${JSON.stringify({ k: 'run', ...summary })}\n${JSON.stringify({ k: 'state', id, state: { type: 'COMPLETED', name: 'Completed', timestamp: 3 }, startTime: 2, endTime: 3 })}\n`);
    writeFileSync(
      join(runs, `${id}.jsonl`),
      [
        { k: 'run', ...summary },
        { k: 'state', state: { type: 'RUNNING', name: 'Running', timestamp: 2 } },
        { k: 'task', id: 't1', name: 'fetch-0', task: 'fetch', ts: 2 },
        { k: 'tstate', id: 't1', state: { type: 'COMPLETED', name: 'Completed', timestamp: 3 }, attempt: 1 },
        { k: 'log', ts: 2, level: 'INFO', source: 'Flow run', msg: 'hello from 0.1.0', task: 't1' },
        { k: 'result', value: { stars: 42 } },
        { k: 'state', state: { type: 'COMPLETED', name: 'Completed', timestamp: 3 } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const store = await openStore(home);
    const detail = (await store.readRun(id))!;
    assert.equal(detail.state.name, 'Completed');
    assert.deepEqual(detail.parameters, { a: 1 });
    assert.equal(detail.taskRuns[0]!.taskName, 'fetch');
    assert.deepEqual((await logsOf(store, id)).map((l) => [l.message, l.taskRunId]), [['hello from 0.1.0', 't1']]);
    const { valueOf } = await import('../support/engine');
    assert.deepEqual(valueOf(detail), { stars: 42 });
    // A compaction folds the old index in; the run is still there afterwards.
    assert.equal(await store.compact(), true);
    assert.ok(!readdirSync(runs).includes('index.jsonl'));
    await store.close();
    const again = await openStore(home);
    assert.equal((await again.get(id))!.state.name, 'Completed');
    await again.close();
  });
});

describe('run store: privacy', T, () => {
  it('keeps the store private to its user: folders 0700, files 0600, also an older store opened again', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'runs'), { recursive: true, mode: 0o755 });
    const store = await openStore(home);
    const h = await store.createRun(newRun());
    await h.close();
    await store.cache.put('k', '[1]');
    await store.kv.set('ns', 'k', { v: 1 });
    await store.close();
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
    for (const path of [home, ...walk(home)]) {
      const mode = statSync(path).mode & 0o777;
      assert.equal(mode & 0o077, 0, `${path} is ${mode.toString(8)}`);
    }
  });
});

describe('result cache and key-value store', T, () => {
  // Expiry by the clock is in the contract suite (storeContract.ts), for both stores.
  it('never writes a cache key itself', async () => {
    const home = tempDir();
    const store = await openStore(home);
    await store.cache.put('task:secret-key-material', '["v"]', Date.now() + 60_000);
    assert.equal(await store.cache.get('task:secret-key-material'), '["v"]');
    for (const f of readdirSync(join(home, 'cache'))) assert.ok(!readFileSync(join(home, 'cache', f), 'utf8').includes('secret-key-material'));
    await store.kv.set('etags', 'https://x/secret-key-material', 'W/"1"');
    assert.equal(await store.kv.get('etags', 'https://x/secret-key-material'), 'W/"1"');
    assert.equal(await store.kv.get('etags', 'other'), undefined);
    await store.close();
  });

  it('keeps each namespace apart, whatever its characters, and writes no namespace as a folder name; entries of the old folder layout are still read', async () => {
    const home = tempDir();
    const store = await openStore(home);
    await store.kv.set('a b', 'k', 'spaced');
    assert.equal(await store.kv.get('a_b', 'k'), undefined, "'a_b' is not 'a b'");
    await store.kv.set('a_b', 'k', 'underscored');
    assert.deepEqual([await store.kv.get('a b', 'k'), await store.kv.get('a_b', 'k')], ['spaced', 'underscored']);
    await store.kv.set('ghp_secretnamespace0123456789', 'k', 1);
    assert.deepEqual(readdirSync(join(home, 'kv')).filter((f) => !/^ns-[0-9a-f]{40}$/.test(f)), [], 'folders named by hash only');
    // A store an older Flowdeck wrote: kv/<namespace>/<key hash>.json.
    mkdirSync(join(home, 'kv', 'etags'), { recursive: true });
    writeFileSync(join(home, 'kv', 'etags', `${keyHash('https://x/a').slice(0, 40)}.json`), JSON.stringify({ keyHash: keyHash('https://x/a'), value: 'W/"old"' }));
    assert.equal(await store.kv.get('etags', 'https://x/a'), 'W/"old"');
    await store.kv.set('etags', 'https://x/a', 'W/"new"');
    assert.equal(await store.kv.get('etags', 'https://x/a'), 'W/"new"');
    await store.close();
  });

  it('purges expired entries at most once a day', async () => {
    let now = Date.now();
    const home = tempDir();
    const store = await openStore(home, { clock: { now: () => now } });
    await store.cache.put('a', '[1]', now + 10);
    await store.cache.purgeDaily();
    now += 60_000;
    await store.cache.purgeDaily();
    assert.equal(readdirSync(join(home, 'cache')).filter((f) => f.endsWith('.dv')).length, 1, 'purged twice in a day');
    const marker = join(home, 'cache', '.purged');
    utimesSync(marker, new Date(now - 2 * 86_400_000), new Date(now - 2 * 86_400_000));
    await store.cache.purgeDaily();
    assert.equal(readdirSync(join(home, 'cache')).filter((f) => f.endsWith('.dv')).length, 0);
    await store.close();
  });
});

describe('run store: a long-lived reader', T, () => {
  it('notices a run whose owner died after the store was opened, and a killed CLI run turns Crashed keeping its logs', async () => {
    const home = tempDir();
    const ws = workspace({ 'slow.flow.ts': flowSource(`export default flow({ name: 'slow' }, async () => { getRunLogger().info('started'); await new Promise((r) => setTimeout(r, 60_000)); });`) });
    const reader = await openStore(home);
    const child = spawn(process.execPath, [CLI, 'run', join(ws, 'slow.flow.ts')], { cwd: ROOT, env: { ...process.env, FLOWDECK_HOME: home }, stdio: 'ignore' });
    let run: FlowRunSummary | undefined;
    await waitFor(async () => {
      await reader.refresh();
      run = (await reader.list())[0];
      return run !== undefined && run.state.name === 'Running' && (await logsOf(reader, run.id)).some((l) => l.message === 'started');
    }, 'the CLI run to start');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    await waitFor(async () => (await reader.markCrashed()).includes(run!.id), 'the killed run to be marked Crashed');
    assert.equal((await reader.get(run!.id))!.state.name, 'Crashed');
    assert.ok((await logsOf(reader, run!.id)).some((l) => l.message === 'started'));
    await reader.close();
  });
});

describe('run store: a full disk', T, () => {
  it('a claim and a run whose name cannot be written fail saying why, leave no file open nor half made, and the claim is made once there is room', async (t) => {
    if (process.platform !== 'linux') return t.skip('reads the open files from /proc/self/fd');
    const probe = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt && echo ok'], { encoding: 'utf8' });
    if (probe.stdout.trim() !== 'ok') return t.skip(`a private tmpfs cannot be mounted here (unshare -rm: ${probe.stderr.trim() || probe.status})`);
    const script = join(tempDir(), 'script.ts');
    // The store opens on a 256 KB file system, which a filler then takes whole: files can still be created
    // (the claim, the run's name), not written. A file left open would be closed by the garbage collector,
    // which Node 26 turns into an uncaught error that ends the process.
    writeFileSync(
      script,
      `import { appendFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { EmbeddedStore } from ${JSON.stringify(join(ROOT, 'src/engine/embeddedStore'))};
const openFiles = () => readdirSync('/proc/self/fd').map((n) => { try { return readlinkSync('/proc/self/fd/' + n); } catch { return ''; } }).filter((p) => p.startsWith('/mnt/'));
(async () => {
  const store = await EmbeddedStore.open('/mnt/home');
  const before = openFiles();
  try { for (;;) appendFileSync('/mnt/filler', Buffer.alloc(4096)); } catch {}
  const outcome = (p: Promise<unknown>) => p.then(() => 'done', (e: Error) => e.message);
  const claim = await outcome(store.claim('resume:run-1:2'));
  const create = await outcome(store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} }));
  const after = openFiles();
  const left = [...readdirSync('/mnt/home/runs/claims'), ...readdirSync('/mnt/home/runs/names')];
  rmSync('/mnt/filler');
  const again = await outcome(store.claim('resume:run-1:2'));
  console.log(JSON.stringify({ before, claim, create, after, left, again }));
  process.exit(0);
})();`,
    );
    const mount = `mount -t tmpfs -o size=256k tmpfs /mnt && exec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(script)}`;
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', mount], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    const { before, claim, create, after, left, again } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string | string[]>;
    assert.match(claim as string, /no space left on the device \(ENOSPC\)/);
    assert.match(create as string, /no space left on the device \(ENOSPC\)/);
    assert.deepEqual(after, before, 'no file of the store is left open');
    assert.deepEqual(left, [], 'no claim nor name is left half made');
    assert.equal(again, 'done', 'the claim is made once there is room');
  });
});
