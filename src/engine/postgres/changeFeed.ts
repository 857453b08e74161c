/**
 * What other processes change, pushed by Postgres (LISTEN/NOTIFY) on one dedicated connection: run ids
 * whose summary changed, runs whose journal grew, cancel requests. Nothing polls. When the connection
 * drops, listeners hear that the store is unreachable, the feed reconnects with a growing pause, and
 * says `resync` once back (notifications sent meanwhile are lost, so views reload what they show).
 */
import { Client, type ClientConfig } from 'pg';
import type { StoreHealth } from '../sharedStore';
import { FreeSlotWait } from './freeSlotWait';

export type Channel = 'runs' | 'journal' | 'cancel' | 'resume';

export interface FeedListener {
  notify?(channel: Channel, payload: string): void;
  health?(health: StoreHealth): void;
  /** Reconnected after a gap: anything may have changed. */
  resync?(): void;
}

const MAX_PAUSE_MS = 30_000;

export class ChangeFeed {
  private client?: Client;
  private readonly listeners = new Set<FeedListener>();
  private closed = false;
  private pause = 500;
  private reconnectTimer?: NodeJS.Timeout;
  private connecting?: Promise<void>;
  /** Checkouts of the store's pool waiting for a free slot (poolWaits); the connection is given back meanwhile. */
  private poolWaiting = 0;
  private gaveBack = false;
  healthy: StoreHealth = { ok: true };

  constructor(
    private readonly config: ClientConfig,
    /** Channel names in the database, per schema. */
    readonly channels: Record<Channel, string>,
    private readonly describe: (e: unknown) => string,
    /** A server with no free connection is waited for, as the store's pool waits (freeSlotWait.ts). */
    private readonly slots = new FreeSlotWait(),
    /** This connection waits for a slot; what it returns is called when it is done waiting (slotWaitingPool.ts's idleGivesWay). */
    private readonly onWait?: () => () => void,
  ) {}

  /** Starts listening (once); resolves when the first connection is up, rejects if it cannot be made. */
  start(): Promise<void> {
    this.connecting ??= this.connect();
    return this.connecting;
  }

  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async connect(): Promise<void> {
    // A client connects once: each try after a refusal is a new one.
    const client = await this.slots.connect(async () => {
      const tried = new Client(this.config);
      tried.on('error', () => undefined);
      try {
        await tried.connect();
      } catch (e) {
        await endClient(tried);
        throw e;
      }
      return tried;
    }, () => this.closed, this.onWait);
    client.removeAllListeners('error');
    client.on('notification', (n) => {
      const channel = (Object.keys(this.channels) as Channel[]).find((c) => this.channels[c] === n.channel);
      if (channel) for (const l of this.listeners) l.notify?.(channel, n.payload ?? '');
    });
    client.on('error', (e) => this.lost(e));
    client.on('end', () => this.lost(new Error('the connection was closed')));
    for (const name of Object.values(this.channels)) {
      if (this.closed) break;
      await client.query(`listen ${client.escapeIdentifier(name)}`);
    }
    if (this.closed) {
      // Closed while this connection was being made: it goes too, or it would keep the process alive.
      await endClient(client);
      return;
    }
    if (this.poolWaiting > 0) {
      // Made as the pool began waiting for a slot: given back too, taken again once the pool has one.
      await endClient(client);
      this.gaveBack = true;
      return;
    }
    this.client = client;
    this.pause = 500;
  }

  /**
   * A checkout of the store's pool waits for a free connection slot (the server is full): the LISTEN
   * connection is given back meanwhile, and made again (saying `resync`: notifications sent meanwhile are
   * lost) once no checkout waits; call what this returns when the checkout is done waiting. A process
   * holding it while its pool waited could leave a full server waiting on itself: every slot held by a
   * process's LISTEN connection, each process waiting for a slot to write its run.
   */
  poolWaits(): () => void {
    this.poolWaiting++;
    if (this.client && !this.closed) {
      const client = this.client;
      this.client = undefined;
      void endClient(client);
      this.gaveBack = true;
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.poolWaiting--;
      if (this.poolWaiting === 0 && this.gaveBack && !this.closed) {
        this.gaveBack = false;
        this.scheduleReconnect();
      }
    };
  }

  private lost(e: unknown): void {
    if (this.closed || !this.client) return;
    const client = this.client;
    this.client = undefined;
    void endClient(client);
    this.setHealth({ ok: false, message: this.describe(e) });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => {
          if (!this.client) return; // given back again as it was made (poolWaits): made again later
          this.setHealth({ ok: true });
          for (const l of this.listeners) l.resync?.();
        },
        (e: unknown) => {
          this.setHealth({ ok: false, message: this.describe(e) });
          this.pause = Math.min(this.pause * 2, MAX_PAUSE_MS);
          this.scheduleReconnect();
        },
      );
    }, this.pause);
    this.reconnectTimer.unref();
  }

  setHealth(h: StoreHealth): void {
    if (h.ok === this.healthy.ok && h.message === this.healthy.message) return;
    this.healthy = h;
    for (const l of this.listeners) l.health?.(h);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await endClient(client);
  }
}

/** Ends a connection quietly: nothing it says from now on reaches the feed. */
async function endClient(client: Client): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => undefined);
  await client.end().catch(() => undefined);
}
