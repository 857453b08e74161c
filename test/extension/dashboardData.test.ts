/**
 * The dashboard's only door to the run store (src/extension/dashboard/data.ts), against a real store on
 * disk: what each function returns, that results of finished runs are read once, and that a running
 * run's result is read again. The lead re-points these functions at the asynchronous store; this is the
 * contract they keep.
 */
import assert from 'node:assert/strict';
import { unlinkSync } from 'node:fs';
import { describe, it } from 'node:test';
import { currentProcess } from '../../src/engine/processIdentity';
import { RunStore, RunWriter } from '../../src/engine/runStore';
import { state, type StateName } from '../../src/engine/states';
import { createDashboardData } from '../../src/extension/dashboard/data';
import { tempDir } from '../support/engine';

function addRun(store: RunStore, id: string, created: number, name: StateName, parameters: Record<string, unknown>, result?: unknown): void {
  const writer = store.createRun({
    id,
    name: `run-${id}`,
    flowName: 'github-repo-stats',
    source: 'builtin:github-repo-stats',
    parameters,
    state: state(name, undefined, created),
    created,
    owner: currentProcess(),
  });
  writer.append([{ k: 'log', ts: created + 1, level: 'INFO', source: `Flow run 'run-${id}'`, msg: `hello from ${id}` }]);
  if (result !== undefined) writer.append([{ k: 'result', value: result }]);
  writer.close();
}

function counts(repo: string, stars: number): Record<string, unknown> {
  return { repo, stars, forks: 2, watchers: 3, openIssues: 4, openPullRequests: 5, starHistory: [{ date: '2024-01-01', stars }], fetchedAt: '2024-01-02T00:00:00.000Z' };
}

describe('dashboard data', () => {
  it('lists runs, reads results, snapshots and logs, and finds the runs of a repository', { timeout: 20_000 }, async () => {
    const home = tempDir('flowdeck-dashboard-data-');
    const store = RunStore.open(home);
    addRun(store, 'a1', 1_000, 'Completed', { repo: 'acme/alpha' }, counts('acme/alpha', 10));
    addRun(store, 'a2', 2_000, 'Completed', { repo: 'ACME/Alpha' }, counts('acme/alpha', 12));
    addRun(store, 'b1', 3_000, 'Completed', { repo: 'acme/beta' }, { nonsense: true });
    addRun(store, 'r1', 4_000, 'Running', { repo: 'acme/alpha' });
    const data = createDashboardData(() => store);

    assert.deepEqual((await data.listRuns()).map((r) => r.id), ['r1', 'b1', 'a2', 'a1']);
    assert.deepEqual((await data.runsOfRepository('acme/alpha')).map((r) => r.id), ['r1', 'a2', 'a1']);
    assert.equal(((await data.readResult('a1')) as { stars: number }).stars, 10);
    assert.deepEqual(await data.readSnapshot('a2'), { repo: 'acme/alpha', fetchedAt: '2024-01-02T00:00:00.000Z', counts: { stars: 12, forks: 2, watchers: 3, openIssues: 4, openPullRequests: 5 } });
    assert.equal(await data.readSnapshot('b1'), undefined, 'an unreadable result has no snapshot');
    assert.equal(await data.readResult('r1'), undefined, 'a running run has no result yet');
    assert.deepEqual((await data.readLogs('a1')).map((l) => l.message), ['hello from a1']);
    assert.equal(await data.readResult('gone'), undefined);
  });

  it("reads a finished run's result once, and a running run's again", { timeout: 20_000 }, async () => {
    const home = tempDir('flowdeck-dashboard-data-');
    const store = RunStore.open(home);
    addRun(store, 'f1', 1_000, 'Completed', { repo: 'acme/alpha' }, counts('acme/alpha', 10));
    addRun(store, 'r1', 2_000, 'Running', { repo: 'acme/alpha' });
    const data = createDashboardData(() => store);
    assert.equal(((await data.readResult('f1')) as { stars: number }).stars, 10);
    assert.equal((await data.readSnapshot('f1'))?.counts.stars, 10);
    // The file is gone; the cached result and snapshot are still there.
    unlinkSync(store.runFile('f1'));
    assert.equal(((await data.readResult('f1')) as { stars: number }).stars, 10);
    assert.equal((await data.readSnapshot('f1'))?.counts.stars, 10);

    assert.equal(await data.readResult('r1'), undefined);
    const writer = new RunWriter(store.runFile('r1'));
    writer.append([{ k: 'result', value: counts('acme/alpha', 11) }]);
    writer.close();
    assert.equal(((await data.readResult('r1')) as { stars: number }).stars, 11, 'not cached while the run is unfinished');
  });
});
