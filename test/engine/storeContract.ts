/**
 * The contract every run store backend keeps, as one suite: `storeContract(backend)` and
 * `scheduleAndLimitContract(backend)` register the same tests for a backend (test/engine/embeddedStore.contract.test.ts, pgStore.contract.test.ts). Each test
 * gets a fresh, empty store location ("space") and may open it several times, as several processes would.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/engine/clock';
import { HistoryPruner } from '../../src/engine/historyRetention';
import { crashNoticeClaimKey, crashNoticeKey, crashTold } from '../../src/engine/notify/crashedUnwatched';
import { endNotTold, endsUntold, endTold, endToTell } from '../../src/engine/notify/endNotices';
import { pauseNotTold, pausesUntold, pauseTold, pauseToTell } from '../../src/engine/notify/pauseNotices';
import type { LogRecord, PauseInfo, RunRecord } from '../../src/engine/records';
import { attemptKey } from '../../src/engine/resumePlan';
import type { NewRun, RunHandle, RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { closingHandles, logsOf, valueOf, waitFor } from '../support/engine';

export interface StoreSpace {
  /** Opens the space's store (another instance each call, as another process would). */
  open(options?: { clock?: Clock; readOnly?: boolean }): Promise<RunStore>;
  /**
   * A run, Running, whose owning process is gone (crashed without a word); `journal`: the records (for the
   * run's id) its owner appended to its journal last, the index never told of them.
   */
  deadOwnerRun(store: RunStore, run: NewRun, journal?: (runId: string) => RunRecord[]): Promise<string>;
  /**
   * Runs `body` (JavaScript, with `store` open on the space) in a process of its own that then dies
   * without closing the store; resolves with what it printed, once the store counts it dead.
   */
  inDeadProcess(body: string): Promise<string>;
}

export interface StoreBackend {
  name: string;
  /** Set when the backend cannot be tested here: the suite is skipped saying why. */
  skip?: string;
  space(): Promise<StoreSpace>;
}

/**
 * A whole suite's bound (its tests each have the runner's own): ~45 tests take 16–30 s on Postgres, and
 * over 60 s on a 2-core machine loaded by the rest of the suite and other work.
 */
const T = { timeout: 300_000 };

function newRun(over: Partial<NewRun> = {}): NewRun {
  return { flowName: 'f', source: '/x.flow.ts', parameters: { p: 1 }, ...over };
}

const log = (runId: string, message: string, ts = 1, taskRunId?: string): RunRecord => ({ k: 'log', runId, ts, level: 'INFO', source: 's', message, ...(taskRunId ? { taskRunId } : {}) });

/** Every store opened by a test is closed when it ends, also when it fails, its run handles first (closingHandles). */
export async function withSpace(backend: StoreBackend, body: (space: StoreSpace, open: StoreSpace['open']) => Promise<void>): Promise<void> {
  const space = await backend.space();
  const opened: RunStore[] = [];
  const open: StoreSpace['open'] = async (options) => {
    const s = closingHandles(await space.open(options));
    opened.push(s);
    return s;
  };
  try {
    await body(space, open);
  } finally {
    for (const s of opened.reverse()) await s.close().catch(() => undefined);
  }
}

async function finished(store: RunStore, over: Partial<NewRun> = {}, end: 'Completed' | 'Failed' = 'Completed'): Promise<RunHandle> {
  const h = await store.createRun(newRun(over));
  await h.setState(state('Running'));
  await h.append([{ k: 'state', runId: h.id, name: end, ts: Date.now() }]);
  await h.setState(state(end), { endTime: Date.now() });
  return h;
}

