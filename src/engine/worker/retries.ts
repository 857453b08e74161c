/** The retry loop shared by flow runs and task runs. */
import type { RetryDelay, RunLogger } from '../types';
import { retryDelaySeconds } from '../retryPolicy';
import type { StateName } from '../states';
import { errorMessage } from './errors';
import { CancelledError, sleep } from './signals';
import { StoppedByLimit } from './concurrencySlots';

export interface RetryPlan {
  retries: number;
  delay: RetryDelay | undefined;
  jitter: number;
  condition?: (error: unknown, attempt: number) => boolean | Promise<boolean>;
}

/**
 * Runs attempts until one succeeds, retries are spent, the condition says stop, or the signal fired;
 * returns the value or throws the last error. `awaitingRetry` records the wait between attempts.
 */
export async function withRetries<R>(
  plan: RetryPlan,
  outer: AbortSignal,
  logger: RunLogger,
  awaitingRetry: (name: StateName, message: string) => void,
  run: (attemptNo: number) => Promise<R>,
): Promise<R> {
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      return await run(attemptNo);
    } catch (error) {
      const retriesLeft = plan.retries - (attemptNo - 1);
      // A tag limited to 0 stops its task runs until the limit is raised: a retry would be stopped too.
      const stopped = error instanceof CancelledError || error instanceof StoppedByLimit || outer.aborted;
      let allowed = !stopped && retriesLeft > 0;
      if (allowed && plan.condition) {
        try {
          // Awaited: an async condition's promise is not its answer (it said "retry" to every error, even
          // when it resolved false), and its rejection is the condition throwing.
          allowed = (await plan.condition(error, attemptNo)) !== false;
          // Retries left unused are the condition's doing: without a word the log reads as a task that never retries.
          if (!allowed) logger.error(`Failed after ${attemptNo} attempt(s): ${errorMessage(error)}. Not retried: retryCondition returned false (${retriesLeft} ${retriesLeft === 1 ? 'retry' : 'retries'} left).`);
        } catch (e) {
          logger.error(`retryCondition threw: ${errorMessage(e)}; not retrying`);
          allowed = false;
        }
      }
      if (!allowed) {
        if (!stopped && plan.retries > 0 && retriesLeft <= 0) logger.error(`Failed after ${attemptNo} attempt(s): ${errorMessage(error)}. Retries are exhausted.`);
        throw error;
      }
      const seconds = retryDelaySeconds(plan.delay, attemptNo, plan.jitter);
      logger.warning(`Encountered exception during execution: ${errorMessage(error)}`);
      logger.info(`Retry ${attemptNo}/${plan.retries} will start ${formatSeconds(seconds)} from now`);
      awaitingRetry('AwaitingRetry', `Retry ${attemptNo}/${plan.retries} in ${formatSeconds(seconds)}`);
      await sleep(seconds * 1000, outer);
    }
  }
}

function formatSeconds(s: number): string {
  const rounded = Math.round(s * 1000) / 1000;
  return `${rounded} second${rounded === 1 ? '' : 's'}`;
}
