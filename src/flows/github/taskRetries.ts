/**
 * The GitHub tasks' engine retries. Octokit's plugins retry what they can within one attempt: network failures
 * and 5xx (plugin-retry), rate limits (plugin-throttling). A request that timed out they do not send again (a
 * retry would wait as long again within the same task timeout): the task is run again instead, after a pause,
 * each attempt with its whole timeout, and shows as a retried task run. 4xx (bad token, not found) and what the
 * plugins already retried fail at once: one layer retries each failure.
 */
import { isRetryable } from './errors';

export const GITHUB_TASK_RETRIES = {
  retries: 2,
  retryDelaySeconds: [2, 10],
  retryJitterFactor: 0.2,
  retryCondition: isRetryable,
};
