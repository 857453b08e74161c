/**
 * Built-in flow: a YouTube channel's daily analytics (YouTube Analytics API v2) and lifetime totals
 * (YouTube Data API v3). The logic lives in ./youtube/; this module hands it the engine's task and context.
 */
import { flow, getRunContext, task } from 'flowdeck';
import { runChannelAnalytics } from './youtube/analytics';
import { YOUTUBE_PARAMETERS, resolveParameters } from './youtube/parameters';

export default flow(
  {
    name: 'youtube-channel-analytics',
    description: "Daily views, watch time, likes and subscribers of your YouTube channel, with the channel's lifetime totals.",
    version: '1',
    parameters: YOUTUBE_PARAMETERS,
    // Reversed or malformed dates are bad input: rejected before a run exists or a request is sent.
    validateParameters: (parameters) => void resolveParameters(parameters, new Date()),
    timeoutSeconds: 600,
  },
  (parameters: Record<string, unknown>) =>
    runChannelAnalytics(parameters, { task, context: getRunContext, env: process.env }),
);