export function storeContract(backend: StoreBackend): void {
  const opts = { ...T, ...(backend.skip !== undefined ? { skip: backend.skip } : {}) };

  describe(`run store contract: ${backend.name}`, opts, () => {
    it("reads a run's parameters alone, whole, however long and whatever characters they hold", async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        // Two- and four-byte characters over many of the reader's 64 KB reads: some straddle two reads.
        const notes = 'é😀'.repeat(70_000);
        const h = await store.createRun(newRun({ parameters: { notes, n: 3 } }));
        await h.append(Array.from({ length: 200 }, (_, i) => log(h.id, `line ${i}`)));
        await h.close();
        const other = await open();
        const read = await other.parametersOf(h.id);
        assert.equal(read?.n, 3);
        assert.equal((read?.notes as string).length, notes.length);
        assert.ok(read?.notes === notes, 'the text comes back unchanged');
        assert.equal(await other.parametersOf('no-such-run'), undefined);
      });
    });

    it('creates a run from details that come later (its flow loading), and nothing from details refused', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        let give!: (run: NewRun) => void;
        const later = store.createRun(new Promise<NewRun>((r) => (give = r)));
        give(newRun({ flowName: 'came-later', parameters: { n: 7 } }));
        const h = await later;
        assert.equal(h.created.flowName, 'came-later');
        await h.close();
        await assert.rejects(store.createRun(Promise.reject(new Error('the flow did not load'))), /the flow did not load/);
        const other = await open();
        assert.deepEqual((await other.list()).map((r) => [r.id, r.flowName]), [[h.id, 'came-later']]);
        assert.deepEqual(await other.parametersOf(h.id), { n: 7 });
      });
    });

    it('creates a run with the id its caller chose ahead; refuses an id taken or not a UUID, making nothing', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const id = randomUUID();
        const h = await store.createRun(newRun({ flowName: 'chosen' }), { id });
        assert.equal(h.id, id);
        await h.close();
        await assert.rejects(store.createRun(newRun({ flowName: 'again' }), { id }));
        await assert.rejects(store.createRun(newRun({ flowName: 'bad' }), { id: '../x' }), /A new run's id is a UUID/);
        const other = await open();
        assert.deepEqual((await other.list()).map((r) => [r.id, r.flowName]), [[id, 'chosen']]);
      });
    });

    it("keeps a run's tags, read back by another instance, lists runs by tags (every one given) and the tags top-level runs carry", async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        assert.deepEqual(await store.tags(), []);
        const nightly = await store.createRun(newRun({ flowName: 'etl', tags: ['etl', 'nightly-7'] }));
        const manual = await store.createRun(newRun({ flowName: 'etl', tags: ['etl'] }));
        const plain = await store.createRun(newRun({ flowName: 'plain' }));
        const sub = await store.createRun(newRun({ flowName: 'sub', parentRunId: nightly.id, tags: ['child'] }));
        for (const h of [nightly, manual, plain, sub]) await h.close();
        // Most carried first; a subflow run's are not counted (the Runs view filters top-level runs).
        assert.deepEqual(await (await open()).tags(), [{ tag: 'etl', runs: 2 }, { tag: 'nightly-7', runs: 1 }]);
        const other = await open();
        assert.deepEqual((await other.get(nightly.id))?.tags, ['etl', 'nightly-7']);
        assert.equal((await other.get(plain.id))?.tags, undefined);
        assert.deepEqual((await other.readRun(nightly.id))?.tags, ['etl', 'nightly-7'], 'in its journal too');
        // (A tag no run name can hold part of: names are two words of letters, `knightly-newt`.)
        const ids = async (tags: string[]) => (await other.list({ tags })).map((r) => r.id).sort();
        assert.deepEqual(await ids(['etl']), [nightly.id, manual.id].sort());
        assert.deepEqual(await ids(['etl', 'nightly-7']), [nightly.id]);
        assert.deepEqual(await ids(['nightly-7', 'weekly']), []);
        assert.equal(await other.count({ tags: ['etl'] }), 2);
        assert.deepEqual((await other.list({ tags: [] })).length, 4, 'no tags given: no filter');
        assert.deepEqual((await other.list({ search: 'HTLY-7' })).map((r) => r.id), [nightly.id], 'a search finds part of a tag, any case');
      });
    });

    it('counts the runs a filter keeps by flow, in one question (the Runs view groups a filtered history by flow)', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const made = [
          await store.createRun(newRun({ flowName: 'etl', tags: ['nightly'] })),
          await store.createRun(newRun({ flowName: 'etl', tags: ['nightly'] })),
          await store.createRun(newRun({ flowName: 'etl' })),
          await store.createRun(newRun({ flowName: 'report', tags: ['nightly'] })),
          await store.createRun(newRun({ flowName: 'plain' })),
        ];
        const sub = await store.createRun(newRun({ flowName: 'report', parentRunId: made[0]!.id, tags: ['nightly'] }));
        for (const h of [...made, sub]) await h.close();
        const other = await open();
        assert.deepEqual([...(await other.flowCounts({ rootsOnly: true, tags: ['nightly'] }))].sort(), [['etl', 2], ['report', 1]]);
        assert.deepEqual([...(await other.flowCounts({ tags: ['nightly'] }))].sort(), [['etl', 2], ['report', 2]], 'subflow runs too when not rootsOnly');
        assert.deepEqual([...(await other.flowCounts({ rootsOnly: true, flowNames: ['plain'] }))], [['plain', 1]]);
        assert.deepEqual([...(await other.flowCounts({ rootsOnly: true, search: 'no-such-thing' }))], []);
      });
    });

    it('creates a run that lists, resolves and reads back with its parameters, states and journal', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const h = await store.createRun(newRun({ parameters: { repo: 'a/b', n: 2 } }));
        assert.equal(h.created.parameters.repo, 'a/b');
        const running = state('Running');
        await h.append([
          { k: 'state', runId: h.id, name: 'Running', ts: running.timestamp },
          { k: 'task', runId: h.id, id: 't1', name: 'fetch-0', taskName: 'fetch', ts: running.timestamp, call: { key: 'fetch#0', argsHash: 'h' } },
          { k: 'tstate', runId: h.id, id: 't1', name: 'Running', ts: running.timestamp },
          log(h.id, 'fetching', running.timestamp, 't1'),
          { k: 'result', runId: h.id, taskRunId: 't1', value: [42] },
          { k: 'tstate', runId: h.id, id: 't1', name: 'Completed', ts: running.timestamp + 1 },
          log(h.id, 'done', running.timestamp + 2),
          { k: 'result', runId: h.id, value: ['ok'] },
        ]);
        await h.setState(running, { startTime: running.timestamp, attempt: 1 });
        const end = state('Completed');
        await h.append([{ k: 'state', runId: h.id, name: 'Completed', ts: end.timestamp }]);
        await h.setState(end, { startTime: running.timestamp, endTime: end.timestamp });
        await h.close();

        const other = await open();
        const listed = await other.list();
        assert.deepEqual(listed.map((r) => [r.id, r.name, r.state.name]), [[h.id, h.name, 'Completed']]);
        assert.equal(listed[0]!.seq, 2);
        assert.equal(listed[0]!.startTime, running.timestamp);
        assert.equal(listed[0]!.endTime, end.timestamp);
        assert.equal(await other.count(), 1);
        assert.equal((await other.resolve(h.name)).run?.id, h.id);
        assert.equal((await other.get(h.id.slice(0, 8)))?.id, h.id);
        assert.deepEqual(await other.parametersOf(h.id), { repo: 'a/b', n: 2 });
        const detail = (await other.readRun(h.id))!;
        assert.deepEqual(detail.states.map((s) => s.name), ['Pending', 'Running', 'Completed']);
        assert.equal(detail.taskRuns.length, 1);
        assert.equal(detail.taskRuns[0]!.state.name, 'Completed');
        assert.deepEqual(valueOf(detail.taskRuns[0]!), 42);
        assert.deepEqual(valueOf(detail), 'ok');
        assert.equal(detail.skippedRecords, 0);
        assert.deepEqual((await logsOf(other, h.id)).map((l) => l.message), ['fetching', 'done']);
        const taskLogs: string[] = [];
        await other.readLogs(h.id, (logs) => void taskLogs.push(...logs.map((l) => l.message)), { taskRunId: 't1' });
        assert.deepEqual(taskLogs, ['fetching']);
        assert.deepEqual(await other.readLogs('no-such-run', () => undefined), { found: false });
        assert.equal(await other.readRun('no-such-run'), undefined);
      });
    });

    // The editor finds the subflow run that failed a run by this id (failedSubflowOf): a store that dropped
    // it (from its journal's reading, its index or its state column) left it guessing from the message.
    it('keeps the subflow run that failed a flow run on its Failed state: read back from its journal, listed, by another instance', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const parent = await store.createRun(newRun());
        const sub = await store.createRun(newRun({ parentRunId: parent.id }));
        await parent.setState(state('Running'));
        const end = { ...state('Failed', `Subflow run '${sub.name}' ended in state Failed('broke')`), subflowRunId: sub.id };
        // The worker's line, as the host writes it.
        await parent.appendText(`${JSON.stringify({ k: 'state', runId: parent.id, name: 'Failed', ts: end.timestamp, message: end.message, subflowRunId: sub.id })}\n`);
        await parent.setState(end, { endTime: end.timestamp });
        await parent.close();

        const other = await open();
        assert.equal((await other.get(parent.id))?.state.subflowRunId, sub.id, 'listed');
        assert.equal((await other.list({ parentRunId: undefined })).find((r) => r.id === parent.id)?.state.subflowRunId, sub.id);
        const detail = (await other.readRun(parent.id))!;
        assert.equal(detail.state.subflowRunId, sub.id, "read back from the run's journal");
        assert.equal(detail.states.at(-1)?.subflowRunId, sub.id);
        assert.equal((await other.readRunParts(parent.id))?.detail.state.subflowRunId, sub.id);
      });
    });

    it('keeps journal text exactly as appended, batch after batch, in order', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const h = await store.createRun(newRun());
        // The worker's lines are stored as they came (masked there); many small appends in flight at once.
        await Promise.all(Array.from({ length: 200 }, (_, i) => h.appendText(`${JSON.stringify(log(h.id, `line ${i}`, i))}\n`)));
        await h.appendText(`${JSON.stringify(log(h.id, 'a'))}\n${JSON.stringify(log(h.id, 'b'))}\n`);
        // In pieces, as the worker's ready-made lines come: text and bytes, each piece whole lines.
        const text = (m: string) => `${JSON.stringify(log(h.id, m))}\n`;
        await h.appendText([text('c'), Buffer.from(text('d – ü') + text('e'), 'utf8'), text('f') + text('g')]);
        await h.flush();
        const messages = (await logsOf(store, h.id)).map((l) => l.message);
        assert.deepEqual(messages, [...Array.from({ length: 200 }, (_, i) => `line ${i}`), 'a', 'b', 'c', 'd – ü', 'e', 'f', 'g']);
      });
    });

    it('takes the index as authoritative for the latest state (a crash mark written only there)', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const h = await store.createRun(newRun());
        await h.append([{ k: 'state', runId: h.id, name: 'Running', ts: 10 }]);
        await h.setState(state('Running', undefined, 10));
        await h.setState(state('Crashed', 'host process ended', 20), { endTime: 20 });
        const detail = (await store.readRun(h.id))!;
        assert.deepEqual(detail.states.map((s) => s.name), ['Pending', 'Running', 'Crashed']);
        assert.equal(detail.seq, 2);
        assert.equal(detail.endTime, 20);
      });
    });

    it('lists newest first with every filter, pages, and counts the same way', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const a = await finished(store, { flowName: 'alpha1', state: state('Pending', undefined, 1000) }, 'Failed');
        const b = await finished(store, { flowName: 'beta1', state: state('Pending', undefined, 2000) }, 'Completed');
        const c = await store.createRun(newRun({ flowName: 'alpha1', state: state('Pending', undefined, 3000) }));
        await c.setState(state('Running'));
        const child = await store.createRun(newRun({ flowName: 'sub_flow', parentRunId: c.id, state: state('Pending', undefined, 3500) }));
        assert.deepEqual((await store.list()).map((r) => r.id), [child.id, c.id, b.id, a.id]);
        assert.deepEqual((await store.list({ rootsOnly: true })).map((r) => r.id), [c.id, b.id, a.id]);
        assert.deepEqual((await store.list({ parentRunId: c.id })).map((r) => r.id), [child.id]);
        assert.deepEqual((await store.list({ flowNames: ['alpha1'] })).map((r) => r.id), [c.id, a.id]);
        assert.deepEqual((await store.list({ stateTypes: ['RUNNING'] })).map((r) => r.id), [c.id]);
        // Run names are letters and hyphens only: a search with a digit matches flow names alone.
        assert.deepEqual((await store.list({ search: 'HA1' })).map((r) => r.id), [c.id, a.id]);
        // `_` is a letter to search for, not a wildcard.
        assert.deepEqual((await store.list({ search: 'b_f' })).map((r) => r.id), [child.id]);
        assert.ok((await store.list({ search: b.name.toUpperCase() })).some((r) => r.id === b.id));
        assert.deepEqual((await store.list({ rootsOnly: true, limit: 1, offset: 1 })).map((r) => r.id), [b.id]);
        assert.equal(await store.count({ rootsOnly: true, flowNames: ['alpha1'] }), 2);
        assert.equal(await store.count({ stateTypes: ['COMPLETED'] }), 1);
        // By a state's name (within a type), and names and types together: runs of either.
        assert.deepEqual((await store.list({ stateNames: ['Failed'] })).map((r) => r.id), [a.id]);
        assert.deepEqual((await store.list({ stateNames: ['TimedOut'] })).map((r) => r.id), []);
        assert.deepEqual((await store.list({ stateNames: ['Failed'], stateTypes: ['RUNNING'] })).map((r) => r.id), [c.id, a.id]);
        assert.equal(await store.count({ stateNames: ['Completed', 'Running'] }), 2);
        const flows = await store.flows();
        assert.deepEqual(flows.map((f) => [f.flowName, f.runs, f.last.id]), [['alpha1', 2, c.id], ['beta1', 1, b.id]]);
        assert.equal(store.hasUnfinishedRuns(), true);
      });
    });

    it('resolves by id, name or unique prefix; says when a prefix is ambiguous; never guesses from under 4 characters, and says a shorter one is too short', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const runs = await Promise.all(Array.from({ length: 40 }, () => store.createRun(newRun())));
        const byFirst = new Map<string, string[]>();
        for (const r of runs) byFirst.set(r.id[0]!, [...(byFirst.get(r.id[0]!) ?? []), r.id]);
        const [prefix, ids] = [...byFirst].find(([, v]) => v.length > 1)!;
        // Under 4 characters a prefix never picks a run: one that starts ids says it is too short, as for schedules.
        assert.deepEqual(await store.resolve(prefix), { tooShort: true });
        assert.deepEqual(await store.resolve(ids[0]!.slice(0, 3)), { tooShort: true });
        assert.deepEqual(await store.resolve('zz'), {});
        const longer = runs.find((r) => r.id === ids[0])!.id.slice(0, 12);
        assert.equal((await store.resolve(longer)).run?.id, ids[0]);
        assert.deepEqual(await store.resolve('zzzz'), {});
        const names = new Set(runs.map((r) => r.name));
        assert.equal(names.size, runs.length, 'run names are unique');
      });
    });

    it('gives a run the name its flow gives, numbered when taken by any instance; renames a run taken up; any characters are safe', async () => {
      await withSpace(backend, async (_space, open) => {
        const a = await open();
        const b = await open();
        // Created from details that come later (its flow loading), as a new run is.
        const first = await a.createRun(Promise.resolve(newRun({ name: 'report acme' })));
        assert.equal(first.name, 'report acme');
        const fromB = await b.createRun(newRun({ name: 'report acme' }));
        const third = await a.createRun(newRun({ name: 'report acme' }));
        assert.deepEqual([fromB.name, third.name], ['report acme-2', 'report acme-3']);
        // Names that are no file name, and one over a generated name's shape: each its own, read back whole.
        const odd = ['../../etc/passwd', '.', 'ünï/cödé ✓', 'a'.repeat(200)];
        const made = await Promise.all(odd.map((name) => b.createRun(newRun({ name }))));
        assert.deepEqual(made.map((h) => h.name), odd);
        await assert.rejects(a.createRun(newRun({ name: 'line\nbreak' })), /control characters/);
        await assert.rejects(a.createRun(newRun({ name: '   ' })), /non-empty/);

        // Created ahead with two random words, named once taken up: journal, index, resolve and other instances agree.
        const ahead = await a.createRun(newRun({ state: state('Scheduled', 'waiting') }));
        const random = ahead.name;
        await ahead.close();
        const taking = await a.openRun(ahead.id);
        const renamed = await taking.rename('report acme', 1234);
        assert.deepEqual(renamed, { k: 'name', runId: ahead.id, name: 'report acme-4', ts: 1234 });
        assert.equal(taking.name, 'report acme-4');
        await taking.append([log(ahead.id, 'after the name')]);
        await taking.close();
        await b.refresh();
        assert.equal((await b.readRun(ahead.id))!.name, 'report acme-4');
        assert.equal((await b.get(ahead.id))!.name, 'report acme-4');
        assert.equal((await b.resolve('report acme-4')).run?.id, ahead.id);
        assert.equal((await b.resolve(random)).run, undefined, 'the old name no longer names the run');
        await a.refresh();
        assert.deepEqual((await a.list({ search: 'report acme' })).map((r) => r.name).sort(), ['report acme', 'report acme-2', 'report acme-3', 'report acme-4']);
        // Two instances naming a run each the same at once: one name each, and both handles write on.
        const pair = await Promise.all([a.createRun(newRun({ state: state('Scheduled', 'waiting') })), b.createRun(newRun({ state: state('Scheduled', 'waiting') }))]);
        const racing = [await a.openRun(pair[0].id), await b.openRun(pair[1].id)];
        const raced = await Promise.all(racing.map((h) => h.rename('race', 1)));
        assert.deepEqual(raced.map((r) => r.name).sort(), ['race', 'race-2']);
        await Promise.all(racing.map((h) => h.append([log(h.id, 'still writing')])));
        // The old name stays claimed (log lines name the run by it): no new run gets it.
        const later = await Promise.all(Array.from({ length: 20 }, () => a.createRun(newRun())));
        assert.ok(later.every((h) => h.name !== random));
      });
    });

    it('gives a run tree parents first, subflows oldest first', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const root = await store.createRun(newRun({ state: state('Pending', undefined, 100) }));
        const s1 = await store.createRun(newRun({ parentRunId: root.id, state: state('Pending', undefined, 200) }));
        const s2 = await store.createRun(newRun({ parentRunId: root.id, state: state('Pending', undefined, 300) }));
        const s11 = await store.createRun(newRun({ parentRunId: s1.id, state: state('Pending', undefined, 400) }));
        assert.deepEqual((await store.runTree(root.id)).map((r) => r.id), [root.id, s1.id, s2.id, s11.id]);
        assert.deepEqual((await store.runTree(s1.id)).map((r) => r.id), [s1.id, s11.id]);
        assert.deepEqual(await store.runTree('nope'), []);
      });
    });

    it('claims a key for exactly one caller across store instances', async () => {
      await withSpace(backend, async (_space, open) => {
        const stores = [await open(), await open(), await open()];
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % 3]!.claim('resume:run-1:2')));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await stores[0]!.claim('resume:run-1:3'), true);
        await assert.rejects(stores[0]!.claim('has spaces'), /Not a claim key/);
        // Given back by its holder, a claim is free again, for one caller.
        assert.equal(await stores[0]!.claim('attempt:run-1:2'), true);
        assert.equal(await stores[1]!.claim('attempt:run-1:2'), false);
        await stores[0]!.unclaim('attempt:run-1:2');
        const again = await Promise.all(Array.from({ length: 9 }, (_, i) => stores[i % 3]!.claim('attempt:run-1:2')));
        assert.equal(again.filter(Boolean).length, 1);
      });
    });

    it("takes a dead holder's claim over for one caller of many; a live holder's claim stands", async () => {
      await withSpace(backend, async (space, open) => {
        const stores = [await open(), await open(), await open()];
        // A resume that claimed attempt 2 and died before taking the run over.
        const out = await space.inDeadProcess(`console.log('CLAIMED', await store.claim('attempt:run-9:2'));`);
        assert.match(out, /^CLAIMED true$/m);
        const takers = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 3]!.claim('attempt:run-9:2')));
        assert.equal(takers.filter(Boolean).length, 1, `one of 12 takes it over: ${takers.join(' ')}`);
        // Its new holder is alive: nobody else gets it, and it can give it back.
        const holder = stores[takers.indexOf(true) % 3]!;
        assert.equal(await stores[(takers.indexOf(true) + 1) % 3]!.claim('attempt:run-9:2'), false);
        await holder.unclaim('attempt:run-9:2');
        assert.equal(await stores[0]!.claim('attempt:run-9:2'), true);
      });
    });

    // A crashed run's notice is told by the serve that sets its mark: one that died after telling (its mark a
    // dead process's) must not have it taken over, as a claim is, and told again by the next serve.
    it('sets a mark for exactly one caller ever: never taken over once its setter died, gone with the run it names, and never set for a run gone', async () => {
      await withSpace(backend, async (space, open) => {
        const stores = [await open(), await open(), await open()];
        const one = await finished(stores[0]!);
        const nine = await finished(stores[0]!);
        await one.close();
        await nine.close();
        assert.equal(await stores[1]!.isMarked(`crash-notice:${one.id}`), false);
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % 3]!.markOnce(`crash-notice:${one.id}`)));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await stores[1]!.isMarked(`crash-notice:${one.id}`), true, 'every process sees the mark set');
        await assert.rejects(stores[0]!.markOnce('has spaces'), /Not a claim key/);
        const out = await space.inDeadProcess(`console.log('MARKED', await store.markOnce('crash-notice:${nine.id}:2'));`);
        assert.match(out, /^MARKED true$/m);
        const later = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 3]!.markOnce(`crash-notice:${nine.id}:2`)));
        assert.deepEqual(later.filter(Boolean), [], 'a dead setter’s mark stands');
        const gone = await finished(stores[0]!);
        const kept = await finished(stores[0]!);
        for (const h of [gone, kept]) assert.equal(await stores[0]!.markOnce(`crash-notice:${h.id}`), true);
        await gone.close();
        await kept.close();
        assert.deepEqual(await stores[0]!.delete([gone.id]), [gone.id]);
        assert.equal(await stores[1]!.isMarked(`crash-notice:${gone.id}`), false, 'its mark went with it');
        // A notice told as its run was deleted (by any process): a mark set then would outlive the run for good.
        assert.equal(await stores[1]!.markOnce(`crash-notice:${gone.id}`), false, 'no mark of a run gone');
        assert.equal(await stores[2]!.isMarked(`crash-notice:${gone.id}`), false, 'no mark of a run gone');
        assert.equal(await stores[1]!.markOnce(`crash-notice:${kept.id}`), false, "another run's mark stays");
      });
    });

    // A starting serve looked at the notice marks of 200 runs one key at a time (on Postgres 400 queries).
    it('says which of many keys are set, marks or claims, in one call, as isMarked says of each', async () => {
      await withSpace(backend, async (_space, open) => {
        const [a, b] = [await open(), await open()];
        const [one, two] = [await finished(a), await finished(a)];
        await one.close();
        await two.close();
        await a.markOnce(`end-notice:${one.id}:1`);
        await a.claim(`end-notice-claim:${one.id}:1`);
        await a.markOnce(`end-notice-told:${two.id}:1`);
        const keys = [`end-notice:${one.id}:1`, `end-notice-claim:${one.id}:1`, `end-notice-told:${one.id}:1`, `end-notice-told:${two.id}:1`, 'end-notice:run-3:1'];
        const set = await b.marked(keys);
        assert.deepEqual([...set].sort(), [`end-notice-claim:${one.id}:1`, `end-notice-told:${two.id}:1`, `end-notice:${one.id}:1`].sort());
        for (const k of keys) assert.equal(set.has(k), await b.isMarked(k), k);
        assert.deepEqual(await b.marked([]), new Set());
      });
    });

    // Each run told of leaves its notices' marks and claims (noticeMarks.ts, crashedUnwatched.ts): they must go
    // with the run — deleted, or pruned (`flowdeck prune`, serve --keep-runs) — its subflows' with them.
    it("deletes a run's notice marks and claims, its subflows' too, when it is deleted or pruned, and no other run's", async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const marksOf = (id: string): string[] => [
          `end-notice:${id}:1`,
          `end-notice-told:${id}:1`,
          `end-notice:${id}:2`,
          `end-notice-claim:${id}:2`,
          `crash-notice:${id}`,
          `crash-notice:${id}:2`,
          `crash-notice-claim:${id}:3`,
          `pause-notice:${id}:1:1700000000000`,
          `pause-notice-told:${id}:1:1700000000000`,
          `pause-notice-claim:${id}:2:1700000000001`,
        ];
        const mark = async (id: string): Promise<void> => {
          for (const k of marksOf(id)) assert.ok(await (k.includes('-claim:') ? store.claim(k) : store.markOnce(k)), k);
        };
        const made = async (at: number, parentRunId?: string): Promise<string> => {
          const h = await finished(store, { state: state('Pending', undefined, at), ...(parentRunId ? { parentRunId } : {}) }, 'Failed');
          await h.close();
          await mark(h.id);
          return h.id;
        };
        const deleted = await made(1000);
        const sub = await made(1001, deleted);
        const pruned = await made(1002);
        const kept = await made(1003);
        const left = async (ids: string[]): Promise<string[]> => [...(await (await open()).marked(ids.flatMap(marksOf)))].sort();
        assert.deepEqual((await store.delete([deleted])).sort(), [deleted, sub].sort());
        assert.deepEqual(await left([deleted, sub]), [], 'deleted with the run and its subflow');
        assert.deepEqual(await store.prune(1), [pruned]);
        assert.deepEqual(await left([pruned]), [], 'pruned with the run');
        assert.deepEqual(await left([kept]), marksOf(kept).sort(), "another run's stay");
      });
    });

    // A notice is told up to a minute after its run ended (held within its flow's minute, or retried against a
    // webhook that is down), and `serve --keep-runs` prunes a moment after runs end: a run pruned meanwhile had
    // its told mark set after it had gone, left in the store for good.
    it("leaves no mark of a notice told, or given up, after its run was deleted", async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const [told, givenUp, crashed] = [await finished(store, {}, 'Failed'), await finished(store, {}, 'Failed'), await finished(store, {}, 'Failed')];
        for (const h of [told, givenUp, crashed]) await h.close();
        const runs = { told: (await store.get(told.id))!, givenUp: (await store.get(givenUp.id))!, crashed: (await store.get(crashed.id))! };
        await endToTell(store, runs.told);
        await endToTell(store, runs.givenUp);
        assert.ok(await store.claim(crashNoticeClaimKey(crashed.id, 1)));
        assert.deepEqual((await store.delete([told.id, givenUp.id, crashed.id])).sort(), [told.id, givenUp.id, crashed.id].sort());
        await endTold(store, runs.told);
        await endNotTold(store, runs.givenUp);
        await crashTold(store, runs.crashed);
        const keys = [told.id, givenUp.id].flatMap((id) => [`end-notice:${id}:1`, `end-notice-claim:${id}:1`, `end-notice-told:${id}:1`]);
        keys.push(crashNoticeKey(crashed.id, 1), crashNoticeClaimKey(crashed.id, 1));
        assert.deepEqual([...(await (await open()).marked(keys))], []);
      });
    });

    // A serve killed before the webhook took a run's end notice left it held in memory alone, lost: the next
    // serve to start tells again each end that was to be told, not told, and not held by a live process.
    it('finds the ends to tell that were not told: left by a dead process, not those told, never to be told, or held by a live one', async () => {
      await withSpace(backend, async (space, open) => {
        const [a, b] = [await open(), await open()];
        const runs = { left: await finished(a, {}, 'Failed'), told: await finished(a, {}, 'Failed'), quiet: await finished(a), held: await finished(a, {}, 'Failed') };
        for (const h of Object.values(runs)) await h.close();
        const summary = async (h: RunHandle) => (await a.get(h.id))!;
        // As endToTell marks and claims it, in a process that then died.
        const out = await space.inDeadProcess(`await store.markOnce('end-notice:${runs.left.id}:1'); console.log('CLAIMED', await store.claim('end-notice-claim:${runs.left.id}:1'));`);
        assert.match(out, /^CLAIMED true$/m);
        await endToTell(a, await summary(runs.told));
        await endTold(a, await summary(runs.told));
        await endToTell(b, await summary(runs.held));
        assert.deepEqual((await endsUntold(a, Date.now())).map((r) => r.id), [runs.left.id]);
        assert.deepEqual(await endsUntold(b, Date.now()), [], 'claimed by a live process: not told by another');
      });
    });

    // A serve killed before the webhook took a pause's notice lost it, though the run still waited (suspended):
    // the next serve to start tells again each pause of a run still in it that was to be told and was not.
    it('finds the pauses to tell that were not told: left by a dead process, of runs still in that pause; not those told, held by a live one, or paused again since', async () => {
      await withSpace(backend, async (space, open) => {
        const [a, b] = [await open(), await open()];
        const suspended = async (): Promise<RunHandle> => {
          const h = await a.createRun(newRun());
          await h.setState(state('Running'));
          await h.setState(state('Suspended', 'Publish tonight?'));
          return h;
        };
        const runs = { left: await suspended(), told: await suspended(), held: await suspended(), again: await suspended() };
        for (const h of Object.values(runs)) await h.close();
        const summary = async (h: RunHandle) => (await a.get(h.id))!;
        const left = await summary(runs.left);
        // As pauseToTell marks and claims it, in a process that then died.
        const at = `${left.id}:1:${left.state.timestamp}`;
        const out = await space.inDeadProcess(`await store.markOnce('pause-notice:${at}'); console.log('CLAIMED', await store.claim('pause-notice-claim:${at}'));`);
        assert.match(out, /^CLAIMED true$/m);
        await pauseToTell(a, await summary(runs.told));
        await pauseTold(a, await summary(runs.told));
        await pauseToTell(b, await summary(runs.held));
        // Its pause's notice given up, then resumed and suspended again: the pause it was to tell is over.
        await pauseToTell(a, await summary(runs.again));
        await pauseNotTold(a, await summary(runs.again));
        const again = await a.openRun(runs.again.id);
        await again.setState(state('Suspended', 'Publish tonight?', (await summary(runs.again)).state.timestamp + 1));
        await again.close();
        assert.deepEqual((await pausesUntold(a)).map((r) => r.id), [left.id]);
        // b as it is once it heard of a's writes (b's index read again: a run paused again since is seen so).
        await b.refresh();
        assert.deepEqual(await pausesUntold(b), [], 'claimed by a live process: not told by another');
      });
    });

    it("sends a cancel of an ended run to the live resume holding its next attempt's claim, and to nobody else", async () => {
      await withSpace(backend, async (space, open) => {
        const a = await open();
        const b = await open();
        const h = await a.createRun(newRun());
        const failed = state('Failed', 'boom');
        await h.append([{ k: 'state', runId: h.id, name: failed.name, ts: failed.timestamp, message: failed.message! }]);
        await h.setState(failed, { endTime: failed.timestamp });
        const key = `attempt:${h.id}:2`;
        // Nobody resumes it: it had ended.
        assert.equal(await b.requestCancel(h.id, 'stop'), 'finished');
        assert.equal(await a.cancelOfClaim(key), undefined);
        // A live resume holds attempt 2 (its flow loading): the cancel is its.
        assert.equal(await a.claim(key), true);
        assert.equal(await b.requestCancel(h.id, 'stop it'), 'requested');
        assert.equal(await a.cancelOfClaim(key), 'stop it');
        // Given back (the flow would not load), the request goes with the claim.
        await a.unclaim(key);
        assert.equal(await a.cancelOfClaim(key), undefined);
        assert.equal(await b.requestCancel(h.id, 'stop'), 'finished');
        // A dead resume's claim is nobody's to cancel, and whoever takes it over starts without its request.
        await space.inDeadProcess(`console.log(await store.claim('${key}'));`);
        assert.equal(await b.requestCancel(h.id, 'stop'), 'finished');
        assert.equal(await a.claim(key), true);
        assert.equal(await a.cancelOfClaim(key), undefined);
        assert.equal(await b.requestCancel(h.id, 'now'), 'requested');
        assert.equal(await a.cancelOfClaim(key), 'now');
      });
    });

    it("hands a paused run's resume request, with its input, to the instances listening; refuses runs not paused, ended, unknown or whose process is gone", async () => {
      await withSpace(backend, async (space, open) => {
        const a = await open();
        const b = await open();
        const heard: [string, string, Record<string, unknown>][] = [];
        // `a` runs the run and takes its requests; `c` listens too, runs nothing, and takes none.
        const offA = a.onResumePausedRequest((id, input) => (heard.push(['a', id, input]), true));
        const c = await open();
        const offC = c.onResumePausedRequest((id, input) => (heard.push(['c', id, input]), false));
        try {
          const h = await a.createRun(newRun());
          const setState = async (name: 'Running' | 'Paused' | 'Completed', extra: { pause?: PauseInfo } = {}): Promise<void> => {
            const s = state(name, name === 'Paused' ? 'Deploy?' : undefined);
            if (extra.pause) s.pause = extra.pause;
            await h.append([{ k: 'state', runId: h.id, name: s.name, ts: s.timestamp, ...(s.message ? { message: s.message } : {}), ...extra }]);
            await h.setState(s, name === 'Completed' ? { endTime: s.timestamp } : {});
          };
          await setState('Running');
          await b.refresh();
          assert.equal(await b.requestResumePaused('no-such-run', {}), 'unknown');
          assert.equal(await b.requestResumePaused(h.id, { approve: true }), 'not-paused');
          const input = { approve: { type: 'boolean', required: true }, n: { type: 'integer', default: 2 } } as const;
          await setState('Paused', { pause: { until: Date.now() + 60_000, input } });
          await b.refresh();
          // What a paused run waits for is read back with its state, from its journal and from the list, its
          // inputs in the order declared (the order they are asked in; Postgres's jsonb would sort them).
          for (const read of [(await b.readRun(h.id))?.state, (await b.get(h.id))?.state]) {
            assert.deepEqual(read?.pause?.input, input);
            assert.deepEqual(Object.keys(read?.pause?.input ?? {}), ['approve', 'n']);
          }
          assert.equal(await b.requestResumePaused(h.id, { approve: true, note: 'é😀' }), 'requested');
          await waitFor(() => heard.some(([who]) => who === 'a'), 'the instance running the run to hear the request', 20_000);
          assert.deepEqual(heard.find(([who]) => who === 'a'), ['a', h.id, { approve: true, note: 'é😀' }]);
          await setState('Running');
          await setState('Completed');
          await b.refresh();
          assert.equal(await b.requestResumePaused(h.id, { approve: true }), 'finished');
          // A paused run whose process died: nobody waits for its input; it is settled Crashed.
          const out = await space.inDeadProcess(`const h = await store.createRun(${JSON.stringify(newRun())});
const s = { k: 'state', runId: h.id, name: 'Paused', ts: Date.now(), message: 'waiting', pause: { until: Date.now() + 60000 } };
await h.append([s]); await h.setState({ type: 'PAUSED', name: 'Paused', timestamp: s.ts, message: 'waiting' }, {}); console.log('RUN', h.id);`);
          const orphan = /^RUN (\S+)$/m.exec(out)![1]!;
          await b.refresh();
          assert.equal(await b.requestResumePaused(orphan, {}), 'finished');
          await b.refresh();
          assert.equal((await b.get(orphan))?.state.type, 'CRASHED');
        } finally {
          offA();
          offC();
        }
      });
    });

    it('keeps a Suspended run whose process is gone as it is (no process runs it: no crash), ends one whose time ran out Failed, cancels one at once; reads back the input a pause was resumed with', async () => {
      await withSpace(backend, async (space, open) => {
        const b = await open();
        const out = await space.inDeadProcess(`const now = Date.now();
const suspend = async (from, until) => {
  const h = await store.createRun(${JSON.stringify(newRun())});
  const s = { k: 'state', runId: h.id, name: 'Suspended', ts: from, message: 'Publish?', pause: { until, key: 'pause-1', input: { approve: { type: 'boolean', required: true } } } };
  await h.append([{ k: 'state', runId: h.id, name: 'Running', ts: from - 1 }, { k: 'input', runId: h.id, key: 'earlier', ts: from - 1, value: { ok: 'é😀' } }, s]);
  await h.setState({ type: 'PAUSED', name: 'Suspended', timestamp: from, message: 'Publish?', pause: s.pause }, { endTime: from });
  return h.id;
};
console.log('WAITING', await suspend(now, now + 600000));
console.log('EXPIRED', await suspend(now - 120000, now - 60000));
console.log('CANCELLED', await suspend(now, now + 600000));`);
        const id = (what: string): string => new RegExp(`^${what} (\\S+)$`, 'm').exec(out)![1]!;
        await b.refresh();
        await b.markCrashed();
        await b.refresh();
        const waiting = (await b.readRun(id('WAITING')))!;
        assert.equal(waiting.state.name, 'Suspended', 'a suspended run has no process to be found dead');
        assert.equal((await b.get(id('WAITING')))?.state.name, 'Suspended');
        assert.equal(waiting.state.pause?.key, 'pause-1');
        assert.deepEqual(waiting.inputs?.earlier?.value, { ok: 'é😀' }, 'the input a pause was resumed with, read back');
        assert.equal(await b.requestResumePaused(id('WAITING'), { approve: true }), 'not-paused', 'nothing waits in a process for its input');
        const expired = (await b.readRun(id('EXPIRED')))!;
        assert.equal(expired.state.name, 'Failed');
        assert.match(expired.state.message ?? '', /^PauseTimeoutError: Flow run '.+' was suspended and not resumed within 1 min$/);
        assert.equal((await b.get(id('EXPIRED')))?.state.name, 'Failed');
        assert.equal(await b.requestCancel(id('CANCELLED'), 'Not publishing'), 'cancelled');
        await b.refresh();
        assert.equal((await b.readRun(id('CANCELLED')))?.state.name, 'Cancelled');
        assert.equal((await b.get(id('CANCELLED')))?.state.message, 'Not publishing');
      });
    });

    it('takes up a run waiting to start only while it waits: one cancelled by another instance meanwhile stays as the cancel ended it', async () => {
      await withSpace(backend, async (_space, open) => {
        const a = await open();
        const b = await open();
        const line = (runId: string, s: ReturnType<typeof state>): string => `${JSON.stringify({ k: 'state', runId, name: s.name, ts: s.timestamp, message: s.message })}\n${JSON.stringify(log(runId, 'taken up'))}\n`;
        const waiting = await a.createRun(newRun({ state: state('Scheduled', 'waiting') }));
        const cancelled = await a.createRun(newRun({ state: state('Scheduled', 'waiting') }));
        await waiting.close();
        await cancelled.close();
        const owner = { pid: process.pid, started: 1, hostname: 'taker' };

        // Taken up by the process that created it ahead of time (a schedule's slot), cancelled from another.
        const taking = await a.openRun(waiting.id);
        const pending = state('Pending', 'Taken by test');
        await taking.takeUp(line(waiting.id, pending), pending, { attempt: 1, owner });
        await taking.close();
        await b.refresh();
        const taken = (await b.readRun(waiting.id))!;
        assert.equal(taken.state.name, 'Pending');
        assert.deepEqual((await logsOf(b, waiting.id)).map((l) => l.message), ['taken up']);

        // Read as waiting, then cancelled by another instance: the take-up is refused and writes nothing.
        const late = await a.openRun(cancelled.id);
        await b.refresh();
        assert.equal(await b.requestCancel(cancelled.id, 'not wanted'), 'cancelled');
        await assert.rejects(late.takeUp(line(cancelled.id, pending), pending, { attempt: 1, owner }), (e: Error) => e.name === 'EndedBeforeStart' && /is Cancelled \(not wanted\)/.test(e.message));
        await late.close();
        await a.refresh();
        const after = (await a.readRun(cancelled.id))!;
        assert.equal(after.state.name, 'Cancelled');
        assert.equal(after.startTime, undefined);
        assert.doesNotMatch((await logsOf(a, cancelled.id)).map((l) => l.message).join('\n'), /taken up/);
      });
    });

    it("keeps what a loaded flow adds to a run made ahead as it is taken up (its resumeOnCrash, its tags): listed, found by tag, in its detail, for every instance", async () => {
      await withSpace(backend, async (_space, open) => {
        const a = await open();
        const made = await a.createRun(newRun({ state: state('Scheduled', 'waiting'), tags: ['nightly'] }));
        await made.close();
        const owner = { pid: process.pid, started: 1, hostname: 'taker' };
        const pending = state('Pending');
        const flow = { resumeOnCrash: true as const, tags: ['nightly', 'etl'] };
        const text = `${JSON.stringify({ k: 'state', runId: made.id, name: pending.name, ts: pending.timestamp })}\n${JSON.stringify({ k: 'flow', runId: made.id, ts: pending.timestamp, ...flow })}\n`;
        const taking = await a.openRun(made.id);
        await taking.takeUp(text, pending, { attempt: 1, owner, flow });
        await taking.close();
        for (const s of [a, await open()]) {
          await s.refresh();
          const listed = (await s.get(made.id))!;
          assert.equal(listed.resumeOnCrash, true);
          assert.deepEqual(listed.tags, ['nightly', 'etl']);
          assert.deepEqual((await s.list({ tags: ['etl'] })).map((r) => r.id), [made.id]);
          const detail = (await s.readRun(made.id))!;
          assert.equal(detail.resumeOnCrash, true);
          assert.deepEqual(detail.tags, ['nightly', 'etl']);
          assert.equal(detail.state.name, 'Pending');
        }
      });
    });

    it('gives the parameters a run made ahead ran with (its defaults filled as it was taken up), and those it was queued with while it waits', async () => {
      await withSpace(backend, async (_space, open) => {
        const a = await open();
        // Queued with one parameter given: its worker fills in the flow's declared defaults as it takes it up.
        const made = await a.createRun(newRun({ state: state('Scheduled', 'waiting'), parameters: { repo: 'a/b' } }));
        const waiting = await a.createRun(newRun({ state: state('Scheduled', 'waiting'), parameters: { repo: 'c/d' } }));
        for (const h of [made, waiting]) await h.close();
        const owner = { pid: process.pid, started: 1, hostname: 'taker' };
        const pending = state('Pending');
        const filled = { repo: 'a/b', pages: 3, dryRun: false };
        const text = `${JSON.stringify({ k: 'state', runId: made.id, name: pending.name, ts: pending.timestamp })}\n${JSON.stringify({ k: 'flow', runId: made.id, ts: pending.timestamp, parameters: filled })}\n`;
        const taking = await a.openRun(made.id);
        await taking.takeUp(text, pending, { attempt: 1, owner });
        await taking.append([log(made.id, 'running'), { k: 'state', runId: made.id, name: 'Running', ts: Date.now() }]);
        await taking.close();
        for (const s of [a, await open()]) {
          assert.deepEqual(await s.parametersOf(made.id), filled, 'as it ran, not as it was queued');
          assert.deepEqual((await s.readRun(made.id))?.parameters, filled, 'as its detail shows them');
          assert.deepEqual(await s.parametersOf(waiting.id), { repo: 'c/d' }, 'still queued: as it was queued');
        }
        // Resumed later with its flow's defaults changed: the latest take-up's; a flow record without parameters keeps them.
        const again = { repo: 'a/b', pages: 5, dryRun: false };
        const resumed = await a.openRun(made.id);
        await resumed.append([{ k: 'flow', runId: made.id, ts: Date.now(), parameters: again }, { k: 'flow', runId: made.id, ts: Date.now(), tags: ['etl'] }]);
        await resumed.close();
        assert.deepEqual(await (await open()).parametersOf(made.id), again);
        // Its parameters are all said before its first task run (its flow's record comes as it is taken up):
        // nothing after that is read for them — a run of a million task runs is not read through.
        const running = await a.openRun(made.id);
        await running.append([
          { k: 'task', runId: made.id, id: 't1', name: 'fetch-0', taskName: 'fetch', ts: Date.now(), call: { key: 'fetch#0', argsHash: 'h' } },
          { k: 'flow', runId: made.id, ts: Date.now(), parameters: { repo: 'never/read' } },
        ]);
        await running.close();
        assert.deepEqual(await (await open()).parametersOf(made.id), again, 'read no further than its first task run');
      });
    });

    it("lets a deleted run's claims go with it (its start and attempts), and no other run's", async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const gone = await finished(store);
        const kept = await finished(store);
        for (const h of [gone, kept]) {
          assert.equal(await store.claim(`resume:${h.id}:2`), true);
          assert.equal(await store.claim(`start:${h.id}`), true);
        }
        await gone.close();
        await kept.close();
        assert.deepEqual(await store.delete([gone.id]), [gone.id]);
        assert.equal(await store.claim(`resume:${gone.id}:2`), true, 'free again once its run is gone');
        assert.equal(await store.claim(`start:${gone.id}`), true);
        assert.equal(await store.claim(`resume:${kept.id}:2`), false, "another run's claim stands");
        assert.equal(await store.claim(`start:${kept.id}`), false);
      });
    });

    it('keeps a run being resumed (its next attempt claimed by a live process) when asked to delete it, and deletes it once the claim is given back', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const resuming = await finished(store, {}, 'Failed');
        const other = await finished(store);
        await resuming.close();
        await other.close();
        const run = (await store.get(resuming.id))!;
        // What a resume does first: claim the run's next attempt (its flow then loads).
        assert.equal(await store.claim(attemptKey(run.id, run.attempt + 1)), true);
        assert.deepEqual(await store.delete([run.id, other.id]), [other.id]);
        assert.equal((await store.get(run.id))?.state.name, 'Failed');
        await store.unclaim(attemptKey(run.id, run.attempt + 1));
        assert.deepEqual(await store.delete([run.id]), [run.id]);
        assert.equal(await store.get(run.id), undefined);
      });
    });

    it('keeps variables: any JSON value set, read back by another instance, listed by name, replaced, removed; names and values checked', async () => {
      await withSpace(backend, async (_space, open) => {
        const a = await open();
        const b = await open();
        assert.equal(await a.variables.get('repos'), undefined);
        await a.variables.set('repos', ['octo/a', 'octo/b']);
        await a.variables.set('min_stars', 100);
        await a.variables.set('label', '42');
        await a.variables.set('off', null);
        await a.variables.set('nested-1', { max: 3, who: { name: 'ada', tags: [] } });
        assert.deepEqual((await b.variables.get('repos'))?.value, ['octo/a', 'octo/b']);
        assert.equal((await b.variables.get('label'))?.value, '42', 'a string stays a string');
        assert.equal((await b.variables.get('off'))?.value, null, 'null is a value, not missing');
        assert.deepEqual((await b.variables.list()).map((v) => [v.name, v.value]), [
          ['label', '42'],
          ['min_stars', 100],
          ['nested-1', { max: 3, who: { name: 'ada', tags: [] } }],
          ['off', null],
          ['repos', ['octo/a', 'octo/b']],
        ]);
        const before = (await b.variables.get('min_stars'))!.updated;
        await b.variables.set('min_stars', 200);
        const after = (await a.variables.get('min_stars'))!;
        assert.equal(after.value, 200);
        assert.ok(after.updated >= before);
        assert.equal(await a.variables.remove('off'), true);
        assert.equal(await a.variables.remove('off'), false);
        assert.equal(await b.variables.get('off'), undefined);
        for (const bad of ['Repos', 'a b', '', 'x'.repeat(65), '../etc']) await assert.rejects(a.variables.set(bad, 1), /Not a variable name/, bad);
        await assert.rejects(a.variables.get('../x'), /Not a variable name/);
        for (const bad of [undefined, () => 1, new Date(0), { n: Number.NaN }, { u: undefined }, new Map()]) await assert.rejects(a.variables.set('x', bad), /cannot be set/);
        await assert.rejects(a.variables.set('big', 'x'.repeat(70 * 1024)), /the limit is 65,536/);
        assert.equal(await a.variables.get('x'), undefined, 'nothing refused was kept');
      });
    });

    it('tells another instance which runs changed (refresh)', async () => {
      await withSpace(backend, async (_space, open) => {
        const a = await open();
        const b = await open();
        await b.refresh();
        const h = await a.createRun(newRun());
        const seen = new Set<string>();
        await waitFor(async () => {
          for (const id of await b.refresh()) seen.add(id);
          return seen.has(h.id);
        }, 'the new run to be picked up', 20_000);
        await h.setState(state('Running'));
        seen.clear();
        await waitFor(async () => {
          for (const id of await b.refresh()) seen.add(id);
          return seen.has(h.id);
        }, 'the state change to be picked up', 20_000);
        assert.equal((await b.get(h.id))!.state.name, 'Running');
      });
    });

    it("tells every listener what any caller's refresh picked up, and what markCrashed marked", async () => {
      await withSpace(backend, async (space, open) => {
        const a = await open();
        const b = await open();
        await b.refresh();
        const heard: string[] = [];
        const stop = b.onRunsChanged((ids) => heard.push(...ids));
        const h = await a.createRun(newRun());
        // Another part of the process (a scheduler) looks and keeps the answer to itself.
        await waitFor(async () => (await b.refresh()).includes(h.id) || heard.includes(h.id), 'the new run to be picked up', 20_000);
        assert.ok(heard.includes(h.id), 'the listener heard of the new run');
        const dead = await space.deadOwnerRun(a, newRun());
        heard.length = 0;
        await waitFor(async () => {
          await b.refresh();
          await b.markCrashed();
          return heard.includes(dead);
        }, 'the crashed run to be told', 20_000);
        stop();
        heard.length = 0;
        await h.setState(state('Running'));
        await waitFor(async () => (await b.refresh()).includes(h.id), 'the state change to be picked up', 20_000);
        assert.deepEqual(heard, [], 'a stopped listener hears nothing');
        await h.close();
      });
    });

    it('deletes finished runs with their subflows and leaves running ones; prunes to a limit', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await finished(store, { state: state('Pending', undefined, 1000 + i) })).id);
        const child = await finished(store, { parentRunId: ids[0]!, state: state('Pending', undefined, 1500) });
        const running = await store.createRun(newRun({ state: state('Pending', undefined, 2000) }));
        await running.setState(state('Running'));
        assert.deepEqual((await store.delete([ids[0]!, running.id])).sort(), [ids[0]!, child.id].sort());
        assert.equal(await store.readRun(child.id), undefined);
        assert.deepEqual((await store.prune(2)).sort(), [ids[1]!, ids[2]!].sort());
        assert.deepEqual((await store.list({ rootsOnly: true })).map((r) => r.id), [running.id, ids[4]!, ids[3]!]);
        const again = await open();
        assert.equal(await again.count(), 3);
      });
    });

    it('a prune of a limit that is not a whole number ≥ 0 (NaN, as a setting of "all" read as a number) deletes nothing and throws a RangeError; the history pruner reports it', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await finished(store, { state: state('Pending', undefined, 1000 + i) })).id);
        for (const limit of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) await assert.rejects(store.prune(limit), RangeError, String(limit));
        const failed: Error[] = [];
        const pruned: string[][] = [];
        for (const limit of [Number.NaN, 0]) {
          const pruner = new HistoryPruner(() => store, () => limit, { pruned: (deleted) => pruned.push(deleted), failed: (e) => failed.push(e) });
          await pruner.now();
          await pruner.dispose();
        }
        assert.deepEqual(pruned, []);
        assert.deepEqual(failed.map((e) => e.constructor), [RangeError, RangeError]);
        assert.deepEqual((await store.list({ rootsOnly: true })).map((r) => r.id).sort(), [...ids].sort());
      });
    });

    it('a prune keeps crashed runs still to be dealt with: one that resumes on a crash, a schedule\'s run that never started (its slot is taken over)', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const crashed = async (over: Partial<NewRun>, started: boolean): Promise<string> => {
          const h = await store.createRun(newRun({ state: state('Pending', undefined, Date.now() - 10_000), ...over }));
          if (started) await h.setState(state('Running'), { startTime: Date.now() - 5000 });
          await h.setState(state('Crashed', 'host process ended'), { endTime: Date.now() });
          await h.close();
          return h.id;
        };
        const plain = await crashed({}, true);
        const resumes = await crashed({ resumeOnCrash: true }, true);
        const slot = await crashed({ trigger: { kind: 'schedule', id: 'aaaaaaaaaa', slot: 1_700_000_000_000 } }, false);
        const ranSlot = await crashed({ trigger: { kind: 'schedule', id: 'aaaaaaaaaa', slot: 1_700_000_060_000 } }, true);
        const done = (await finished(store)).id;
        assert.deepEqual((await store.prune(0)).sort(), [plain, ranSlot, done].sort());
        assert.deepEqual((await store.list({ rootsOnly: true })).map((r) => r.id).sort(), [resumes, slot].sort());
      });
    });

    it('deletes a prune\'s worth of runs at once: more than one statement takes, each with its subflows and their subflows', { timeout: 180_000 }, async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const roots: string[] = [];
        const started = Date.now();
        for (let i = 0; i < 1005; i++) roots.push((await finished(store, { state: state('Pending', undefined, 1000 + i) })).id);
        // The last root (in the second statement's share) has a subflow with a subflow of its own.
        const child = await finished(store, { parentRunId: roots[1004]!, state: state('Pending', undefined, 5000) });
        const grandchild = await finished(store, { parentRunId: child.id, state: state('Pending', undefined, 5001) });
        const kept = await finished(store, { state: state('Pending', undefined, 6000) });
        const made = Date.now() - started;
        const t0 = Date.now();
        const deleted = await store.delete(roots);
        console.log(`delete of ${roots.length} runs and 2 subflow runs: ${Date.now() - t0} ms (making them: ${made} ms)`);
        assert.equal(deleted.length, 1007);
        assert.deepEqual(new Set(deleted), new Set([...roots, child.id, grandchild.id]));
        assert.deepEqual((await store.list()).map((r) => r.id), [kept.id]);
        assert.equal(await store.readRun(grandchild.id), undefined);
        assert.equal(await (await open()).count(), 1);
      });
    });

    it('reads back a result stored out of line, from any instance; refuses result names that leave the folder', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const h = await store.createRun(newRun());
        // What the worker does: a file in the run's results folder, then a record naming it.
        const text = JSON.stringify([{ big: 'x'.repeat(300_000) }]);
        mkdirSync(h.resultsDir, { recursive: true });
        writeFileSync(join(h.resultsDir, 'result.dv'), text);
        await h.appendText(`${JSON.stringify({ k: 'result', runId: h.id, ref: { file: 'result.dv', bytes: text.length } })}\n`);
        await h.close();
        const other = await open();
        const detail = (await other.readRun(h.id))!;
        assert.deepEqual(detail.resultRef, { file: 'result.dv', bytes: text.length });
        assert.equal(await other.readResultText(h.id, detail.resultRef!), text);
        await assert.rejects(other.readResultText(h.id, { file: '../secret', bytes: 1 }), /Not a result file name/);
      });
    });

    it('ends a run whose owner died Crashed at its last sign of life, not when found: every look, read-only or settling, shows the same end', async () => {
      await withSpace(backend, async (space, open) => {
        // Its process starts the run and dies (on Postgres its lease then lapses); the run is found later.
        const out = await space.inDeadProcess(`const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
          const t = Date.now();
          await h.append([{ k: 'state', runId: h.id, name: 'Running', ts: t }]);
          await h.setState({ type: 'RUNNING', name: 'Running', timestamp: t }, { startTime: t });
          console.log('RUN', h.id, t);`);
        const [, id, started] = /^RUN (\S+) (\d+)$/m.exec(out)!;
        const gone = Date.now();
        await new Promise((r) => setTimeout(r, 60));
        const ro = await open({ readOnly: true });
        assert.deepEqual(await ro.markCrashed(), [id]);
        const shown = (await ro.get(id!))!;
        assert.equal(shown.state.name, 'Crashed');
        assert.ok(shown.endTime! >= Number(started) && shown.endTime! <= gone, `ended at ${shown.endTime}: between its start ${started} and its process's end ${gone}, not when found`);
        assert.equal(shown.state.timestamp, shown.endTime);
        // A later look shows the same end; the settling records it, in the journal and its logs too.
        await new Promise((r) => setTimeout(r, 60));
        const again = await open({ readOnly: true });
        await again.markCrashed();
        assert.equal((await again.get(id!))!.endTime, shown.endTime);
        const writer = await open();
        assert.deepEqual(await writer.markCrashed(), [id]);
        const settled = (await writer.get(id!))!;
        assert.deepEqual([settled.state.name, settled.endTime, settled.state.timestamp], ['Crashed', shown.endTime, shown.endTime]);
        const detail = (await writer.readRun(id!))!;
        assert.equal(detail.states.at(-1)!.timestamp, shown.endTime);
        assert.equal(detail.endTime, shown.endTime);
        assert.deepEqual((await logsOf(writer, id!)).at(-1)?.ts, shown.endTime);
      });
    });

    it('ends a crashed run no earlier than its last task run started, though that start reads after its host\'s last sign (another clock ahead): the task run never ends before it started', async () => {
      await withSpace(backend, async (space, open) => {
        // Its worker's clock 300 ms ahead of what dates the host's signs of life (on Postgres the server's
        // clock), or the task run started after the last sign: as it was, its end came before its start.
        const out = await space.inDeadProcess(`const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
          const t = Date.now();
          await h.append([{ k: 'state', runId: h.id, name: 'Running', ts: t }]);
          await h.setState({ type: 'RUNNING', name: 'Running', timestamp: t }, { startTime: t });
          const ahead = Date.now() + 300;
          await h.append([{ k: 'task', runId: h.id, id: 'tr-1', name: 'step-0', taskName: 'step', ts: ahead }, { k: 'tstate', runId: h.id, id: 'tr-1', name: 'Running', ts: ahead, attempt: 1 }]);
          console.log('RUN', h.id, ahead);`);
        const [, id, ahead] = /^RUN (\S+) (\d+)$/m.exec(out)!;
        for (const readOnly of [true, false]) {
          const look = await open({ readOnly });
          assert.deepEqual(await look.markCrashed(), [id]);
          const detail = (await look.readRun(id!))!;
          assert.equal(detail.state.name, 'Crashed');
          const task = detail.taskRuns.find((t) => t.id === 'tr-1')!;
          assert.equal(task.startTime, Number(ahead));
          assert.ok(task.endTime! >= task.startTime!, `${readOnly ? 'shown' : 'settled'}: its task run ended ${task.startTime! - task.endTime!} ms before it started`);
          assert.ok(detail.endTime! >= task.startTime!, `${readOnly ? 'shown' : 'settled'}: the run ended before its task run started`);
        }
      });
    });

    it('ends a run whose owner died after a quiet while (a long task: no record) at most a few life signs before it died, so its duration is about as long as it ran', async () => {
      await withSpace(backend, async (space, open) => {
        // As a `flowdeck run` killed 3.5 s into a task that writes nothing: it showed a duration of 1 ms (its last record).
        const out = await space.inDeadProcess(`const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
          const t = Date.now();
          await h.append([{ k: 'state', runId: h.id, name: 'Running', ts: t }]);
          await h.setState({ type: 'RUNNING', name: 'Running', timestamp: t }, { startTime: t });
          await new Promise((r) => setTimeout(r, 3500));
          console.log('RUN', h.id, t, Date.now());`);
        const [, id, started, died] = /^RUN (\S+) (\d+) (\d+)$/m.exec(out)!;
        const writer = await open();
        assert.deepEqual(await writer.markCrashed(), [id]);
        const settled = (await writer.get(id!))!;
        assert.equal(settled.state.name, 'Crashed');
        // A sign of life every second (one skipped just after a write): the embedded journal's touch; here Postgres's heartbeat (0.4 s).
        assert.ok(settled.endTime! <= Number(died) && settled.endTime! >= Number(died) - 2000, `ended at ${settled.endTime! - Number(started)} ms of a run that lived ${Number(died) - Number(started)} ms`);
        assert.equal((await writer.readRun(id!))!.endTime, settled.endTime);
      });
    });

    it('marks a run whose owner is gone as Crashed, in its journal too, and leaves live owners alone', async () => {
      await withSpace(backend, async (space, open) => {
        const store = await open();
        const gone = await space.deadOwnerRun(store, newRun());
        const alive = await store.createRun(newRun());
        await alive.setState(state('Running'));
        const reader = await open();
        const crashed = await reader.markCrashed();
        assert.ok(crashed.includes(gone), `crashed: ${crashed.join(', ')}`);
        assert.ok(!crashed.includes(alive.id));
        assert.equal((await reader.get(gone))!.state.name, 'Crashed');
        assert.equal((await reader.get(alive.id))!.state.name, 'Running');
        assert.equal((await reader.readRun(gone))!.states.at(-1)!.name, 'Crashed');
        // Its logs end as its host would have ended them, saying how it ended.
        const logs: LogRecord[] = [];
        await reader.readLogs(gone, (batch) => void logs.push(...batch));
        const { name, state: crashedState } = (await reader.get(gone))!;
        assert.deepEqual(logs.at(-1), { k: 'log', runId: gone, ts: crashedState.timestamp, level: 'ERROR', source: `Flow run '${name}'`, message: `Finished in state Crashed('${crashedState.message}')` });
        assert.deepEqual(await reader.markCrashed(), []);
      });
    });

    it('opened read-only, shows a run whose owner is gone as it ended — Crashed, or its journal\'s final state — and writes nothing', async () => {
      await withSpace(backend, async (space, open) => {
        const store = await open();
        const ts = Date.now();
        const gone = await space.deadOwnerRun(store, newRun());
        const ended = await space.deadOwnerRun(store, newRun(), (id) => [{ k: 'state', runId: id, name: 'Completed', ts }, log(id, 'Finished in state Completed()', ts)]);
        const alive = await store.createRun(newRun());
        await alive.setState(state('Running'));
        const ro = await open({ readOnly: true });
        assert.deepEqual(await ro.markCrashed(), [gone]);
        assert.equal((await ro.get(gone))!.state.name, 'Crashed');
        assert.equal((await ro.get(gone))!.state.message, 'host process ended');
        assert.ok((await ro.get(gone))!.endTime !== undefined);
        assert.equal((await ro.get(ended))!.state.name, 'Completed');
        assert.equal((await ro.get(ended))!.endTime, ts);
        assert.equal((await ro.get(alive.id))!.state.name, 'Running');
        // Listed, filtered and counted by the state shown.
        const shown = new Map((await ro.list()).map((r) => [r.id, r.state.name]));
        assert.deepEqual([shown.get(gone), shown.get(ended), shown.get(alive.id)], ['Crashed', 'Completed', 'Running']);
        assert.deepEqual((await ro.list({ stateTypes: ['CRASHED'] })).map((r) => r.id), [gone]);
        assert.deepEqual((await ro.list({ stateTypes: ['RUNNING'] })).map((r) => r.id), [alive.id]);
        assert.equal(await ro.count({ stateTypes: ['CRASHED', 'COMPLETED'] }), 2);
        assert.equal((await ro.readRun(gone))!.state.name, 'Crashed');
        // Its logs end as its settling will end them; the run that ended has its own end line, once.
        const shownState = (await ro.get(gone))!.state;
        assert.deepEqual((await logsOf(ro, gone)).at(-1), { k: 'log', runId: gone, ts: shownState.timestamp, level: 'ERROR', source: `Flow run '${(await ro.get(gone))!.name}'`, message: `Finished in state Crashed('${shownState.message}')` });
        assert.deepEqual((await logsOf(ro, ended)).map((l) => l.message).filter((m) => m.startsWith('Finished in state')), ['Finished in state Completed()']);
        // Written by nobody: another instance still reads them unfinished.
        const other = await open();
        assert.equal((await other.get(gone))!.state.name, 'Running');
        assert.equal((await other.get(ended))!.state.name, 'Running');
        assert.deepEqual((await logsOf(other, gone)).filter((l) => l.message.startsWith('Finished in state')), []);
      });
    });

    it("settles a run whose journal took its final state before its owner died, before the index did, in that state: not Crashed, not resumed", async () => {
      await withSpace(backend, async (space, open) => {
        const store = await open();
        const ts = Date.now();
        const ending = (runId: string, name: 'Completed' | 'Failed', message?: string): RunRecord[] => [
          { k: 'result', runId, value: [7] },
          { k: 'state', runId, name, ts, ...(message !== undefined ? { message } : {}) },
          log(runId, `Finished in state ${name}()`, ts),
        ];
        const completed = await space.deadOwnerRun(store, newRun({ resumeOnCrash: true }), (id) => ending(id, 'Completed'));
        const failed = await space.deadOwnerRun(store, newRun(), (id) => ending(id, 'Failed', 'boom'));
        // A new attempt began after the run had ended, and its owner died: that attempt crashed.
        const retried = await space.deadOwnerRun(store, newRun(), (id) => [...ending(id, 'Failed', 'boom'), { k: 'state', runId: id, name: 'AwaitingRetry', ts: ts + 1, attempt: 2 }]);
        const reader = await open();
        const crashed = await reader.markCrashed();
        assert.deepEqual(crashed, [retried]);
        const c = (await reader.get(completed))!;
        assert.equal(c.state.name, 'Completed');
        assert.equal(c.endTime, ts);
        assert.equal((await reader.get(failed))!.state.name, 'Failed');
        assert.equal((await reader.get(failed))!.state.message, 'boom');
        assert.equal((await reader.get(retried))!.state.name, 'Crashed');
        const detail = (await reader.readRun(completed))!;
        assert.equal(detail.state.name, 'Completed');
        assert.ok(!detail.states.some((s) => s.name === 'Crashed'), detail.states.map((s) => s.name).join(', '));
        assert.equal(valueOf(detail), 7);
        // Settled for good: listed so by every instance, and never looked at again.
        assert.deepEqual(await reader.markCrashed(), []);
        const other = await open();
        assert.deepEqual((await other.list({ stateTypes: ['CRASHED'] })).map((r) => r.id), [retried]);
        assert.equal((await other.get(completed))!.state.name, 'Completed');
      });
    });

    it('opened read-only, never writes', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        await finished(store);
        const ro = await open({ readOnly: true });
        assert.equal(ro.readOnly, true);
        assert.equal(await ro.count(), 1);
        await assert.rejects(ro.createRun(newRun()), /read-only/);
        await assert.rejects(ro.claim('k'), /read-only/);
      });
    });

    it('keeps artifacts in the journal: the latest of each key read back, the keys on the run once written', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        const h = await store.createRun(newRun());
        const ts = Date.now();
        await h.append([
          { k: 'artifact', runId: h.id, key: 'notes', ts, data: { kind: 'markdown', markdown: '# first' } },
          log(h.id, 'between', ts),
          { k: 'artifact', runId: h.id, taskRunId: 't1', key: 'rows', ts: ts + 1, data: { kind: 'table', columns: ['a'], rows: [[1]] } },
          { k: 'artifact', runId: h.id, key: 'notes', ts: ts + 2, data: { kind: 'markdown', markdown: '# second' } },
        ]);
        assert.equal((await store.get(h.id))!.artifactKeys, undefined);
        await h.addArtifactKeys(['notes', 'rows']);
        await h.addArtifactKeys(['notes']);
        assert.deepEqual([...(await store.get(h.id))!.artifactKeys!].sort(), ['notes', 'rows']);
        const artifacts = (await store.readArtifacts(h.id))!;
        assert.deepEqual(
          artifacts.map((a) => [a.key, a.data.kind === 'markdown' ? a.data.markdown : a.data.kind, a.taskRunId ?? null]).sort(),
          [['notes', '# second', null], ['rows', 'table', 't1']],
        );
        assert.equal(await store.readArtifacts('no-such-run'), undefined);
        await h.close();
        await store.close();
      });
    });

    it('caches results until they expire by the injected clock, and purges them', async () => {
      await withSpace(backend, async (_space, open) => {
        let now = 1_000_000;
        const store = await open({ clock: { now: () => now } });
        await store.cache.put('task:key', '["v"]', now + 1000);
        await store.cache.put('task:forever', '["w"]');
        assert.equal(await store.cache.get('task:key'), '["v"]');
        now += 999;
        assert.equal(await store.cache.get('task:key'), '["v"]');
        now += 1;
        assert.equal(await store.cache.get('task:key'), undefined);
        assert.equal(await store.cache.purge(), 1);
        assert.equal(await store.cache.get('task:forever'), '["w"]');
        await store.cache.put('task:forever', '["x"]');
        assert.equal(await store.cache.get('task:forever'), '["x"]');
      });
    });

    it('lists cached results with the task and run they are of, newest first, and removes them by key hash', async () => {
      await withSpace(backend, async (_space, open) => {
        let now = 2_000_000;
        const store = await open({ clock: { now: () => now } });
        await store.cache.put('a:1', '"one"', undefined, { task: 'a', runId: 'r1' });
        now += 10;
        await store.cache.put('b:1', '"two-two"', now + 5, { task: 'b'.repeat(300), runId: 'r2' });
        now += 10;
        await store.cache.put('c:1', '"x"');
        // Another instance, read-only: a writer's opening may purge what expired (once a day).
        const entries = await (await open({ readOnly: true })).cache.entries();
        assert.deepEqual(
          entries.map((e) => [e.task ?? null, e.runId ?? null, e.created, e.expiresAt ?? null, e.bytes]),
          [
            [null, null, now, null, 3],
            ['b'.repeat(200), 'r2', now - 10, now - 5, 9],
            ['a', 'r1', now - 20, null, 5],
          ],
          'newest first; a long task name kept cut short; sizes of the values',
        );
        assert.ok(entries.every((e) => /^[0-9a-f]{64}$/.test(e.keyHash)), 'keys only as their hashes');
        assert.equal(await store.cache.remove([entries[1]!.keyHash, 'f'.repeat(64), '../../etc/passwd']), 1, 'only what was there, nothing outside the cache');
        assert.equal(await store.cache.get('b:1'), undefined);
        assert.equal(await store.cache.get('a:1'), '"one"');
        assert.deepEqual((await store.cache.entries()).map((e) => e.task ?? null), [null, 'a']);
        // Overwritten by a later run: the entry is of that run now.
        now += 10;
        await store.cache.put('a:1', '"uno"', undefined, { task: 'a', runId: 'r3' });
        assert.deepEqual((await store.cache.entries()).map((e) => [e.task ?? null, e.runId ?? null, e.created]), [['a', 'r3', now], [null, null, now - 10]]);
      });
    });

    it('keeps key-value entries by namespace, any JSON value, and bounds their size', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        await store.kv.set('etags', 'https://x/a', 'W/"1"');
        await store.kv.set('cursors', 'https://x/a', { page: 3, done: false, list: [1, null] });
        assert.equal(await store.kv.get('etags', 'https://x/a'), 'W/"1"');
        assert.deepEqual(await store.kv.get('cursors', 'https://x/a'), { page: 3, done: false, list: [1, null] });
        assert.equal(await store.kv.get('etags', 'other'), undefined);
        await store.kv.set('etags', 'https://x/a', 'W/"2"');
        const other = await open();
        assert.equal(await other.kv.get('etags', 'https://x/a'), 'W/"2"');
        await assert.rejects(store.kv.set('big', 'k', 'x'.repeat(2 * 1024 * 1024)), /limit/);
      });
    });
  });
}

