import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateName } from '../../src/engine/states';
import type { TimelineItem } from '../../src/webview/runDetails/protocol';
import { barAt, barOf, firstBarEndingAfter, layoutTimeline, ROW_PER_ITEM_LIMIT } from '../../src/webview/runDetails/timelineLayout';

function item(id: string, states: [StateName, number, number?][]): TimelineItem {
  return { id, name: id, kind: 'task', group: id.replace(/-\d+$/, ''), states: states.map(([name, ts, attempt]) => ({ name, ts, ...(attempt ? { attempt } : {}) })) };
}

test('a task run that waited, failed, waited for its retry and then completed shows each part', () => {
  const bar = barOf(item('fetch-0', [['Pending', 100], ['Running', 120, 1], ['AwaitingRetry', 300], ['Retrying', 1300, 2], ['Completed', 1500]]), 0, 9999);
  assert.deepEqual(bar.segments, [
    { start: 100, end: 120, kind: 'waiting' },
    { start: 120, end: 300, kind: 'running', attempt: 1 },
    { start: 300, end: 1300, kind: 'retryWait' },
    { start: 1300, end: 1500, kind: 'running', attempt: 2 },
  ]);
  assert.equal(bar.outcome, 'completed');
  assert.equal(bar.attempts, 2);
  assert.deepEqual([bar.start, bar.end], [100, 1500]);
});

test('a cached task run is marked as such, a failed one as failed, a going one reaches now', () => {
  assert.equal(barOf(item('c-0', [['Pending', 10], ['Cached', 12]]), 0, 99).outcome, 'cached');
  assert.equal(barOf(item('t-0', [['Pending', 10], ['Running', 11, 1], ['TimedOut', 50]]), 0, 99).outcome, 'failed');
  const going = barOf(item('g-0', [['Pending', 10], ['Running', 20, 1]]), 0, 500);
  assert.equal(going.outcome, 'going');
  assert.equal(going.end, 500);
  assert.deepEqual(going.segments.at(-1), { start: 20, end: 500, kind: 'running', attempt: 1 });
});

test('up to the limit each item has its own row, in start order', () => {
  const layout = layoutTimeline([item('b-0', [['Pending', 200], ['Completed', 300]]), item('a-0', [['Pending', 100], ['Completed', 150]]), item('c-0', [['Pending', 100], ['Completed', 400]])], 1000);
  assert.equal(layout.packed, false);
  assert.equal(layout.rowCount, 3);
  assert.deepEqual(layout.bars.map((b) => b.row), [2, 0, 1], 'ties keep the input order');
  assert.deepEqual([layout.start, layout.end], [100, 400]);
});

test('past the limit bars share rows, never overlapping, in as many rows as were ever going at once', () => {
  // 1,000 task runs of a map with 10 at a time: each 100 ms long, the next starting when one ends.
  const items: TimelineItem[] = [];
  for (let i = 0; i < 1000; i++) {
    const start = Math.floor(i / 10) * 100;
    items.push(item(`fetch-${i}`, [['Pending', start], ['Running', start, 1], ['Completed', start + 100]]));
  }
  const layout = layoutTimeline(items, 1e9);
  assert.equal(layout.packed, true);
  assert.equal(layout.rowCount, 10);
  for (const row of layout.byRow) {
    for (let k = 1; k < row.length; k++) assert.ok(layout.bars[row[k]!]!.start >= layout.bars[row[k - 1]!]!.end, 'no overlap within a row');
  }
  assert.equal(layout.byRow.flat().length, 1000, 'every bar placed once');
});

test('a click finds the bar under it, with a little slack for thin bars', () => {
  const items = Array.from({ length: ROW_PER_ITEM_LIMIT + 1 }, (_, i) => item(`t-${i}`, [['Pending', i * 10], ['Completed', i * 10 + 5]]));
  const layout = layoutTimeline(items, 1e9);
  assert.equal(layout.rowCount, 1, 'sequential bars share one row');
  assert.equal(barAt(layout, 0, 52, 0), 5);
  assert.equal(barAt(layout, 0, 57, 0), undefined, 'between two bars');
  assert.equal(barAt(layout, 0, 57, 3), 5, 'within the slack of the nearer one');
  assert.equal(barAt(layout, 0, 59, 3), 6);
  assert.equal(barAt(layout, 1, 52, 0), undefined, 'no such row');
  assert.equal(firstBarEndingAfter(layout, 0, 52), 5);
});

test('20,000 task runs lay out into a handful of rows (time printed, not asserted)', () => {
  const items: TimelineItem[] = [];
  for (let i = 0; i < 20_000; i++) {
    const start = Math.floor(i / 8) * 40 + (i % 8);
    const states: [StateName, number, number?][] = [['Pending', start], ['Running', start + 1, 1]];
    if (i % 97 === 0) states.push(['AwaitingRetry', start + 10], ['Retrying', start + 20, 2]);
    states.push([i % 501 === 0 ? 'Failed' : 'Completed', start + 35]);
    items.push(item(`work-${i}`, states));
  }
  const t0 = performance.now();
  const layout = layoutTimeline(items, 1e12);
  const ms = performance.now() - t0;
  assert.equal(layout.bars.length, 20_000);
  assert.ok(layout.rowCount <= 16, `${layout.rowCount} rows`);
  console.log(`# timeline layout of 20,000 task runs: ${ms.toFixed(1)} ms, ${layout.rowCount} rows`);
});
