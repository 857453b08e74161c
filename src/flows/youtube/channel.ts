/** The connected channel's title and lifetime totals, from YouTube Data API v3 `channels.list`. */
import type { youtube_v3 } from '@googleapis/youtube';
import { RECONNECT_HINT, YouTubeError, toYouTubeError } from './errors';

export interface ChannelSummary {
  id: string;
  title: string;
  /** null when the channel hides its subscriber count. */
  subscribers: number | null;
  views: number;
  videos: number;
}

export async function fetchChannel(data: youtube_v3.Youtube, signal?: AbortSignal): Promise<ChannelSummary> {
  let answer: youtube_v3.Schema$ChannelListResponse;
  try {
    answer = (await data.channels.list({ part: ['snippet', 'statistics'], mine: true }, signal ? { signal } : {})).data;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toYouTubeError(error, { operation: 'reading the channel' });
  }
  const channel = answer.items?.[0];
  if (!channel) {
    throw new YouTubeError(
      'no-channel',
      'The connected Google account has no YouTube channel. Connect with the account (or Brand Account) that owns ' +
        `the channel. ${RECONNECT_HINT}`,
    );
  }
  const stats = channel.statistics ?? {};
  // The API sends the counts as strings.
  return {
    id: channel.id ?? '',
    title: channel.snippet?.title ?? '',
    subscribers: stats.hiddenSubscriberCount && !stats.subscriberCount ? null : count(stats.subscriberCount),
    views: count(stats.viewCount) ?? 0,
    videos: count(stats.videoCount) ?? 0,
  };
}

function count(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
