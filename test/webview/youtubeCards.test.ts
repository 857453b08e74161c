import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { readYoutubeResult } from '../../src/extension/dashboard/results';
import type { RenderContext } from '../../src/webview/render';
import { renderYoutube } from '../../src/webview/renderYoutube';

const { window } = new JSDOM('<!DOCTYPE html><body></body>');
// The webview's element helper (dom.ts) builds with the page's document, when it is called.
(globalThis as { document?: unknown }).document = window.document;

function day(start: string, i: number): string {
  return new Date(Date.parse(`${start}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
}

/** The YouTube section drawn for a stored result, as the dashboard draws it (charts not mounted). */
function section(result: unknown): HTMLElement {
  const view = readYoutubeResult(result);
  const run = { id: 'y1', name: 'light-potoo', flowName: 'youtube-channel-analytics', state: { type: 'COMPLETED', name: 'Completed' }, created: 1, endTime: 2 };
  const ctx = {
    model: { youtube: { status: 'ok', view, run, choices: [], followingLatest: true }, youtubeRanges: [] },
    post: () => {},
    request: () => {},
  } as unknown as RenderContext;
  return renderYoutube(ctx, new Set(), () => {}).element;
}

describe("the YouTube cards' change against the previous period", { timeout: 10_000 }, () => {
  it('compares the days with data with the same days of the previous period, and says which', () => {
    // YouTube has no rows for the range's last two days yet; the previous period is complete.
    const result = {
      channel: { id: 'UC1', title: 'My channel', subscribers: 100, views: 2000, videos: 12 },
      startDate: '2024-06-03',
      endDate: '2024-06-30',
      metrics: ['views'],
      days: Array.from({ length: 28 }, (_, i) => ({ date: day('2024-06-03', i), views: i < 26 ? 98 : null })),
      totals: { views: 2548 },
      previous: { startDate: '2024-05-06', endDate: '2024-06-02', days: Array.from({ length: 28 }, (_, i) => ({ date: day('2024-05-06', i), views: 100 })), totals: { views: 2800 } },
    };
    const card = section(result).querySelector('.stat[data-metric="views"]')!;
    assert.equal(card.querySelector('.stat-value')!.textContent, '2,548');
    const change = card.querySelector('.stat-change') as HTMLElement;
    assert.equal(change.textContent, '▼ 2 %', 'the 26 days against their 26, not 2,548 against 2,800 (▼ 9 %)');
    assert.match(change.title, /^Compared over 26 of 28 days \(the last 2 have no data yet\)\. Previous period May 6, 2024 – Jun 2, 2024, the same days: 2,600$/);
    assert.equal(card.querySelector('.stat-note')!.textContent, 'compared over 26 of 28 days');

    // Every day with data: the whole periods, and no note.
    const whole = { ...result, days: result.days.map((d) => ({ ...d, views: 98 })), totals: { views: 2744 } };
    const full = section(whole).querySelector('.stat[data-metric="views"]')!;
    assert.equal(full.querySelector('.stat-change')!.textContent, '▼ 2 %');
    assert.equal((full.querySelector('.stat-change') as HTMLElement).title, 'Previous period May 6, 2024 – Jun 2, 2024: 2,800');
    assert.equal(full.querySelector('.stat-note'), null);
  });
});
