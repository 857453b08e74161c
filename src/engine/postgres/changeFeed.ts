/**
 * What other processes change, pushed by Postgres (LISTEN/NOTIFY) on one dedicated connection: run ids
 * whose summary changed, runs whose journal grew, cancel requests. Nothing polls. When the connection
 * drops, listeners hear that the store is unreachable, the feed reconnects with a growing pause, and
 * says `resync` once back (notifications sent meanwhile are lost, so views reload what they show).
 */
import { Client, type ClientConfig } from 'pg';
import type { StoreHealth } from '../sharedStore';

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
  healthy: StoreHealth = { ok: true };

  constructor(
    private readonly config: ClientConfig,
    /** Channel names in the database, per schema. */
    readonly channels: Record<Channel, string>,
    private readonly describe: (e: unknown) => string,
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
    const client = new Client(this.config);
    client.on('notification', (n) => {
      const channel = (Object.keys(this.channels) as Channel[]).find((c) => this.channels[c] === n.channel);
      if (channel) for (const l of this.listeners) l.notify?.(channel, n.payload ?? '');
    });
    client.on('error', (e) => this.lost(e));
    client.on('end', () => this.lost(new Error('the connection was closed')));
    await client.connect();
    for (const name of Object.values(this.channels)) {
      if (this.closed) break;
      await client.query(`listen ${client.escapeIdentifier(name)}`);
    }
    if (this.closed) {
      // Closed while this connection was being made: it goes too, or it would keep the process alive.
      await endClient(client);
      return;
    }
    this.client = client;
    this.pause = 500;
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
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => {
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
