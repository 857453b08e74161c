/**
 * Concurrency limits in a Postgres store, held across every machine on it. Slot n of a tag is a row
 * whose primary key (tag, slot) lets one task run hold it; it names its owner's lease (hosts row), and a
 * slot whose owner's lease lapsed is taken back. Only slots below the limit are handed out, and while slots
 * at or above it (taken when it was higher) are held, as many fewer: a lowered limit applies to new task
 * runs at once, no slot given while as many as the limit are held (as in the embedded store).
 */
import { randomBytes } from 'node:crypto';
import { checkLimit, LIMIT_TAG, type ConcurrencyLimit, type Lease, type LeaseHolder, type LeaseInfo, type LimitStore } from '../limits/limitStore';
import type { ProcessIdentity } from '../records';
import { liveSession } from './hostLease';
import type { PgStore } from './pgStore';

export class PgLimitStore implements LimitStore {
  constructor(private readonly store: PgStore) {}

  private t(name: string): string {
    return this.store.t(name);
  }

  async list(): Promise<ConcurrencyLimit[]> {
    const rows = await this.store.rows<{ tag: string; max_running: number }>(`select tag, max_running from ${this.t('limits')} order by tag`, [], 'list concurrency limits');
    return rows.map((r) => ({ tag: r.tag, limit: r.max_running }));
  }

  async set(tag: string, limit: number): Promise<void> {
    this.store.assertWritable();
    checkLimit(tag, limit);
    await this.store.rows(`insert into ${this.t('limits')} (tag, max_running) values ($1, $2) on conflict (tag) do update set max_running = excluded.max_running`, [tag, limit], 'set a concurrency limit');
  }

  async remove(tag: string): Promise<boolean> {
    this.store.assertWritable();
    if (!LIMIT_TAG.test(tag)) return false;
    return (await this.store.rows(`delete from ${this.t('limits')} where tag = $1 returning tag`, [tag], 'remove a concurrency limit')).length > 0;
  }

  async tryAcquire(tag: string, limit: number, holder: LeaseHolder): Promise<Lease | undefined> {
    this.store.assertWritable();
    if (!LIMIT_TAG.test(tag)) throw new RangeError(`Not a limited tag: ${JSON.stringify(tag)}`);
    const session = this.store.lease!.id;
    await this.store.rows(`delete from ${this.t('limit_leases')} l where tag = $1 and not ${liveSession(this.t('hosts'), 'l.session')}`, [tag], 'take back slots of processes that stopped responding');
    const nonce = randomBytes(8).toString('hex');
    // The lowest free slot below the limit, less the slots held at or above it (a lowered limit's); a
    // process that took the same slot at the same moment makes this insert nothing, and the next free one
    // is tried (at most once per slot).
    for (let tries = 0; tries < limit; tries++) {
      const rows = await this.store.rows<{ slot: number; free: boolean }>(
        `with free as (select s from generate_series(0, $2::integer - 1 - (select count(*)::integer from ${this.t('limit_leases')} h where h.tag = $1 and h.slot >= $2)) s
                        where not exists (select 1 from ${this.t('limit_leases')} l where l.tag = $1 and l.slot = s) order by s limit 1),
              ins as (insert into ${this.t('limit_leases')} (tag, slot, nonce, session, owner, run_id, task_run_id, since)
                        select $1, s, $3, $4, $5, $6, $7, $8 from free on conflict do nothing returning slot)
         select (select slot from ins) as slot, exists (select 1 from free) as free`,
        [tag, limit, nonce, session, this.store.me(), holder.runId, holder.taskRunId, Date.now()],
        'take a concurrency slot',
      );
      const r = rows[0];
      if (r?.slot !== null && r?.slot !== undefined) return { tag, slot: r.slot, nonce };
      if (!r?.free) return undefined;
    }
    return undefined;
  }

  async release(lease: Lease): Promise<void> {
    await this.store.rows(`delete from ${this.t('limit_leases')} where tag = $1 and slot = $2 and nonce = $3`, [lease.tag, lease.slot, lease.nonce], 'give back a concurrency slot');
  }

  async leases(tag: string): Promise<LeaseInfo[]> {
    if (!LIMIT_TAG.test(tag)) return [];
    const rows = await this.store.rows<{ slot: number; nonce: string; owner: ProcessIdentity; run_id: string; task_run_id: string; since: string }>(
      `select slot, nonce, owner, run_id, task_run_id, since from ${this.t('limit_leases')} l where tag = $1 and ${liveSession(this.t('hosts'), 'l.session')} order by slot`,
      [tag],
      'list concurrency slots',
    );
    return rows.map((r) => ({ tag, slot: r.slot, nonce: r.nonce, owner: r.owner, holder: { runId: r.run_id, taskRunId: r.task_run_id }, since: Number(r.since) }));
  }
}
