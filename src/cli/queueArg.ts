/**
 * `--queue NAME` of `run`, `resume` and `worker`: a queue name (queueName.ts) that holds no secret the
 * command knows. A queue's name is kept in the store with each run queued on it and shown as it is — "Queued
 * … on queue 'NAME'", "Waiting for a worker on queue 'NAME'", the worker's "serving queue 'NAME'", the
 * runs' JSON — never masked, so `--queue $GITHUB_TOKEN` is refused as `--tag $GITHUB_TOKEN` is, not kept.
 * Throws a RangeError saying what was wrong; the command makes it its exit 2.
 */
import { checkQueueName } from '../engine/postgres/queueName';
import type { SecretMasker } from '../engine/secrets';

export function checkedQueue(queue: string, secrets: SecretMasker): string {
  if (secrets.mask(queue) !== queue) throw new RangeError(`--queue was given a secret's value (GITHUB_TOKEN, a stored token…): a queue's name is kept in the store with its runs and shown as it is, never masked, so it is refused; use a plain name`);
  return checkQueueName(queue);
}
