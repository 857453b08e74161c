import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nameClaimText, parseNameClaim, sweepAbandonedCreations, UNOWNED_AGE_MS, type Listed } from '../../src/engine/abandonedCreations';
import type { Clock } from '../../src/engine/clock';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { currentProcess } from '../../src/engine/processIdentity';
import type { NewRun } from '../../src/engine/runStore';
import { ROOT, tempDir, waitFor } from '../support/engine';

const T = { timeout: 60_000 };
const DAY = 24 * 60 * 60 * 1000;

/** A process that is certainly gone: it ran under another boot of this machine. */
const DEAD = { pid: 1, hostname: hostname(), bootId: 'another-boot', startTicks: 1 };
/** Two days ahead: the daily sweep is due whenever the store last ran it. */
const later: Clock = { now: () => Date.now() + 2 * DAY };

const newRun = (over: Partial<NewRun> = {}): NewRun => ({ flowName: 'f', source: '/x.flow.ts', parameters: {}, ...over });
const runsOf = (home: string): string[] => readdirSync(join(home, 'runs')).filter((f) => /^[0-9a-f-]{36}\.(jsonl|results)$/.test(f)).sort();
const claimsOf = (home: string): string[] => (existsSync(join(home, 'runs', 'names')) ? readdirSync(join(home, 'runs', 'names')).sort() : []);

/** Leaves what a creation leaves in `home` when its process dies at `stage`. */
function leaveCreation(home: string, id: string, name: string, stage: 'claimed' | 'recorded', owner: object | undefined): void {
  mkdirSync(join(home, 'runs', 'names'), { recursive: true });
  writeFileSync(join(home, 'runs', 'names', name), owner ? JSON.stringify({ id, owner }) : id);
  const record = { k: 'run', runId: id, name, flowName: 'f', source: '/x.flow.ts', parameters: {}, created: 1, owner: owner ?? DEAD };
  writeFileSync(join(home, 'runs', `${id}.jsonl`), stage === 'recorded' ? `${JSON.stringify(record)}\n` : '');
}

