/**
 * A panel's notices (dashboard and run details) with the panels' own stylesheets: in the page's flow, below
 * the header and its buttons — fixed in the corner, an error that waits to be dismissed sat on Open Flow
 * Source and took its clicks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { showNotice } from '../../src/webview/notices';

const MEDIA = join(__dirname, '..', '..', 'media');

/** A page with the stylesheets a panel links (dashboard.css first, as both panels' pages do). */
function page(sheets: string[]) {
  const css = sheets.map((s) => readFileSync(join(MEDIA, s), 'utf8')).join('\n');
  const dom = new JSDOM(`<!DOCTYPE html><head><style>${css}</style></head><body><div id="app" class="app"><div class="notices" role="status"></div></div></body>`);
  // The webview's element helper (dom.ts) builds with the page's document, and the notices use its window.
  Object.assign(globalThis, { document: dom.window.document, window: dom.window });
  const scrolled: string[] = [];
  // jsdom lays nothing out and has no scrollIntoView: which notices asked to be seen is what is checked.
  dom.window.HTMLElement.prototype.scrollIntoView = function (this: HTMLElement) {
    scrolled.push(this.textContent ?? '');
  };
  return { window: dom.window, notices: dom.window.document.querySelector<HTMLElement>('.notices')!, scrolled };
}

describe("a panel's notices", { timeout: 10_000 }, () => {
  for (const sheets of [['dashboard.css'], ['dashboard.css', 'runDetails.css']]) {
    it(`sit in the page's flow, over nothing (${sheets.join(' + ')})`, () => {
      const { window, notices } = page(sheets);
      showNotice(notices, 'error', "That run is no longer in the run history.");
      const style = window.getComputedStyle(notices);
      // jsdom computes what the stylesheets declare ('' for undeclared: static).
      assert.ok(['', 'static', 'relative'].includes(style.position), `not fixed over the header and its buttons: ${style.position}`);
      assert.ok(['', 'static', 'relative'].includes(window.getComputedStyle(notices.querySelector('.notice')!).position));
      assert.notEqual(style.display, 'none', 'shown while it holds a notice');
    });
  }

  it('an error stays until dismissed and is brought into view; information is not scrolled to', () => {
    const { window, notices, scrolled } = page(['dashboard.css', 'runDetails.css']);
    showNotice(notices, 'info', 'Copied 3 lines.');
    showNotice(notices, 'error', 'Built-in flows ship compiled with Flowdeck; there is no source file to open.');
    assert.deepEqual(scrolled, ['Built-in flows ship compiled with Flowdeck; there is no source file to open.×']);
    const error = notices.querySelector('.notice.error')!;
    assert.equal(error.getAttribute('role'), 'alert');
    (error.querySelector('button') as HTMLButtonElement).click();
    assert.equal(notices.querySelector('.notice.error'), null, 'dismissed');
    notices.replaceChildren();
    assert.equal(window.getComputedStyle(notices).display, 'none', 'no notices: no empty gap under the header');
  });
});