/** Schedules and concurrency limits, kept by the store for every process sharing it (the same tests for each backend). */
export function scheduleAndLimitContract(backend: StoreBackend): void {
  const opts = { ...T, ...(backend.skip !== undefined ? { skip: backend.skip } : {}) };
  const SLOT = 1_700_000_000_000;
  const holder = (n: number) => ({ runId: 'r', taskRunId: `t${n}` });

  describe(`schedule and limit store contract: ${backend.name}`, opts, () => {
    it('shares added, paused, resumed and removed schedules with every instance; the first "seen" wins', async () => {
      await withSpace(backend, async (_space, open) => {
        const a = await open();
        const b = await open();
        const s = await a.schedules.add({ flowName: 'daily', source: '/ws/daily.flow.ts', schedule: { cron: '0 9 * * *', timezone: 'Europe/Madrid', parameters: { full: true } } });
        assert.match(s.id, /^[0-9a-f]{10}$/);
        const seenByB = (await b.schedules.read()).added;
        assert.deepEqual(seenByB, [s]);
        await b.schedules.setPaused(s.id, true);
        await b.schedules.setPaused(s.id, true);
        assert.ok((await a.schedules.read()).paused.has(s.id));
        await a.schedules.setPaused(s.id, false);
        assert.ok(!(await b.schedules.read()).paused.has(s.id));
        // A schedule declared in code is paused by id too.
        await a.schedules.setPaused('0123456789', true);
        assert.ok((await b.schedules.read()).paused.has('0123456789'));
        await a.schedules.markSeen([s.id, '0123456789'], 1000);
        await b.schedules.markSeen(['0123456789', 'abcdefabcd'], 2000);
        const seen = (await a.schedules.read()).firstSeen;
        assert.deepEqual([seen.get(s.id), seen.get('0123456789'), seen.get('abcdefabcd')], [1000, 1000, 2000]);
        // Resumed at 5000 after a pause: its slots from before are never caught up, as from before it was seen;
        // a resume of one not paused changes nothing, nor does an earlier time.
        await a.schedules.setPaused('0123456789', false, 5000);
        await b.schedules.setPaused('abcdefabcd', false, 6000);
        await b.schedules.setPaused('0123456789', true);
        await b.schedules.setPaused('0123456789', false, 3000);
        const resumed = (await b.schedules.read()).firstSeen;
        assert.deepEqual([resumed.get(s.id), resumed.get('0123456789'), resumed.get('abcdefabcd')], [1000, 5000, 2000]);
        await b.schedules.setPaused('0123456789', true);
        assert.equal((await a.schedules.claimSlot(s.id, SLOT)).claimed, true);
        assert.equal(await b.schedules.remove(s.id), true);
        assert.equal(await a.schedules.remove(s.id), false);
        const after = await a.schedules.read();
        assert.deepEqual([after.added.length, after.firstSeen.has(s.id), after.paused.has('0123456789')], [0, false, true]);
        await assert.rejects(a.schedules.add({ flowName: 'x', source: 'builtin:x', schedule: { cron: 'nope' } }), /not valid/);
        await assert.rejects(a.schedules.setPaused('../x', true), /Not a schedule id/);
      });
    });

    it('gives a slot to exactly one of many instances racing for it; a released slot can be claimed again', async () => {
      await withSpace(backend, async (_space, open) => {
        const stores = await Promise.all(Array.from({ length: 4 }, () => open()));
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 4]!.schedules.claimSlot('00000000aa', SLOT)));
        assert.equal(results.filter((r) => r.claimed).length, 1);
        const winner = stores[results.findIndex((r) => r.claimed) % 4]!;
        // A loser names the holder when it could read the claim; one that read it while it was being written cannot.
        const holders = results.flatMap((r) => (r.claimed === false && r.holder ? [r.holder.pid] : []));
        assert.ok(holders.length > 0, 'a loser names the holder');
        assert.deepEqual(new Set(holders), new Set([process.pid]));
        await winner.schedules.releaseSlot('00000000aa', SLOT);
        assert.equal((await stores[0]!.schedules.claimSlot('00000000aa', SLOT)).claimed, true);
        // Many slots later the newest still claim once.
        for (let i = 1; i <= 45; i++) assert.equal((await stores[1]!.schedules.claimSlot('00000000aa', SLOT + i * 1000)).claimed, true);
        assert.equal((await stores[2]!.schedules.claimSlot('00000000aa', SLOT + 45_000)).claimed, false);
      });
    });

    it("keeps the claim of a slot whose run still waits (a queued slot) however many newer slots are claimed: it is never claimed again", async () => {
      await withSpace(backend, async (_space, open) => {
        // B lives eleven minutes on (claims younger than that are never pruned; Postgres judges by its own clock).
        const [a, b] = await Promise.all([open(), open({ clock: { now: () => Date.now() + 11 * 60_000 } })]);
        assert.equal((await a.schedules.claimSlot('00000000cc', SLOT)).claimed, true);
        await a.schedules.markSlotRun('00000000cc', SLOT, 'run-waiting');
        // Queued behind a long run, the slot waits while many slots after it are claimed (and pruned).
        const keep = async (): Promise<number[]> => [SLOT];
        for (let i = 1; i <= 90; i++) assert.equal((await b.schedules.claimSlot('00000000cc', SLOT + i * 1000, { keep })).claimed, true);
        assert.equal((await b.schedules.claimSlot('00000000cc', SLOT, { keep })).claimed, false, 'the waiting slot is still held: not claimed again');
      });
    });

    it('never prunes a claim made a moment ago whose run does not exist yet, however many newer slots are claimed meanwhile: it is never claimed again', async () => {
      await withSpace(backend, async (_space, open) => {
        const [a, b, c] = await Promise.all([open(), open(), open()]);
        // A claims an old slot (one given back long after it was due) and has not created its run yet; B,
        // claiming newer slots, prunes with the runs not ended it knows of — none of that slot's.
        assert.equal((await a.schedules.claimSlot('00000000dd', SLOT)).claimed, true);
        const keep = async (): Promise<number[]> => [];
        for (let i = 1; i <= 90; i++) assert.equal((await b.schedules.claimSlot('00000000dd', SLOT + i * 1000, { keep })).claimed, true);
        // C, watching the slot, finds it still held.
        assert.equal((await c.schedules.claimSlot('00000000dd', SLOT, { keep })).claimed, false, 'the fresh claim is still held: not claimed again');
      });
    });

    it("takes a dead claimant's slot over once, only when its run was never created; never a live claimant's", async () => {
      await withSpace(backend, async (space, open) => {
        const store = await open();
        const other = await open();
        const out = await space.inDeadProcess(`console.log(process.pid, (await store.schedules.claimSlot('00000000bb', ${SLOT})).claimed);`);
        const [deadPid, won] = out.trim().split('\n')[0]!.split(' ');
        assert.equal(won, 'true');
        // Its run exists (the scheduler says so): the slot stays claimed.
        const kept = await store.schedules.claimSlot('00000000bb', SLOT, { abandoned: async () => false });
        assert.equal(kept.claimed === false && kept.holder?.pid, Number(deadPid));
        // It died before creating it: of several takers at once, one takes it over.
        const takers = await Promise.all([store, other, store, other].map((s) => s.schedules.claimSlot('00000000bb', SLOT, { abandoned: async () => true })));
        assert.equal(takers.filter((t) => t.claimed).length, 1, JSON.stringify(takers));
        const took = takers.find((t) => t.claimed)!;
        assert.equal(took.claimed && took.tookOverFrom?.pid, Number(deadPid));

        // A dead claimant that noted the run it made: the check is told of it (the run gone means deleted, not never made).
        await space.inDeadProcess(`await store.schedules.claimSlot('00000000bb', ${SLOT + 2000}); await store.schedules.markSlotRun('00000000bb', ${SLOT + 2000}, 'run-made-1');`);
        let told: string | undefined;
        const noted = await store.schedules.claimSlot('00000000bb', SLOT + 2000, { abandoned: async (runId) => ((told = runId), false) });
        assert.deepEqual([noted.claimed, told], [false, 'run-made-1']);

        // A live claimant (another instance): the abandoned check is not even asked.
        assert.equal((await other.schedules.claimSlot('00000000bb', SLOT + 1000)).claimed, true);
        let asked = false;
        const live = await store.schedules.claimSlot('00000000bb', SLOT + 1000, { abandoned: async () => (asked = true) });
        assert.deepEqual([live.claimed, asked], [false, false]);
      });
    });

    it('sets, lists and removes limits; bad tags and limits are refused saying why', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        await store.limits.set('github-api', 2);
        await store.limits.set('api', 1);
        await store.limits.set('api', 3);
        const other = await open();
        assert.deepEqual(await other.limits.list(), [{ tag: 'api', limit: 3 }, { tag: 'github-api', limit: 2 }]);
        assert.equal(await other.limits.remove('api'), true);
        assert.equal(await store.limits.remove('api'), false);
        assert.deepEqual(await store.limits.list(), [{ tag: 'github-api', limit: 2 }]);
        await assert.rejects(store.limits.set('../etc', 1), /cannot be limited/);
        await assert.rejects(store.limits.set('api', -1), /whole number from 0 to 1000/);
        await assert.rejects(store.limits.set('api', 1001), /whole number from 0 to 1000/);
        await assert.rejects(store.limits.set('api', 1.5), /whole number/);
        // 0 stops the tag's task runs (concurrencyGate.ts): kept, and read back so.
        await store.limits.set('stopped', 0);
        assert.deepEqual((await (await open()).limits.list()).find((l) => l.tag === 'stopped'), { tag: 'stopped', limit: 0 });
      });
    });

    it('gives out as many slots as the limit across instances racing; a released slot is given again', async () => {
      await withSpace(backend, async (_space, open) => {
        const stores = await Promise.all(Array.from({ length: 3 }, () => open()));
        const got = await Promise.all(Array.from({ length: 9 }, (_, i) => stores[i % 3]!.limits.tryAcquire('api', 2, holder(i))));
        const held = got.filter((l) => l !== undefined);
        assert.deepEqual(held.map((l) => l!.slot).sort(), [0, 1]);
        const leases = await stores[0]!.limits.leases('api');
        assert.deepEqual(leases.map((l) => l.holder.taskRunId).sort(), got.map((l, i) => (l ? `t${i}` : undefined)).filter((x) => x !== undefined).sort());
        assert.ok(leases.every((l) => l.owner.pid === process.pid && l.since > 0));
        assert.equal(await stores[1]!.limits.tryAcquire('api', 2, holder(10)), undefined);
        const first = held[0]!;
        await stores[got.indexOf(first) % 3]!.limits.release(first);
        assert.equal((await stores[2]!.limits.tryAcquire('api', 2, holder(11)))?.slot, first.slot);
      });
    });

    it("takes a dead holder's slot back; a lowered limit applies as slots are given back", async () => {
      await withSpace(backend, async (space, open) => {
        const store = await open();
        const out = await space.inDeadProcess(`console.log((await store.limits.tryAcquire('api', 1, { runId: 'other', taskRunId: 't' })) ? 'held' : 'none');`);
        assert.equal(out.trim().split('\n')[0], 'held');
        const lease = await store.limits.tryAcquire('api', 1, holder(1));
        assert.equal(lease?.slot, 0, 'the slot of the dead process is free');
        assert.deepEqual((await store.limits.leases('api')).map((l) => l.holder.runId), ['r']);

        const b = (await store.limits.tryAcquire('api', 2, holder(2)))!;
        assert.equal(b.slot, 1);
        // Lowered to 1: slot 1 stays held until given back, and no new one is given while slot 0 is held.
        assert.equal(await store.limits.tryAcquire('api', 1, holder(3)), undefined);
        await store.limits.release(b);
        assert.equal(await store.limits.tryAcquire('api', 1, holder(3)), undefined);
        await store.limits.release(lease!);
        assert.equal((await store.limits.tryAcquire('api', 1, holder(3)))?.slot, 0);
      });
    });

    it('a lowered limit gives no slot while as many as it are held, also in slots above it; a dead holder of those does not count', async () => {
      await withSpace(backend, async (space, open) => {
        const store = await open();
        const other = await open();
        const a = (await store.limits.tryAcquire('api', 3, holder(1)))!;
        const b = (await other.limits.tryAcquire('api', 3, holder(2)))!;
        assert.deepEqual([a.slot, b.slot], [0, 1]);
        // Lowered to 1 while slots 0 and 1 are held; slot 0 given back, slot 1 (above the limit) still counts.
        await store.limits.release(a);
        assert.equal(await other.limits.tryAcquire('api', 1, holder(3)), undefined, 'slot 1 is held: as many as the limit');
        // Lowered to 2: one of the two is free.
        assert.equal((await store.limits.tryAcquire('api', 2, holder(3)))?.slot, 0);
        assert.equal(await other.limits.tryAcquire('api', 2, holder(4)), undefined);
        await other.limits.release(b);
        assert.equal((await store.limits.tryAcquire('api', 2, holder(4)))?.slot, 1);
        // A slot above the limit held by a dead process takes nothing from it.
        const out = await space.inDeadProcess(`console.log((await store.limits.tryAcquire('dead', 3, { runId: 'other', taskRunId: 't' }))?.slot, (await store.limits.tryAcquire('dead', 3, { runId: 'other', taskRunId: 'u' }))?.slot);`);
        assert.equal(out.trim().split('\n')[0], '0 1');
        assert.equal((await store.limits.tryAcquire('dead', 1, holder(5)))?.slot, 0);
      });
    });

    it('opened read-only, reads schedules and limits and changes none', async () => {
      await withSpace(backend, async (_space, open) => {
        const store = await open();
        await store.limits.set('api', 2);
        const s = await store.schedules.add({ flowName: 'f', source: 'builtin:f', schedule: { intervalSeconds: 60 } });
        const ro = await open({ readOnly: true });
        assert.deepEqual((await ro.schedules.read()).added.map((x) => x.id), [s.id]);
        assert.deepEqual(await ro.limits.list(), [{ tag: 'api', limit: 2 }]);
        await assert.rejects(ro.schedules.add({ flowName: 'f', source: 'builtin:f', schedule: { intervalSeconds: 60 } }), /read-only/);
        await assert.rejects(ro.schedules.claimSlot(s.id, SLOT), /read-only/);
        await assert.rejects(ro.limits.set('api', 3), /read-only/);
        await assert.rejects(ro.limits.tryAcquire('api', 2, holder(1)), /read-only/);
      });
    });
  });
}
