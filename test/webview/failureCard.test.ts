import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { renderFailure } from '../../src/webview/runDetails/header';
import type { FailureView } from '../../src/webview/runDetails/protocol';

const { window } = new JSDOM('<!DOCTYPE html><body></body>');
// The webview's element helper (dom.ts) builds with the page's document, when it is called.
(globalThis as { document?: unknown }).document = window.document;

const opened: string[] = [];
const events = { onAction: () => {}, onGoToFailure: () => {}, onOpenRun: (id: string) => void opened.push(id) };

describe("a run's failure card", { timeout: 10_000 }, () => {
  it("a subflow run's failure names that run in its heading, a link to its details", () => {
    const failure: FailureView = { name: 'Error', message: 'child broke', causes: [], where: 'sub.flow.ts:4:9', subflowRunId: 'c1', subflowRunName: 'humming-toucan' };
    const card = renderFailure(failure, events);
    assert.equal(card.querySelector('.section-title')!.textContent, 'Failed in subflow run humming-toucan');
    (card.querySelector('.subflow-run') as unknown as { click(): void }).click();
    assert.deepEqual(opened, ['c1']);
    assert.equal(renderFailure({ name: '', message: "Subflow run 'x' ended in state Failed('y')", causes: [] }, events).querySelector('p.failure-message')!.textContent, "Subflow run 'x' ended in state Failed('y')", 'no "Failed: " before it');
  });
});
