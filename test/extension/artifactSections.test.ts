import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Artifact } from '../../src/engine/artifacts';
import { latestHolders } from '../../src/engine/latestArtifacts';
import type { FlowRunSummary } from '../../src/engine/records';
import { state } from '../../src/engine/states';
import { artifactSections, flowsWithArtifacts, MAX_ARTIFACT_KEYS_SHOWN, tableOf, tablePage } from '../../src/extension/dashboard/artifactSections';
import { buildDashboardModel } from '../../src/extension/dashboard/model';
import { parseWebviewMessage, ProtocolError, TABLE_PAGE_ROWS } from '../../src/webview/protocol';

const owner = { pid: 1, hostname: 'h' };
function run(id: string, flowName: string, created: number, artifactKeys?: string[]): FlowRunSummary & { parameters: Record<string, unknown> } {
  return { id, name: `run-${id}`, flowName, source: `/w/${flowName}.flow.ts`, state: state('Completed', undefined, created + 1), created, owner, attempt: 1, seq: 1, parameters: {}, ...(artifactKeys ? { artifactKeys } : {}) };
}
const md = (key: string, runId: string, ts: number, text = `# ${key}`): Artifact => ({ key, runId, ts, data: { kind: 'markdown', markdown: text } });

describe('dashboard artifact sections', () => {
  it('finds the newest run holding each key, and the flows that have artifacts (newest first)', () => {
    const runs = [run('c', 'daily', 300, ['report']), run('x', 'other', 250), run('b', 'daily', 200, ['report', 'latency']), run('a', 'weekly', 100, ['sheet'])];
    assert.deepEqual([...latestHolders(runs.filter((r) => r.flowName === 'daily'))], [['c', ['report']], ['b', ['latency']]]);
    assert.deepEqual(flowsWithArtifacts(runs), ['daily', 'weekly']);
    assert.deepEqual(flowsWithArtifacts(runs, 1), ['daily']);
    const many = [run('m', 'big', 1, Array.from({ length: 40 }, (_, i) => `k${i}`))];
    assert.equal(latestHolders(many, MAX_ARTIFACT_KEYS_SHOWN).get('m')!.length, MAX_ARTIFACT_KEYS_SHOWN);
  });

  it('builds one section per flow, newest artifact first; a table carries its first page and its row count; runs no longer stored are left out', () => {
    const rows = Array.from({ length: 120 }, (_, i) => [`row ${i}`, i]);
    const table: Artifact = { key: 'top', runId: 'b', ts: 250, data: { kind: 'table', columns: ['name', 'n'], rows } };
    const runs = [run('c', 'daily', 300, ['report']), run('b', 'daily', 200, ['top']), run('w', 'weekly', 400, ['sheet'])];
    const model = buildDashboardModel({
      runs,
      results: new Map(),
      now: 1000,
      artifacts: [
        { flowName: 'daily', artifacts: [table, md('report', 'c', 310), md('gone', 'deleted-run', 999)] },
        { flowName: 'weekly', artifacts: [{ key: 'sheet', runId: 'w', ts: 410, data: { kind: 'link', url: 'https://example.com', label: 'Sheet' } }] },
        { flowName: 'empty', artifacts: [md('x', 'deleted-run', 5)] },
      ],
    });
    assert.deepEqual(model.artifacts.map((s) => [s.flowName, s.artifacts.map((a) => `${a.key}@${a.runName}`)]), [
      ['weekly', ['sheet@run-w']],
      ['daily', ['report@run-c', 'top@run-b']],
    ]);
    const top = model.artifacts[1]!.artifacts[1]!;
    assert.equal(top.totalRows, 120);
    assert.equal(top.data.kind === 'table' && top.data.rows.length, TABLE_PAGE_ROWS);
    assert.deepEqual(top.data.kind === 'table' && top.data.rows[0], ['row 0', 0]);
    // The stored artifact is not cut by building the model.
    assert.equal(table.data.kind === 'table' && table.data.rows.length, 120);
    assert.deepEqual(tablePage(tableOf(table)!, 100), { rows: rows.slice(100), total: 120 });
    assert.equal(tableOf(md('r', 'c', 1)), undefined);
    assert.deepEqual(artifactSections([], runs), []);
  });

  it('accepts table pages and http(s) links from the webview, and nothing else', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'tableRows', runId: 'abc-1', key: 'top', offset: 50 }), { type: 'tableRows', runId: 'abc-1', key: 'top', offset: 50 });
    assert.deepEqual(parseWebviewMessage({ type: 'openLink', url: 'https://example.com/a' }), { type: 'openLink', url: 'https://example.com/a' });
    for (const bad of [
      { type: 'openLink', url: 'javascript:alert(1)' },
      { type: 'openLink', url: 'command:workbench.action.terminal.new' },
      { type: 'openLink', url: 'file:///etc/passwd' },
      { type: 'openLink', url: `https://example.com/${'a'.repeat(3000)}` },
      { type: 'tableRows', runId: '../x', key: 'top', offset: 0 },
      { type: 'tableRows', runId: 'abc', key: 'Top Key', offset: 0 },
      { type: 'tableRows', runId: 'abc', key: 'top', offset: -1 },
    ]) {
      assert.throws(() => parseWebviewMessage(bad), ProtocolError, JSON.stringify(bad).slice(0, 80));
    }
  });
});
