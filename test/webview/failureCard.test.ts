import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { renderFailure, renderHeader } from '../../src/webview/runDetails/header';
import type { FailureView, RunHeader } from '../../src/webview/runDetails/protocol';

const { window } = new JSDOM('<!DOCTYPE html><body></body>');
// The webview's element helper (dom.ts) builds with the page's document, when it is called.
(globalThis as { document?: unknown }).document = window.document;

const opened: string[] = [];
const events = { onAction: () => {}, onGoToFailure: () => {}, onOpenRun: (id: string) => void opened.push(id) };

describe("a run's failure card and state line", { timeout: 10_000 }, () => {
  it('shows a huge message by its first lines, the whole of it in a closed disclosure; a short one whole', () => {
    const message = `RED ${'line\n'.repeat(5000)}${'x'.repeat(200_000)}`;
    const card = renderFailure({ name: 'Error', message, causes: [] }, events);
    const shown = card.querySelector('p.failure-message')!.textContent!;
    assert.ok(shown.split('\n').length <= 6 && shown.length <= 601, `a few lines: ${shown.length} characters`);
    assert.ok(shown.startsWith('RED line\nline'));
    const whole = card.querySelector('details.failure-whole')!;
    assert.equal(whole.hasAttribute('open'), false);
    assert.match(whole.querySelector('summary')!.textContent!, /^The whole message \(5,001 lines\)$/);
    assert.equal(whole.querySelector('.failure-message')!.textContent, message);

    const short = renderFailure({ name: 'TypeError', message: 'x is undefined', causes: [] }, events);
    assert.equal(short.querySelector('p.failure-message')!.textContent, 'TypeError: x is undefined');
    assert.equal(short.querySelector('details.failure-whole'), null);
  });

  it("a subflow run's failure names that run in its heading, a link to its details", () => {
    const failure: FailureView = { name: 'Error', message: 'child broke', causes: [], where: 'sub.flow.ts:4:9', subflowRunId: 'c1', subflowRunName: 'humming-toucan' };
    const card = renderFailure(failure, events);
    assert.equal(card.querySelector('.section-title')!.textContent, 'Failed in subflow run humming-toucan');
    (card.querySelector('.subflow-run') as unknown as { click(): void }).click();
    assert.deepEqual(opened, ['c1']);
    assert.equal(renderFailure({ name: '', message: "Subflow run 'x' ended in state Failed('y')", causes: [] }, events).querySelector('p.failure-message')!.textContent, "Subflow run 'x' ended in state Failed('y')", 'no "Failed: " before it');
  });

  it("cuts the state line's message (its style keeps it to one line), its tooltip saying more", () => {
    const header: RunHeader = {
      id: 'r1', name: 'light-potoo', flowName: 'etl', source: 'etl.flow.ts', state: { type: 'FAILED', name: 'Failed', timestamp: 2, message: 'y'.repeat(10_000) },
      attempt: 1, trigger: 'manual', created: 1, parameters: 'none', actions: { cancel: false, resume: false, retryFromFailure: true, rerun: true, openSource: true }, result: { kind: 'none', note: '' }, skippedRecords: 0,
    };
    const state = renderHeader(header, 3, events).querySelector('.state') as unknown as { textContent: string; title: string };
    assert.equal(state.textContent, `Failed — ${'y'.repeat(500)}`);
    assert.equal(state.title, `Failed — ${'y'.repeat(2000)}`);
  });

  it('a deleted run shows no buttons, Show Logs neither (it did nothing), and says why', () => {
    const actions = { cancel: false, resume: false, retryFromFailure: false, rerun: false, openSource: false };
    const base: RunHeader = { id: 'r1', name: 'light-potoo', flowName: 'etl', source: 'etl.flow.ts', state: { type: 'COMPLETED', name: 'Completed', timestamp: 2 }, attempt: 1, trigger: 'manual', created: 1, parameters: 'none', actions, result: { kind: 'none', note: '' }, skippedRecords: 0 };
    const shown = renderHeader(base, 3, events);
    assert.deepEqual([...shown.querySelectorAll('.actions button')].map((b) => b.textContent), ['Show Logs']);
    const deleted = renderHeader({ ...base, deleted: true }, 3, events);
    assert.equal(deleted.querySelectorAll('.actions button').length, 0);
    assert.equal(deleted.querySelector('h1')!.textContent, 'Run light-potoo (deleted)');
    assert.match(deleted.querySelector('.notes')!.textContent!, /^This run was deleted from the run history/);
  });

  it('a run not in the store now in use (a changed setting) shows no buttons and says so, not that it was deleted', () => {
    const actions = { cancel: false, resume: false, retryFromFailure: false, rerun: false, openSource: false };
    const base: RunHeader = { id: 'r1', name: 'light-potoo', flowName: 'etl', source: 'etl.flow.ts', state: { type: 'COMPLETED', name: 'Completed', timestamp: 2 }, attempt: 1, trigger: 'manual', created: 1, parameters: 'none', actions, result: { kind: 'none', note: '' }, skippedRecords: 0 };
    const elsewhere = renderHeader({ ...base, otherStore: true }, 3, events);
    assert.equal(elsewhere.querySelectorAll('.actions button').length, 0);
    assert.equal(elsewhere.querySelector('h1')!.textContent, 'Run light-potoo (not in this store)');
    assert.match(elsewhere.querySelector('.notes')!.textContent!, /^This run is not in the run store now in use/);
    assert.doesNotMatch(elsewhere.textContent!, /deleted/);
  });
});
