import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLogLine, formatLogTime, LogStore, MAX_ROWS, visibleWindow, type WindowInput } from '../../src/webview/logStore';
import type { LogLine } from '../../src/webview/protocol';

const base: WindowInput = { scrollTop: 0, viewportHeight: 400, rowHeight: 20, total: 100_000, overscan: 10, maxContentHeight: 8_000_000 };

function line(i: number, level: LogLine['level'] = 'INFO', message = `line ${i}`): LogLine {
  return { ts: new Date(2024, 0, 1, 1, 50, 4, 289).getTime() + i, level, source: 'flowdeck.engine', message };
}

describe('formatLogLine', () => {
  it('prints the Prefect layout with the level padded to seven characters', () => {
    const ts = new Date(2024, 0, 1, 1, 50, 4, 289).getTime();
    assert.equal(
      formatLogLine({ ts, level: 'INFO', source: 'prefect.engine', message: "Created flow run 'light-potoo' for flow 'get-repo-info'" }),
      "01:50:04.289 | INFO    | prefect.engine - Created flow run 'light-potoo' for flow 'get-repo-info'",
    );
    assert.equal(formatLogLine({ ts, level: 'WARNING', source: 's', message: 'm' }), '01:50:04.289 | WARNING | s - m');
    assert.equal(formatLogLine({ ts, level: 'CRITICAL', source: 's', message: 'm' }), '01:50:04.289 | CRITICAL | s - m');
  });

  it('pads milliseconds to three digits', () => {
    assert.equal(formatLogTime(new Date(2024, 0, 1, 23, 5, 9, 7).getTime()), '23:05:09.007');
    assert.equal(formatLogTime(new Date(2024, 0, 1, 0, 0, 0, 45).getTime()), '00:00:00.045');
  });
});

describe('visibleWindow', () => {
  it('renders only the rows in view plus the overscan at the top', () => {
    const w = visibleWindow(base);
    assert.deepEqual(w, { start: 0, end: 30, top: 0, contentHeight: 2_000_000 });
  });

  it('follows the scroll position', () => {
    const w = visibleWindow({ ...base, scrollTop: 20 * 5000 + 7 });
    assert.equal(w.start, 5000 - 10);
    assert.equal(w.end, 5000 + 21 + 10);
    assert.equal(w.top, (5000 - 10) * 20);
  });

  it('ends exactly at the last row when scrolled to the bottom', () => {
    const w = visibleWindow({ ...base, scrollTop: 2_000_000 - 400 });
    assert.equal(w.end, 100_000);
    assert.equal(w.start, 100_000 - 20 - 10);
    assert.equal(w.top + (w.end - w.start) * 20, w.contentHeight);
  });

  it('clamps scroll positions outside the content', () => {
    assert.equal(visibleWindow({ ...base, scrollTop: -50 }).start, 0);
    assert.equal(visibleWindow({ ...base, scrollTop: 9e9 }).end, 100_000);
  });

  it('keeps the number of rendered rows bounded whatever the total', () => {
    for (const total of [10, 1000, 100_000, 5_000_000]) {
      for (const fraction of [0, 0.25, 0.5, 0.999, 1]) {
        const full = Math.min(total * 20, base.maxContentHeight);
        const w = visibleWindow({ ...base, total, scrollTop: fraction * (full - 400) });
        assert.ok(w.end - w.start <= 400 / 20 + 1 + 2 * 10, `total ${total} at ${fraction}: ${w.end - w.start} rows`);
        assert.ok(w.start >= 0 && w.end <= total && w.start <= w.end);
      }
    }
  });

  it('shows everything when the rows fit', () => {
    assert.deepEqual(visibleWindow({ ...base, total: 5 }), { start: 0, end: 5, top: 0, contentHeight: 100 });
  });

  it('handles no rows and an unmeasured row height', () => {
    assert.deepEqual(visibleWindow({ ...base, total: 0 }), { start: 0, end: 0, top: 0, contentHeight: 0 });
    assert.deepEqual(visibleWindow({ ...base, rowHeight: 0 }), { start: 0, end: 0, top: 0, contentHeight: 0 });
  });

  it('scales scrolling past the browser height limit and still reaches both ends', () => {
    const huge = { ...base, total: 1_000_000, maxContentHeight: 1_000_000 };
    const top = visibleWindow(huge);
    assert.equal(top.contentHeight, 1_000_000);
    assert.equal(top.start, 0);
    const bottom = visibleWindow({ ...huge, scrollTop: 1_000_000 - 400 });
    assert.equal(bottom.end, 1_000_000);
    // The last row sits at the bottom of the viewport, not beyond the content.
    assert.equal(bottom.top + (bottom.end - bottom.start) * 20, 1_000_000);
    const middle = visibleWindow({ ...huge, scrollTop: (1_000_000 - 400) / 2 });
    assert.ok(Math.abs(middle.start + 10 - 500_000) < 30, `middle starts at ${middle.start}`);
  });
});

