import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offsetWindow, RowOffsets } from '../../src/webview/rowOffsets';

function rows(heights: number[]): RowOffsets {
  const r = new RowOffsets();
  r.reset();
  for (const h of heights) r.push(h);
  return r;
}

test('rows of different heights start where the ones before end', () => {
  const r = rows([18, 36, 18, 54]);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => r.top(i)), [0, 18, 54, 72, 126]);
  assert.equal(r.height, 126);
  assert.equal(r.rowAt(0), 0);
  assert.equal(r.rowAt(17.9), 0);
  assert.equal(r.rowAt(18), 1);
  assert.equal(r.rowAt(60), 2);
  assert.equal(r.rowAt(1e9), 3);
});

test('the window covers the viewport plus the overscan, wherever it is scrolled', () => {
  const heights = Array.from({ length: 10_000 }, (_, i) => 18 * (1 + (i % 3)));
  const r = rows(heights);
  for (const scroll of [0, 5000, 123_456, r.height - 400, 9e9]) {
    const w = offsetWindow(r, scroll, 400, 5, 8_000_000);
    const clamped = Math.min(scroll, r.height - 400);
    assert.ok(w.top <= clamped, `row ${w.start} starts above the viewport top at ${scroll}`);
    assert.ok(w.top + (r.top(w.end) - r.top(w.start)) >= clamped + 400 || w.end === r.length, `rows reach the viewport bottom at ${scroll}`);
    assert.ok(w.end - w.start <= 400 / 18 + 1 + 10 + 1);
  }
});

test('content taller than a browser allows is scaled, and the last row is reachable', () => {
  const r = rows(Array.from({ length: 1_000_000 }, () => 18));
  const w = offsetWindow(r, 8_000_000, 400, 0, 8_000_000);
  assert.equal(w.contentHeight, 8_000_000);
  assert.equal(w.end, 1_000_000);
  const top = offsetWindow(r, 0, 400, 0, 8_000_000);
  assert.equal(top.start, 0);
});
