import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { REDRAW_MS, setViewMessage, VSCODE_TREE_DEBOUNCE_MS } from '../../src/extension/runs/redrawPace';
import { Throttle, type Timers } from '../../src/extension/util/throttle';
import { handTimers } from '../support/handTimers';

/**
 * What VS Code's extension host does with a tree's change events (extHostTreeViews, `Event.debounce(…,
 * 200, true)` in VS Code's base/common/event): the first change after a quiet spell goes on at once; the
 * ones after it are merged and go on once no change has come for the delay (each change restarts it).
 * Returns how many times the view heard of changes.
 */
function vscodeDebounce(timers: Timers, delay: number): { change(): void; heard(): number } {
  let heard = 0;
  let handle: unknown;
  let calls = 0;
  return {
    change() {
      calls++;
      if (handle === undefined) heard++; // leading
      timers.clearTimeout(handle);
      handle = timers.setTimeout(() => {
        handle = undefined;
        if (calls > 1) heard++; // trailing, for what came after the leading one
        calls = 0;
      }, delay);
    },
    heard: () => heard,
  };
}

/** A run busy for `ms`, its events asking for a redraw every 10 ms; how often the view heard of it. */
function busyRun(redrawMs: number, ms: number): number {
  const timers = handTimers();
  const view = vscodeDebounce(timers, VSCODE_TREE_DEBOUNCE_MS);
  const redraw = new Throttle(redrawMs, () => view.change(), timers);
  for (let t = 0; t < ms; t += 10) {
    redraw.schedule();
    timers.advance(10);
  }
  return view.heard();
}

describe("the Runs view's redraw pace against VS Code's debounce of tree changes", { timeout: 10_000 }, () => {
  test('a run busy for 6 s: the view hears of its changes every REDRAW_MS, not once', () => {
    const heard = busyRun(REDRAW_MS, 6_000);
    console.log(`[redraw-pace] ${REDRAW_MS} ms: the view heard ${heard} times in 6 s`);
    assert.ok(REDRAW_MS > VSCODE_TREE_DEBOUNCE_MS);
    assert.ok(heard >= Math.floor(6_000 / REDRAW_MS) - 1, `heard ${heard} times`);
  });

  test('the pace it had (150 ms, under the debounce) let the view hear only the first change: the frozen view', () => {
    assert.equal(busyRun(150, 6_000), 1);
  });

  test("a view's message is set only when it differs: each setting restarts the debounce", () => {
    let settings = 0;
    let shown: unknown;
    const view = {
      get message() {
        return shown;
      },
      set message(m: unknown) {
        settings++;
        shown = m;
      },
    };
    setViewMessage(view, undefined);
    setViewMessage(view, 'No runs match the filter.');
    setViewMessage(view, 'No runs match the filter.');
    setViewMessage(view, undefined);
    setViewMessage(view, undefined);
    assert.equal(settings, 2);
    assert.equal(shown, undefined);
    setViewMessage(undefined, 'no view yet');
  });
});
