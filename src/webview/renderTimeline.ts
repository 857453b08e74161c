/**
 * "One timeline": the stars of the charted and compared repositories and the channel's daily views on
 * one date axis, with releases and video publications marked — what neither star-history.com nor
 * YouTube Studio shows.
 */
import { chartCard } from './chartCard';
import { ChartGroup } from './chartSetup';
import { dayOf, timeline } from './chartData';
import { h } from './dom';
import { formatDay } from './format';
import type { Drawn, RenderContext } from './render';
import { timelineChart } from './timelineChart';

export function renderTimeline(ctx: RenderContext): Drawn | undefined {
  const { github, youtube, compared } = ctx.model;
  const repos = [
    ...(github.status === 'ok' ? [{ repo: github.view.repo, points: github.view.starHistory, sampled: github.view.starHistorySampled, releases: github.view.releases }] : []),
    ...compared.flatMap((c) => (c.status === 'ok' ? [{ repo: c.repo, points: c.starHistory, sampled: c.starHistorySampled, releases: c.releases }] : [])),
  ];
  const view = youtube.status === 'ok' ? youtube.view : undefined;
  // One source alone is already charted above; the timeline is for putting the two together.
  if (repos.length === 0 || !view) return undefined;
  const data = timeline(repos, view);
  if (!data) return undefined;
  const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `Stars of ${repos.map((r) => r.repo).join(', ')} and daily views of ${view.channel.title}, with releases and video publications` } });
  const card = chartCard(ctx, {
    title: 'One timeline',
    detail: h('span', { class: 'muted' }, `${formatDay(dayOf(data.min), true)} – ${formatDay(dayOf(data.max), true)}: stars (left axis), views per day (right), ▲ releases, ◆ videos published`),
    canvas,
    size: 'tall',
    what: 'the combined timeline',
    csv: {
      name: `timeline-${dayOf(data.min)}-${dayOf(data.max)}`,
      table: () => {
        const stars = data.stars.map((s) => new Map(s.points.map((p) => [p.x, p.y])));
        const views = new Map(data.views.map((p) => [p.x, p.y]));
        const releases = new Map<number, string[]>();
        for (const r of data.releases) releases.set(r.x, [...(releases.get(r.x) ?? []), r.label]);
        const videos = new Map<number, string[]>();
        for (const v of data.videos) videos.set(v.x, [...(videos.get(v.x) ?? []), v.label]);
        const rows = [];
        for (let x = data.min; x <= data.max; x++) {
          rows.push([dayOf(x), ...stars.map((m) => m.get(x) ?? null), views.get(x) ?? null, (releases.get(x) ?? []).join('; '), (videos.get(x) ?? []).join('; ')]);
        }
        return { header: ['date', ...data.stars.map((s) => `${s.repo} stars`), 'views', 'releases', 'videos published'], rows };
      },
    },
  });
  const element = h('section', { class: 'card timeline' }, card);
  return {
    element,
    mount: (palette) => {
      const group = new ChartGroup();
      group.add(timelineChart(canvas, data, palette));
      return group;
    },
  };
}
