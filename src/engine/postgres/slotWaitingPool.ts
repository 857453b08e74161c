/**
 * The store's pool, waiting for a free connection slot when the server has none (freeSlotWait.ts) instead
 * of failing the checkout at once. Every checkout goes through `connect`: pg-pool's `query` takes its client
 * from `this.connect` too, and graphile-worker's checkouts come to it through waitingPool.ts. Connections
 * already open are never affected: only opening a new one can be refused so. While a checkout waits, the
 * store's LISTEN connection steps aside (changeFeed.ts's poolWaits).
 *
 * A store that holds a lease keeps one idle connection (pg-pool's `min`, poolSize.ts) for its heartbeat. It
 * too steps aside while the LISTEN connection waits for a slot (idleGivesWay): a burst of processes each
 * keeping one while waiting for another slot for its LISTEN left the server full of idle connections, each
 * process waiting for the others until its wait ran out.
 */
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { FreeSlotWait } from './freeSlotWait';

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;

export class SlotWaitingPool extends Pool {
  /** The idle connections kept (config `min`), but while the LISTEN connection waits for a slot. */
  private readonly keptIdle: number;
  /** LISTEN connections waiting for a slot now (idleGivesWay). */
  private listenWaiting = 0;

  constructor(
    config: PoolConfig,
    private readonly slots: FreeSlotWait,
    /** A checkout waits for a slot; what it returns is called when it is done waiting (changeFeed.ts's poolWaits). */
    private readonly onWait?: () => () => void,
  ) {
    super(config);
    this.keptIdle = config.min ?? 0;
  }

  /**
   * The LISTEN connection waits for a free slot: the idle connections kept are closed, and those given back
   * meanwhile close once idle as any other; call what this returns when it is done waiting (kept again).
   */
  idleGivesWay(): () => void {
    this.listenWaiting++;
    this.options.min = 0;
    void this.closeIdle();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.listenWaiting === 0) this.options.min = this.keptIdle;
    };
  }

  /** Takes each idle connection and closes it (pg-pool closes only those above `min`, when their idle time ends). */
  private async closeIdle(): Promise<void> {
    while (this.idleCount > 0 && this.listenWaiting > 0 && !this.ending) {
      // pg-pool's own checkout: it hands out an idle connection first (never waiting for a slot, refused at once).
      const client = await super.connect().catch(() => undefined);
      if (!client) return;
      client.release(true);
    }
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