describe('LogStore', () => {
  it('keeps every line and returns rows in order', () => {
    const store = new LogStore();
    store.append(Array.from({ length: 5000 }, (_, i) => line(i)));
    store.append([line(5000, 'ERROR', 'boom')]);
    assert.equal(store.length, 5001);
    assert.equal(store.lineCount, 5001);
    assert.deepEqual(store.row(0), { ts: line(0).ts, level: 'INFO', first: true, text: 'flowdeck.engine - line 0', tag: 0 });
    assert.deepEqual(store.row(5000), { ts: line(5000).ts, level: 'ERROR', first: true, text: 'flowdeck.engine - boom', tag: 0 });
  });

  it('splits multi-line messages into continuation rows of the same level', () => {
    const store = new LogStore();
    store.append([line(0, 'ERROR', 'failed:\r\nTraceback\n  at x'), line(1)]);
    assert.equal(store.lineCount, 2);
    assert.equal(store.length, 4);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => [store.row(i).level, store.row(i).first, store.row(i).text]),
      [
        ['ERROR', true, 'flowdeck.engine - failed:'],
        ['ERROR', false, 'Traceback'],
        ['ERROR', false, '  at x'],
        ['INFO', true, 'flowdeck.engine - line 1'],
      ],
    );
  });

  it('counts lines by level', () => {
    const store = new LogStore();
    store.append([line(0, 'DEBUG'), line(1, 'WARNING'), line(2, 'WARNING'), line(3, 'CRITICAL')]);
    assert.deepEqual(store.countsByLevel, [1, 0, 2, 0, 1]);
  });

  it('filters by minimum level, including lines appended later, and back', () => {
    const store = new LogStore();
    store.append([line(0, 'DEBUG'), line(1, 'INFO'), line(2, 'ERROR', 'a\nb'), line(3, 'WARNING')]);
    store.setMinLevel('WARNING');
    assert.deepEqual(Array.from({ length: store.length }, (_, i) => store.row(i).text), ['flowdeck.engine - a', 'b', 'flowdeck.engine - line 3']);
    store.append([line(4, 'INFO'), line(5, 'CRITICAL')]);
    assert.equal(store.length, 4);
    assert.equal(store.row(3).level, 'CRITICAL');
    store.setMinLevel('DEBUG');
    assert.equal(store.length, 7);
  });

  it('filters by tag and by text, whole multi-line messages, combined with the level', () => {
    const store = new LogStore();
    const tagged = (i: number, tag: number, level: LogLine['level'], message: string) => ({ ...line(i, level, message), tag });
    const lines = [tagged(0, 1, 'INFO', 'fetch page 1'), tagged(1, 2, 'ERROR', 'Quota exceeded\n  at fetch (flow.ts:3)'), tagged(2, 1, 'DEBUG', 'retrying'), tagged(3, 0, 'INFO', 'flow line')];
    store.append(lines, (l) => (l as LogLine & { tag: number }).tag);
    const shown = () => Array.from({ length: store.length }, (_, i) => store.row(i).text);
    store.setFilter({ minLevel: 'DEBUG', tags: new Set([1]), text: '' });
    assert.deepEqual(shown(), ['flowdeck.engine - fetch page 1', 'flowdeck.engine - retrying']);
    store.setFilter({ minLevel: 'DEBUG', tags: null, text: 'FLOW.TS' });
    assert.deepEqual(shown(), ['flowdeck.engine - Quota exceeded', '  at fetch (flow.ts:3)'], 'a match on a later line shows the whole message');
    store.setFilter({ minLevel: 'INFO', tags: new Set([1, 0]), text: '' });
    assert.deepEqual(shown(), ['flowdeck.engine - fetch page 1', 'flowdeck.engine - flow line']);
    store.append([tagged(4, 1, 'WARNING', 'late line')], (l) => (l as LogLine & { tag: number }).tag);
    assert.equal(store.row(store.length - 1).text, 'flowdeck.engine - late line', 'lines appended later are filtered too');
    assert.equal(store.row(store.length - 1).tag, 1);
    store.setFilter({ minLevel: 'DEBUG', tags: null, text: '' });
    assert.equal(store.length, 6);
  });

  it('starts over on clear', () => {
    const store = new LogStore();
    store.append([line(0), line(1, 'ERROR')]);
    store.clear();
    assert.equal(store.length, 0);
    assert.equal(store.lineCount, 0);
    assert.deepEqual(store.countsByLevel, [0, 0, 0, 0, 0]);
    store.append([line(2)]);
    assert.equal(store.row(0).text, 'flowdeck.engine - line 2');
  });

  it('holds 100,000 lines, the first and last where they belong', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => line(i, i % 50 === 0 ? 'WARNING' : 'INFO'));
    const store = new LogStore();
    const t0 = performance.now();
    store.append(lines);
    const ms = performance.now() - t0;
    assert.equal(store.length, 100_000);
    assert.equal(store.row(0).text, 'flowdeck.engine - line 0');
    assert.equal(store.row(99_999).text, 'flowdeck.engine - line 99999');
    // Speed belongs in benchmarks; printed here for a look, never asserted.
    console.log(`# 100,000 log lines appended in ${ms.toFixed(0)} ms`);
  });

  it('drops the oldest tenth beyond MAX_ROWS and says how many', { timeout: 60_000 }, () => {
    const store = new LogStore();
    const batch = Array.from({ length: 100_000 }, (_, i) => line(i));
    for (let k = 0; k < MAX_ROWS / batch.length; k++) store.append(batch);
    assert.equal(store.length, MAX_ROWS);
    assert.equal(store.droppedRows, 0);
    store.append([line(7, 'ERROR', 'newest')]);
    assert.equal(store.droppedRows, MAX_ROWS / 10 + 1);
    assert.equal(store.length, MAX_ROWS - MAX_ROWS / 10);
    assert.equal(store.row(store.length - 1).text, 'flowdeck.engine - newest');
    assert.equal(store.lineCount, MAX_ROWS + 1);
  });
});
