/**
 * Built-in flow: a YouTube channel's daily analytics (YouTube Analytics API v2) and lifetime totals
 * (YouTube Data API v3). The logic lives in ./youtube/; this module hands it the engine's task and context.
 */
import { flow, getRunContext, task } from 'flowdeck';
import { runChannelAnalytics } from './youtube/analytics';
import { YOUTUBE_CHANNEL_ANALYTICS } from './builtins';
import { resolveParameters } from './youtube/parameters';

export default flow(
  {
    name: YOUTUBE_CHANNEL_ANALYTICS.name,
    description: YOUTUBE_CHANNEL_ANALYTICS.description,
    version: '1',
    parameters: YOUTUBE_CHANNEL_ANALYTICS.parameters,
    // Reversed or malformed dates are bad input: rejected before a run exists or a request is sent.
    validateParameters: (parameters) => void resolveParameters(parameters, new Date()),
    timeoutSeconds: 600,
  },
  (parameters: Record<string, unknown>) =>
    runChannelAnalytics(parameters, { task, context: getRunContext, env: process.env }),
);
