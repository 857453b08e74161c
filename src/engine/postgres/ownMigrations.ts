/**
 * graphile-worker's workers stop taking jobs when they hear of a breaking migration (`worker:migrate`), as
 * they must when their own queue schema changes under them. But the channel names no schema: a queue
 * installed for any other schema of the database (a second Flowdeck store, another application, a test)
 * stopped every worker of this store too — gracefully, so each took nothing more until every run it held had
 * ended, maybe hours later. Only this store's own migrations are let through to graphile-worker: one is
 * heard when the queue schema's newest migration moved past the one the worker started with.
 */
import type { EventEmitter } from 'node:events';

const MIGRATE_CHANNEL = 'worker:migrate';

const filtered = new WeakSet<EventEmitter>();

/**
 * On graphile-worker's LISTEN client: a `worker:migrate` notification reaches its listeners only when
 * `isOwn()` says it is this store's (or cannot tell: as graphile-worker would, it is passed on).
 */
export function hearOwnMigrationsOnly(client: EventEmitter, isOwn: () => Promise<boolean>): void {
  if (filtered.has(client)) return;
  filtered.add(client);
  const emit = client.emit;
  client.emit = function (this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'notification' || (args[0] as { channel?: unknown } | undefined)?.channel !== MIGRATE_CHANNEL) return emit.call(this, event, ...args);
    const pass = (): void => void emit.call(this, event, ...args);
    isOwn().then((own) => own && pass(), pass);
    return this.listenerCount(event) > 0;
  };
}
