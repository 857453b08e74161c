/** Queue names: what `--queue` accepts, kept apart from the queue engine so the CLI can check one cheaply. */
const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const DEFAULT_QUEUE = 'default';

export function checkQueueName(queue: string): string {
  if (!QUEUE_NAME.test(queue)) throw new RangeError(`Not a queue name: ${JSON.stringify(queue)} (letters, digits, '_', '.', '-'; at most 64)`);
  return queue;
}
