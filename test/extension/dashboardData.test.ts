/**
 * The dashboard's only door to the run store (src/extension/dashboard/data.ts), against a real store on
 * disk: what each function returns, that results of finished runs are read once, and that a running
 * run's result is read again.
 */
import assert from 'node:assert/strict';
import { unlinkSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { flatten } from '../../src/engine/serializer';
import { state, type StateName } from '../../src/engine/states';
import { createDashboardData } from '../../src/extension/dashboard/data';
import { tempDir } from '../support/engine';

/** A run of github-repo-stats; returns its id. */
async function addRun(store: EmbeddedStore, created: number, name: StateName, parameters: Record<string, unknown>, result?: unknown): Promise<string> {
  const h = await store.createRun({ flowName: 'github-repo-stats', source: 'builtin:github-repo-stats', parameters, state: state('Pending', undefined, created) });
  await h.append([{ k: 'log', runId: h.id, ts: created + 1, level: 'INFO', source: `Flow run '${h.name}'`, message: `hello from ${h.name}` }]);
  if (result !== undefined) await h.append([{ k: 'result', runId: h.id, value: flatten(result) }]);
  const s = state(name, undefined, created + 2);
  await h.append([{ k: 'state', runId: h.id, name: s.name, ts: s.timestamp }]);
  await h.setState(s);
  await h.close();
  return h.id;
}

function counts(repo: string, stars: number): Record<string, unknown> {
  return { repo, stars, forks: 2, watchers: 3, openIssues: 4, openPullRequests: 5, starHistory: [{ date: '2024-01-01', stars }], fetchedAt: '2024-01-02T00:00:00.000Z' };
}

describe('dashboard data', () => {
  it('lists runs with their parameters, reads results, snapshots and logs, and finds the runs of a repository', { timeout: 20_000 }, async () => {
    const store = await EmbeddedStore.open(tempDir('flowdeck-dashboard-data-'));
    const a1 = await addRun(store, 1_000, 'Completed', { repo: 'acme/alpha' }, counts('acme/alpha', 10));
    const a2 = await addRun(store, 2_000, 'Completed', { repo: 'ACME/Alpha' }, counts('acme/alpha', 12));
    const b1 = await addRun(store, 3_000, 'Completed', { repo: 'acme/beta' }, { nonsense: true });
    const r1 = await addRun(store, 4_000, 'Running', { repo: 'acme/alpha' });
    const data = createDashboardData(async () => store);

    const runs = await data.listRuns();
    assert.deepEqual(runs.map((r) => r.id), [r1, b1, a2, a1]);
    assert.deepEqual(runs.map((r) => r.parameters.repo), ['acme/alpha', 'acme/beta', 'ACME/Alpha', 'acme/alpha']);
    assert.deepEqual((await data.runsOfRepository('acme/alpha')).map((r) => r.id), [r1, a2, a1]);
    assert.equal(((await data.readResult(a1)) as { stars: number }).stars, 10);
    assert.deepEqual(await data.readSnapshot(a2), { repo: 'acme/alpha', fetchedAt: '2024-01-02T00:00:00.000Z', counts: { stars: 12, forks: 2, watchers: 3, openIssues: 4, openPullRequests: 5 } });
    assert.equal(await data.readSnapshot(b1), undefined, 'an unreadable result has no snapshot');
    assert.equal(await data.readResult(r1), undefined, 'a running run has no result yet');
    const names = new Map(runs.map((r) => [r.id, r.name]));
    assert.deepEqual((await data.readLogs(a1)).map((l) => l.message), [`hello from ${names.get(a1)}`]);
    assert.equal(await data.readResult('gone'), undefined);
    await store.close();
  });

  it("reads a finished run's result once, and a running run's again", { timeout: 20_000 }, async () => {
    const store = await EmbeddedStore.open(tempDir('flowdeck-dashboard-data-'));
    const f1 = await addRun(store, 1_000, 'Completed', { repo: 'acme/alpha' }, counts('acme/alpha', 10));
    const r1 = await addRun(store, 2_000, 'Running', { repo: 'acme/alpha' });
    const data = createDashboardData(async () => store);
    assert.equal(((await data.readResult(f1)) as { stars: number }).stars, 10);
    assert.equal((await data.readSnapshot(f1))?.counts.stars, 10);
    // The file is gone; the cached result and snapshot are still there.
    unlinkSync(store.runFile(f1));
    assert.equal(((await data.readResult(f1)) as { stars: number }).stars, 10);
    assert.equal((await data.readSnapshot(f1))?.counts.stars, 10);

    assert.equal(await data.readResult(r1), undefined);
    const h = await store.openRun(r1);
    await h.append([{ k: 'result', runId: r1, value: flatten(counts('acme/alpha', 11)) }]);
    await h.close();
    assert.equal(((await data.readResult(r1)) as { stars: number }).stars, 11, 'not cached while the run is unfinished');
    await store.close();
  });

  it('reads the latest artifact of each key per flow from only the runs holding them, a running run again when it has a new key, and table pages', { timeout: 20_000 }, async () => {
    const store = await EmbeddedStore.open(tempDir('flowdeck-dashboard-data-'));
    const make = async (created: number, records: { key: string; text: string }[], end?: StateName): Promise<{ id: string; handle: Awaited<ReturnType<EmbeddedStore['createRun']>> }> => {
      const h = await store.createRun({ flowName: 'daily', source: '/w/daily.flow.ts', parameters: {}, state: state('Pending', undefined, created) });
      for (const r of records) {
        await h.append([{ k: 'artifact', runId: h.id, key: r.key, ts: created + 1, data: { kind: 'markdown', markdown: r.text } }]);
        await h.addArtifactKeys([r.key]);
      }
      if (end) {
        await h.append([{ k: 'state', runId: h.id, name: end, ts: created + 2 }]);
        await h.setState(state(end, undefined, created + 2));
      }
      return { id: h.id, handle: h };
    };
    const old = await make(1_000, [{ key: 'report', text: 'old report' }, { key: 'sheet', text: 'old sheet' }], 'Completed');
    const rows = Array.from({ length: 70 }, (_, i) => [`r${i}`]);
    const tableRun = await store.createRun({ flowName: 'daily', source: '/w/daily.flow.ts', parameters: {}, state: state('Pending', undefined, 1_500) });
    await tableRun.append([{ k: 'artifact', runId: tableRun.id, key: 'rows', ts: 1_501, data: { kind: 'table', rows } }]);
    await tableRun.addArtifactKeys(['rows']);
    await tableRun.close();
    const live = await make(2_000, [{ key: 'report', text: 'new report' }]);
    const data = createDashboardData(async () => store);

    const texts = async (): Promise<string[]> => {
      const [flow] = await data.readFlowArtifacts(await data.listRuns());
      return flow!.artifacts.map((a) => `${a.key}:${a.data.kind === 'markdown' ? a.data.markdown : a.data.kind}`).sort();
    };
    assert.deepEqual(await texts(), ['report:new report', 'rows:table', 'sheet:old sheet']);
    // The finished run's artifacts are not read again: its file can go.
    unlinkSync(store.runFile(old.id));
    // The running run: read again once it has a new key.
    await live.handle.append([{ k: 'artifact', runId: live.id, key: 'report', ts: 2_005, data: { kind: 'markdown', markdown: 'newer report' } }]);
    assert.deepEqual(await texts(), ['report:new report', 'rows:table', 'sheet:old sheet'], 'same keys: not read again while it runs');
    await live.handle.append([{ k: 'artifact', runId: live.id, key: 'chart-notes', ts: 2_006, data: { kind: 'markdown', markdown: 'notes' } }]);
    await live.handle.addArtifactKeys(['chart-notes']);
    assert.deepEqual(await texts(), ['chart-notes:notes', 'report:newer report', 'rows:table', 'sheet:old sheet']);
    await live.handle.close();

    assert.deepEqual((await data.readTable(tableRun.id, 'rows'))?.rows, rows);
    assert.equal(await data.readTable(tableRun.id, 'nope'), undefined);
    await store.close();
  });
});
