/** The store lists again the runs a damaged index lost (lostRuns.ts), and only those. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/engine/clock';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { HEAD_BYTES, summaryFromJournal } from '../../src/engine/lostRuns';
import { JOURNAL_END_BYTES } from '../../src/engine/journalEnd';
import type { NewRun } from '../../src/engine/runStore';
import { tempDir } from '../support/engine';

const T = { timeout: 60_000 };
const DAY = 24 * 60 * 60 * 1000;
/** A process that is certainly gone: it ran under another boot of this machine. */
const DEAD = { pid: 1, hostname: hostname(), bootId: 'another-boot', startTicks: 1 };
/** Two days ahead: the daily sweep is due. */
const later: Clock = { now: () => Date.now() + 2 * DAY };
const newRun = (over: Partial<NewRun> = {}): NewRun => ({ flowName: 'f', source: '/x.flow.ts', parameters: {}, ...over });

/** Turns every index line naming `id` into garbage. */
function loseFromIndex(home: string, id: string): void {
  const segment = join(home, 'runs', 'index-0000000000.jsonl');
  writeFileSync(segment, readFileSync(segment, 'utf8').split('\n').map((l) => (l.includes(id) ? '{"k":"ru' : l)).join('\n'));
}

/** Sets a file's times `ms` back. */
function age(path: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(path, then, then);
}

describe('runs a damaged index lost', T, () => {
  it('a crashed host\'s Running run is listed again and settled Crashed, as any other', async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home);
    const run = await store.createRun(newRun({ owner: DEAD }));
    await run.append([
      { k: 'state', runId: run.id, name: 'Running', ts: Date.now() },
      { k: 'log', runId: run.id, ts: Date.now(), level: 'INFO', source: 'f', message: 'working' },
    ]);
    await run.setState({ type: 'RUNNING', name: 'Running', timestamp: Date.now() });
    await run.close();
    await store.close();
    loseFromIndex(home, run.id);
    age(join(home, 'runs', `${run.id}.jsonl`), 60_000);

    const again = await EmbeddedStore.open(home);
    await again.close();
    assert.deepEqual(again.relistedRuns.map((r) => [r.id, r.name]), [[run.id, run.name]]);
    assert.equal((await again.get(run.id))?.state.name, 'Crashed');
    assert.match(readFileSync(join(home, 'runs', `${run.id}.jsonl`), 'utf8'), /"name":"Crashed"/, 'its journal ends Crashed');
  });

  it('a run still unfinished whose host is alive is left for a later look', async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home);
    const run = await store.createRun(newRun());
    await run.append([
      { k: 'state', runId: run.id, name: 'Running', ts: Date.now() },
      { k: 'log', runId: run.id, ts: Date.now(), level: 'INFO', source: 'f', message: 'working' },
    ]);
    await run.close();
    await store.close();
    loseFromIndex(home, run.id);
    const again = await EmbeddedStore.open(home);
    await again.close();
    assert.deepEqual(again.relistedRuns, []);
    assert.ok(existsSync(join(home, 'runs', `${run.id}.jsonl`)));
  });

  it('a bare abandoned creation is not listed again, and is swept', async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home);
    await (await store.createRun(newRun())).close();
    await store.close();
    const id = '00000001-0000-4000-8000-000000000000';
    mkdirSync(join(home, 'runs', 'names'), { recursive: true });
    writeFileSync(join(home, 'runs', 'names', 'left'), JSON.stringify({ id, owner: DEAD }));
    writeFileSync(join(home, 'runs', `${id}.jsonl`), `${JSON.stringify({ k: 'run', runId: id, name: 'left', flowName: 'f', source: '/x.flow.ts', parameters: {}, created: 1, owner: DEAD })}\n`);
    // And a damaged index line.
    writeFileSync(join(home, 'runs', 'index-0000000000.jsonl'), '{"k":"ru\n', { flag: 'a' });
    const again = await EmbeddedStore.open(home, { clock: later });
    await again.close();
    assert.deepEqual(again.relistedRuns, []);
    assert.equal(await again.get(id), undefined);
    assert.ok(!existsSync(join(home, 'runs', `${id}.jsonl`)), 'swept');
  });

  it("a huge run's entry is folded from its journal's start and end alone", async () => {
    const path = join(tempDir(), 'run.jsonl');
    const id = '00000002-0000-4000-8000-000000000000';
    const lines = [
      { k: 'run', runId: id, name: 'big', flowName: 'f', source: '/x.flow.ts', parameters: { n: 1 }, created: 1, owner: DEAD },
      { k: 'flow', runId: id, ts: 2, tags: ['etl'] },
      { k: 'state', runId: id, name: 'Running', ts: 3 },
    ].map((l) => JSON.stringify(l));
    const log = JSON.stringify({ k: 'log', runId: id, ts: 4, level: 'INFO', source: 'f', message: 'x'.repeat(1000) });
    const middle = Math.ceil((HEAD_BYTES + JOURNAL_END_BYTES) / log.length) + 10;
    // A state in the middle is read by neither end (a full fold would keep its Failed): not seen.
    const text = `${lines.join('\n')}\n${`${log}\n`.repeat(middle)}${JSON.stringify({ k: 'state', runId: id, name: 'Failed', ts: 5, message: 'middle' })}\n${`${log}\n`.repeat(middle)}${JSON.stringify({ k: 'name', runId: id, name: 'bigger', ts: 6 })}\n${JSON.stringify({ k: 'state', runId: id, name: 'Completed', ts: 7 })}\n`;
    writeFileSync(path, text);
    const summary = await summaryFromJournal(path, id, Buffer.byteLength(text));
    assert.deepEqual(
      summary && { name: summary.name, state: summary.state.name, startTime: summary.startTime, endTime: summary.endTime, tags: summary.tags },
      { name: 'bigger', state: 'Completed', startTime: 3, endTime: 7, tags: ['etl'] },
    );
  });
});
