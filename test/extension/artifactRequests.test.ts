/**
 * The host's side of the artifact messages a run's details panel sends (the dashboard's go through the same
 * handler): parsed first, refused with a reason when hostile; table pages read from the run as the reducer
 * folded it (the run's own tables only); links and exports handed to the editor's actions, each request
 * answered once, a failure as a notice or a reply that says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { RunRecord } from '../../src/engine/records';
import { applyRecord, startFold } from '../../src/engine/runReducer';
import { handleArtifactMessage, type ArtifactPanel, type ExportActions, type Outcome } from '../../src/extension/artifacts/artifactRequests';
import { artifactViewsOf, runTable } from '../../src/extension/runDetails/detailsModel';
import { isArtifactMessage, MAX_EXPORT_CHARS, TABLE_PAGE_ROWS } from '../../src/webview/artifactMessages';
import { parseRunDetailsMessage, ProtocolError } from '../../src/webview/runDetails/protocol';

const RUN = 'run-1';

/** A run as the one reducer folds its journal: a task run's table of 120 rows, the flow's chart, a report replaced under its key. */
function foldedRun() {
  const fold = startFold({ k: 'run', runId: RUN, name: 'light-potoo', flowName: 'report', source: '/w/report.flow.ts', parameters: {}, created: 1, owner: { pid: 1, hostname: 'h' } });
  const rows = Array.from({ length: 120 }, (_, i) => [`customer-${i + 1}`, 1000 - i]);
  const records: RunRecord[] = [
    { k: 'state', runId: RUN, name: 'Running', ts: 2 },
    { k: 'task', runId: RUN, id: 't1', name: 'rank-0', taskName: 'rank', ts: 3 },
    { k: 'artifact', runId: RUN, taskRunId: 't1', key: 'top-customers', ts: 4, data: { kind: 'table', columns: ['customer', 'spend'], rows } },
    { k: 'artifact', runId: RUN, key: 'report', ts: 5, data: { kind: 'markdown', markdown: '# First' } },
    { k: 'artifact', runId: RUN, key: 'latency', ts: 6, data: { kind: 'chart', chart: { kind: 'line', x: ['a', 'b'], series: [{ name: 'p50', values: [1, 2] }] } } },
    { k: 'artifact', runId: RUN, key: 'report', ts: 7, data: { kind: 'markdown', markdown: '# Second' } },
  ];
  for (const r of records) applyRecord(fold, r);
  return fold.detail;
}

function panelOf(detail = foldedRun()): ArtifactPanel & { posted: unknown[] } {
  const posted: unknown[] = [];
  return { posted, readTable: async (runId, key) => runTable(detail, runId, key), post: (m) => void posted.push(m) };
}

function actionsRecording(outcomes: { save?: () => Promise<Outcome>; open?: (url: string) => Promise<void> } = {}): ExportActions & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    saveFile: (format, name, data) => (calls.push(['saveFile', format, name, data.length]), outcomes.save?.() ?? Promise.resolve({ ok: true, message: `Saved /w/${name}.` })),
    copyText: (text, what) => (calls.push(['copyText', text, what]), Promise.resolve({ ok: true, message: `Copied ${what} to the clipboard.` })),
    openLink: (url) => (calls.push(['openLink', url]), outcomes.open?.(url) ?? Promise.resolve()),
  };
}

/** Parses as the panel does, then handles. */
async function send(raw: unknown, panel: ArtifactPanel, actions: ExportActions): Promise<void> {
  const message = parseRunDetailsMessage(raw);
  if (!isArtifactMessage(message)) assert.fail(`not parsed as an artifact message: ${message.type}`);
  await handleArtifactMessage(message, panel, actions);
}