describe('abandoned creations', T, () => {
  it('a host killed while its run is being created leaves a journal and a name claim; the next store open sweeps them, and the name can be claimed again', async () => {
    const home = tempDir();
    // A host creating a run whose flow never finishes loading (its details never come), killed then.
    const script = `
      const { EmbeddedStore } = require(${JSON.stringify(join(ROOT, 'src/engine/embeddedStore.ts'))});
      EmbeddedStore.open(${JSON.stringify(home)}).then((store) => {
        store.createRun(new Promise(() => undefined)).catch(() => undefined);
      });
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: 'ignore', cwd: ROOT });
    try {
      await waitFor(() => existsSync(join(home, 'runs')) && runsOf(home).length === 1 && claimsOf(home).some((n) => parseNameClaim(readFileSync(join(home, 'runs', 'names', n), 'utf8')) !== undefined), 'the run being created');
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const [name] = claimsOf(home);
    const claim = parseNameClaim(readFileSync(join(home, 'runs', 'names', name!), 'utf8'));
    assert.equal(claim?.owner?.pid, child.pid, 'the claim names the host that made it');
    assert.deepEqual(runsOf(home), [`${claim!.id}.jsonl`]);

    const store = await EmbeddedStore.open(home, { clock: later });
    await store.close();
    assert.deepEqual(runsOf(home), [], 'the journal of the run never created is gone');
    assert.deepEqual(claimsOf(home), [], 'and its name is free again');
    assert.equal(await store.count(), 0);
  });

  it('sweeps journals, results and claims whose creator is dead or, when none can be told, a day old; keeps listed runs and creations in progress', async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home);
    const listed = await store.createRun(newRun());
    await listed.close();
    // A run its flow named (a claim file that is a hash of the name), and one renamed when taken up (two claims).
    const named = await store.createRun(newRun({ name: 'report/acme ✓' }));
    await named.close();
    const ahead = await store.createRun(newRun());
    const random = ahead.name;
    await ahead.rename('taken up', 1);
    await ahead.close();
    const kept = claimsOf(home).filter((n) => n !== listed.name);
    assert.equal(kept.length, 3);
    assert.ok(kept.includes(random) && kept.every((n) => n === random || /^=[0-9a-f]{64}$/.test(n)), kept.join(' '));
    await store.close();
    const id = (n: number): string => `0000000${n}-0000-4000-8000-000000000000`;
    leaveCreation(home, id(1), 'dead-claimed', 'claimed', DEAD);
    leaveCreation(home, id(2), 'dead-recorded', 'recorded', DEAD);
    mkdirSync(join(home, 'runs', `${id(2)}.results`));
    writeFileSync(join(home, 'runs', `${id(2)}.results`, 'r1'), 'x');
    leaveCreation(home, id(3), 'alive-claimed', 'claimed', currentProcess());
    // Claims from before the owner was written, an unowned journal and a torn claim: judged by age.
    leaveCreation(home, id(4), 'old-unowned', 'claimed', undefined);
    leaveCreation(home, id(5), 'new-unowned', 'claimed', undefined);
    writeFileSync(join(home, 'runs', 'names', 'old-torn'), '{"id":"0000');
    writeFileSync(join(home, 'runs', 'names', 'new-torn'), '');
    const past = (Date.now() - UNOWNED_AGE_MS - DAY) / 1000;
    for (const f of [`runs/names/old-unowned`, `runs/${id(4)}.jsonl`, 'runs/names/old-torn']) utimesSync(join(home, f), past, past);
    // The sweep of the first open was today: its marker goes, so this open sweeps again.
    rmSync(join(home, 'runs', '.swept'));

    const again = await EmbeddedStore.open(home);
    await again.close();
    assert.deepEqual(runsOf(home), [`${id(3)}.jsonl`, `${id(5)}.jsonl`, `${listed.id}.jsonl`, `${named.id}.jsonl`, `${ahead.id}.jsonl`].sort());
    assert.deepEqual(claimsOf(home), ['alive-claimed', 'new-torn', 'new-unowned', listed.name, ...kept].sort());
    assert.deepEqual([(await again.get(named.id))?.name, (await again.get(ahead.id))?.name], ['report/acme ✓', 'taken up']);
    assert.equal((await again.get(listed.id))?.name, listed.name, 'the listed run is untouched');
  });

  it('looks at the index again before removing: a run its creator listed before dying is kept', T, async () => {
    const home = tempDir();
    const runs = join(home, 'runs');
    mkdirSync(runs, { recursive: true });
    const id = '00000001-0000-4000-8000-000000000000';
    leaveCreation(home, id, 'listed-late', 'recorded', DEAD);
    let looks = 0;
    const index = async (): Promise<Listed> => {
      looks++;
      // The first look is from before the creator listed its run; the second from after.
      const now = looks > 1;
      return { hasRun: (x) => now && x === id, hasName: (n) => now && n === 'listed-late' };
    };
    const swept = await sweepAbandonedCreations(runs, index, { now: () => Date.now() });
    assert.equal(looks, 2);
    assert.deepEqual(swept, { runs: [], names: [] });
    assert.deepEqual(runsOf(home), [`${id}.jsonl`]);
    assert.deepEqual(claimsOf(home), ['listed-late']);
  });

  it('keeps the journal of a run the index lost (an emptied or torn index), and sweeps one the index says was deleted', T, async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home);
    const lost = await store.createRun(newRun());
    await lost.append([{ k: 'log', runId: lost.id, ts: 1, level: 'INFO', source: 'f', message: 'the run did work' }]);
    await lost.close();
    const made = await store.createRun(newRun());
    await made.append([{ k: 'log', runId: made.id, ts: 1, level: 'INFO', source: 'f', message: 'deleted later' }]);
    await made.close();
    await store.close();
    // Their creator is gone, as the process of a run from yesterday is.
    for (const run of [lost, made]) writeFileSync(join(home, 'runs', 'names', run.name), nameClaimText(run.id, DEAD));
    const journal = readFileSync(join(home, 'runs', `${lost.id}.jsonl`), 'utf8');
    // The index loses the first run's lines (a torn write, a file emptied by hand), and records the second's deletion,
    // whose process died before removing its files.
    const segment = join(home, 'runs', 'index-0000000000.jsonl');
    const lines = readFileSync(segment, 'utf8').split('\n').filter((l) => l.length > 0 && !l.includes(lost.id));
    writeFileSync(segment, `${lines.join('\n')}\n${JSON.stringify({ k: 'del', id: made.id })}\n`);

    const again = await EmbeddedStore.open(home, { clock: later });
    await again.close();
    assert.equal(readFileSync(join(home, 'runs', `${lost.id}.jsonl`), 'utf8'), journal, 'the lost run keeps its whole journal');
    assert.ok(claimsOf(home).includes(lost.name), 'and its name');
    assert.ok(!existsSync(join(home, 'runs', `${made.id}.jsonl`)), 'the deleted run goes');
    assert.ok(!claimsOf(home).includes(made.name));
  });

  it('a deletion that died before removing its files is remembered through a compaction, and swept', T, async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home);
    const run = await store.createRun(newRun());
    await run.append([{ k: 'log', runId: run.id, ts: 1, level: 'INFO', source: 'f', message: 'the run did work' }]);
    await run.close();
    const other = await store.createRun(newRun());
    await other.close();
    await store.close();
    writeFileSync(join(home, 'runs', 'names', run.name), nameClaimText(run.id, DEAD));
    // The deletion's index line, written first; its process died before the files went.
    writeFileSync(join(home, 'runs', 'index-0000000000.jsonl'), `${JSON.stringify({ k: 'del', id: run.id })}\n`, { flag: 'a' });
    const compacting = await EmbeddedStore.open(home);
    assert.equal(await compacting.compact(), true);
    await compacting.close();
    assert.ok(existsSync(join(home, 'runs', `${run.id}.jsonl`)), 'not swept yet (the day\'s sweep was done)');

    const again = await EmbeddedStore.open(home, { clock: later });
    await again.close();
    assert.ok(!existsSync(join(home, 'runs', `${run.id}.jsonl`)), "the deleted run's journal goes");
    assert.ok(!claimsOf(home).includes(run.name));
    assert.equal((await again.get(other.id))?.id, other.id, 'the other run stays listed');
    assert.ok(existsSync(join(home, 'runs', `${other.id}.jsonl`)));
  });

  it('runs at most once a day', T, async () => {
    const home = tempDir();
    await (await EmbeddedStore.open(home)).close();
    leaveCreation(home, '00000001-0000-4000-8000-000000000000', 'dead', 'claimed', DEAD);
    await (await EmbeddedStore.open(home)).close();
    assert.deepEqual(claimsOf(home), ['dead'], 'swept less than a day ago: not again');
    await (await EmbeddedStore.open(home, { clock: later })).close();
    assert.deepEqual(claimsOf(home), []);
  });

  it('reads what a claim says, old and new, and nothing else', T, () => {
    const owner = currentProcess();
    assert.deepEqual(parseNameClaim(nameClaimText('00000001-0000-4000-8000-000000000000', owner)), { id: '00000001-0000-4000-8000-000000000000', owner });
    assert.deepEqual(parseNameClaim('00000001-0000-4000-8000-000000000000'), { id: '00000001-0000-4000-8000-000000000000' });
    assert.deepEqual(parseNameClaim('{"id":"x","owner":{"pid":"1"}}'), { id: 'x' });
    assert.equal(parseNameClaim(''), undefined);
    assert.equal(parseNameClaim('{"id":'), undefined);
    assert.equal(parseNameClaim('[1]'), undefined);
  });
});
