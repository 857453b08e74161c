/**
 * The ten most viewed videos of a range, as YouTube Studio lists them: one `reports.query` with
 * `dimensions=video` (which YouTube serves only with `sort` and `maxResults`), then one `videos.list` for
 * the titles and publication times of all of them.
 */
import type { youtube_v3 } from '@googleapis/youtube';
import type { youtubeAnalytics_v2 } from '@googleapis/youtubeanalytics';
import type { SecretMasker } from '../../engine/secrets';
import { itemsAnswer, reportAnswer } from './answers';
import type { DayRange } from './dates';
import { toYouTubeError } from './errors';

export const TOP_VIDEOS_COUNT = 10;
/** What the table shows per video, whatever metrics the daily report asks for. */
export const TOP_VIDEO_METRICS = ['views', 'estimatedMinutesWatched', 'likes', 'averageViewDuration'] as const;

export interface TopVideo {
  /** The 11-character video id (`https://www.youtube.com/watch?v=<id>`). */
  id: string;
  /** null when videos.list no longer returns the video (deleted or made private since). */
  title: string | null;
  /** ISO time the video was published, null when unknown (see title). */
  publishedAt: string | null;
  views: number;
  estimatedMinutesWatched: number;
  likes: number;
  /** Seconds. */
  averageViewDuration: number;
}

export async function fetchTopVideos(
  analytics: youtubeAnalytics_v2.Youtubeanalytics,
  data: youtube_v3.Youtube,
  range: DayRange,
  /** The flow's, masked in an answer an error quotes (answers.ts). */
  secrets: SecretMasker,
  signal?: AbortSignal,
): Promise<TopVideo[]> {
  const metrics = TOP_VIDEO_METRICS.join(',');
  const options = signal ? { signal } : {};
  let table: unknown;
  try {
    const params = { ids: 'channel==MINE', startDate: range.startDate, endDate: range.endDate, metrics, dimensions: 'video', sort: '-views', maxResults: TOP_VIDEOS_COUNT };
    table = (await analytics.reports.query(params, options)).data;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toYouTubeError(error, { operation: 'reading the top videos', query: `dimensions=video, ${range.startDate} to ${range.endDate}` });
  }
  const { columns, rows } = reportAnswer(table, 'reading the top videos', secrets);
  const at = (name: string) => columns.indexOf(name);
  const videos = rows
    .map((row) => ({
      id: String(row[at('video')] ?? ''),
      views: number(row[at('views')]),
      estimatedMinutesWatched: number(row[at('estimatedMinutesWatched')]),
      likes: number(row[at('likes')]),
      averageViewDuration: number(row[at('averageViewDuration')]),
    }))
    .filter((v) => v.id !== '');
  if (videos.length === 0) return [];

  let answer: unknown;
  try {
    answer = (await data.videos.list({ part: ['snippet'], id: videos.map((v) => v.id), maxResults: videos.length }, options)).data;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toYouTubeError(error, { operation: 'reading the titles of the top videos' });
  }
  const items = itemsAnswer(answer, 'reading the titles of the top videos', secrets) as youtube_v3.Schema$Video[];
  const snippets = new Map(items.map((item) => [item.id ?? '', item.snippet ?? {}]));
  // The report's order is YouTube's: by views, the most viewed first.
  return videos.map((v) => {
    const snippet = snippets.get(v.id);
    return { id: v.id, title: snippet?.title ?? null, publishedAt: snippet?.publishedAt ?? null, views: v.views, estimatedMinutesWatched: v.estimatedMinutesWatched, likes: v.likes, averageViewDuration: v.averageViewDuration };
  });
}

function number(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : 0;
}