describe("a run details panel's artifact messages", () => {
  it('the run and its task runs each show the latest artifact of a key, titled by who made it; a table carries its first page', () => {
    const views = artifactViewsOf(foldedRun());
    assert.deepEqual(views.map((v) => `${v.key}@${v.runName}`), ['top-customers@rank-0', 'report@light-potoo', 'latency@light-potoo']);
    const report = views[1]!;
    assert.equal(report.data.kind === 'markdown' && report.data.markdown, '# Second');
    const table = views[0]!;
    assert.equal(table.totalRows, 120);
    assert.equal(table.data.kind === 'table' && table.data.rows.length, TABLE_PAGE_ROWS);
  });

  it("answers a table page from the folded run, and says so when the table is not this run's", async () => {
    const panel = panelOf();
    const actions = actionsRecording();
    await send({ type: 'tableRows', runId: RUN, key: 'top-customers', offset: 50 }, panel, actions);
    await send({ type: 'tableRows', runId: RUN, key: 'nothing-here', offset: 0 }, panel, actions);
    await send({ type: 'tableRows', runId: 'other-run', key: 'top-customers', offset: 0 }, panel, actions);
    const [page, missing, other] = panel.posted as Record<string, unknown>[];
    assert.equal(page!.type, 'tableRows');
    assert.equal(page!.total, 120);
    assert.equal((page!.rows as unknown[][]).length, 50);
    assert.deepEqual((page!.rows as unknown[][])[0], ['customer-51', 950]);
    assert.deepEqual(missing, { type: 'notice', level: 'error', message: "The table 'nothing-here' is no longer stored." });
    assert.deepEqual(other, { type: 'notice', level: 'error', message: "The table 'top-customers' is no longer stored." });
    assert.deepEqual(actions.calls, [], 'no editor action for a page');
  });

  it('opens http(s) links through the editor; a refused one comes back as a notice', async () => {
    const panel = panelOf();
    const actions = actionsRecording({ open: async (url) => void (url.includes('blocked') && (await Promise.reject(new Error('Refusing to open the link.')))) });
    await send({ type: 'openLink', url: 'https://example.com/sheet' }, panel, actions);
    await send({ type: 'openLink', url: 'https://example.com/blocked' }, panel, actions);
    assert.deepEqual(actions.calls, [['openLink', 'https://example.com/sheet'], ['openLink', 'https://example.com/blocked']]);
    assert.deepEqual(panel.posted, [{ type: 'notice', level: 'error', message: 'Refusing to open the link.' }]);
  });

  it('saves and copies through the editor, one reply per request with its number, a failure included', async () => {
    const panel = panelOf();
    let fail = false;
    const actions = actionsRecording({ save: async () => (fail ? Promise.reject(new Error('disk full')) : { ok: true, message: 'Saved /w/latency.png.' }) });
    await send({ type: 'saveFile', req: 7, format: 'png', name: 'latency.png', data: 'data:image/png;base64,iVBORw0KGgo=' }, panel, actions);
    await send({ type: 'copyText', req: 8, text: 'x,p50\na,1\n' }, panel, actions);
    fail = true;
    await send({ type: 'saveFile', req: 9, format: 'csv', name: 'latency.csv', data: 'x,p50\n' }, panel, actions);
    assert.deepEqual(panel.posted, [
      { type: 'reply', req: 7, ok: true, message: 'Saved /w/latency.png.' },
      { type: 'reply', req: 8, ok: true, message: 'Copied the data as CSV to the clipboard.' },
      { type: 'reply', req: 9, ok: false, message: 'disk full' },
    ]);
    assert.deepEqual(actions.calls[1], ['copyText', 'x,p50\na,1\n', 'the data as CSV']);
  });

  it('exports a table of many pages whole, as CSV the way spreadsheets read it back: saved under its key, or copied; a table gone says so', async () => {
    const panel = panelOf();
    const saved: string[] = [];
    const actions = actionsRecording();
    const save = actions.saveFile;
    actions.saveFile = (format, name, data) => (saved.push(data), save(format, name, data));
    await send({ type: 'exportTable', req: 1, runId: RUN, key: 'top-customers', to: 'file' }, panel, actions);
    await send({ type: 'exportTable', req: 2, runId: RUN, key: 'top-customers', to: 'clipboard' }, panel, actions);
    await send({ type: 'exportTable', req: 3, runId: RUN, key: 'nothing-here', to: 'file' }, panel, actions);
    const records = parse(saved[0]!, { columns: true }) as { customer: string; spend: string }[];
    assert.equal(records.length, 120, 'every row, not the page the webview holds');
    assert.deepEqual(records[119], { customer: 'customer-120', spend: '881' });
    assert.deepEqual(actions.calls[0], ['saveFile', 'csv', 'top-customers.csv', saved[0]!.length]);
    assert.equal(actions.calls[1]![1], saved[0], 'the clipboard gets the same CSV');
    assert.equal(actions.calls[1]![2], 'the table top-customers as CSV');
    assert.deepEqual(panel.posted, [
      { type: 'reply', req: 1, ok: true, message: 'Saved /w/top-customers.csv.' },
      { type: 'reply', req: 2, ok: true, message: 'Copied the table top-customers as CSV to the clipboard.' },
      { type: 'reply', req: 3, ok: false, message: "The table 'nothing-here' is no longer stored." },
    ]);
    assert.equal(actions.calls.length, 2, 'nothing saved for a table that is gone');
  });

  it('refuses hostile messages before anything is done, saying what was wrong', () => {
    const refused: [unknown, RegExp][] = [
      [{ type: 'openLink', url: 'javascript:alert(1)' }, /openLink.url must be an http or https URL/],
      [{ type: 'openLink', url: 'file:///etc/passwd' }, /openLink.url must be an http or https URL/],
      [{ type: 'openLink', url: 'command:workbench.action.terminal.new' }, /openLink.url/],
      [{ type: 'openLink', req: 1, url: 'https://example.com' }, /unexpected field 'req'/],
      [{ type: 'tableRows', runId: '../../etc', key: 'top', offset: 0 }, /not a run id/],
      [{ type: 'tableRows', runId: RUN, key: 'Top Key', offset: 0 }, /tableRows.key must be an artifact key/],
      [{ type: 'tableRows', runId: RUN, key: 'top', offset: -1 }, /tableRows.offset must be a row number/],
      [{ type: 'saveFile', req: 1, format: 'png', name: 'chart.png', data: 'data:image/svg+xml;base64,PHN2Zz4=' }, /saveFile.data must be a data:image\/png;base64,… URL/],
      [{ type: 'saveFile', req: 1, format: 'csv', name: '../../.bashrc.csv', data: '' }, /saveFile.name must be a plain file name/],
      [{ type: 'saveFile', req: 1, format: 'exe', name: 'a.exe', data: '' }, /saveFile.format must be png or csv/],
      [{ type: 'saveFile', format: 'csv', name: 'a.csv', data: '' }, /saveFile.req must be a request number/],
      [{ type: 'copyText', req: 1, text: 'x'.repeat(MAX_EXPORT_CHARS + 1) }, /copyText.text is \d+ characters, more than the \d+ accepted/],
      [{ type: 'exportTable', req: 1, runId: RUN, key: '../x', to: 'file' }, /exportTable.key must be an artifact key/],
      [{ type: 'exportTable', req: 1, runId: RUN, key: 'top', to: '/tmp/out.csv' }, /exportTable.to must be file or clipboard/],
      [{ type: 'exportTable', runId: RUN, key: 'top', to: 'file' }, /exportTable.req must be a request number/],
      [{ type: 'exportTable', req: 1, runId: RUN, key: 'top', to: 'file', name: 'x.csv' }, /unexpected field 'name'/],
    ];
    for (const [raw, pattern] of refused) {
      assert.throws(() => parseRunDetailsMessage(raw), (e: unknown) => e instanceof ProtocolError && pattern.test(e.message), JSON.stringify(raw).slice(0, 100));
    }
  });
});
