/** The connected channel's title and lifetime totals, from YouTube Data API v3 `channels.list`. */
import type { youtube_v3 } from '@googleapis/youtube';
import type { SecretMasker } from '../../engine/secrets';
import { countAnswer, itemsAnswer } from './answers';
import { RECONNECT_HINT, YouTubeError, toYouTubeError } from './errors';

export interface ChannelSummary {
  id: string;
  title: string;
  /** null when the channel hides its subscriber count. */
  subscribers: number | null;
  views: number;
  videos: number;
}

/** `secrets`: the flow's, masked in an answer an error quotes (answers.ts). */
export async function fetchChannel(data: youtube_v3.Youtube, secrets: SecretMasker, signal?: AbortSignal): Promise<ChannelSummary> {
  const operation = 'reading the channel';
  let answer: unknown;
  try {
    answer = (await data.channels.list({ part: ['snippet', 'statistics'], mine: true }, signal ? { signal } : {})).data;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toYouTubeError(error, { operation });
  }
  const channel = itemsAnswer(answer, operation, secrets)[0] as youtube_v3.Schema$Channel | undefined;
  if (!channel) {
    throw new YouTubeError(
      'no-channel',
      'The connected Google account has no YouTube channel. Connect with the account (or Brand Account) that owns ' +
        `the channel. ${RECONNECT_HINT}`,
    );
  }
  const stats = (channel.statistics ?? {}) as Record<string, unknown>;
  // The API sends the counts as strings of digits; anything else is refused, not read as 0 or a negative count.
  const subscribers = countAnswer(stats, 'subscriberCount', operation, secrets);
  return {
    id: channel.id ?? '',
    title: channel.snippet?.title ?? '',
    subscribers: stats.hiddenSubscriberCount === true && subscribers === undefined ? null : (subscribers ?? null),
    views: countAnswer(stats, 'viewCount', operation, secrets) ?? 0,
    videos: countAnswer(stats, 'videoCount', operation, secrets) ?? 0,
  };
}
