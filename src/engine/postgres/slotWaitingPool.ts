/**
 * The store's pool, waiting for a free connection slot when the server has none (freeSlotWait.ts) instead
 * of failing the checkout at once. Every checkout goes through `connect`: pg-pool's `query` takes its client
 * from `this.connect` too, and graphile-worker's checkouts come to it through waitingPool.ts. Connections
 * already open are never affected: only opening a new one can be refused so. While a checkout waits, the
 * store's LISTEN connection steps aside (changeFeed.ts's poolWaits).
 */
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { FreeSlotWait } from './freeSlotWait';

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;

export class SlotWaitingPool extends Pool {
  constructor(
    config: PoolConfig,
    private readonly slots: FreeSlotWait,
    /** A checkout waits for a slot; what it returns is called when it is done waiting (changeFeed.ts's poolWaits). */
    private readonly onWait?: () => () => void,
  ) {
    super(config);
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const client = this.slots.connect(() => super.connect(), () => this.ending, this.onWait);
    if (callback === undefined) return client;
    client.then(
      (c) => callback(undefined, c, (release?: unknown) => c.release(release as Error | boolean | undefined)),
      (e: Error) => callback(e, undefined, () => undefined),
    );
  }
}
