/**
 * Schedules in a Postgres store, shared by every machine on it: added schedules, paused ids and first
 * sightings are rows, and a slot's claim is a row whose primary key lets one process insert it. A claim
 * names the claimant's lease (hosts row): once that lease lapsed the claimant is dead, and the slot may be
 * taken over — by one process, as the update only matches the dead claimant's row.
 */
import { randomBytes } from 'node:crypto';
import type { ProcessIdentity } from '../records';
import { checkSchedule, isTimezone, withTimezone } from '../schedules/scheduleSpec';
import { CLAIM_SETTLE_MS, checkScheduleId, checkSlot, SCHEDULE_ID, UNRUN_CLAIM_MS, type ScheduleStore, type ScheduleStoreState, type SlotClaim, type SlotClaimOptions, type StoredSchedule } from '../schedules/scheduleStore';
import { liveSession } from './hostLease';
import type { PgStore } from './pgStore';

/**
 * Claims kept per schedule, besides those of slots whose runs have not ended (SlotClaimOptions.keep) and
 * young ones (CLAIM_SETTLE_MS):
 * older slots are never claimed again (schedulers only look at the latest, and at slots whose runs wait).
 */
const KEEP_SLOTS = 20;

interface ScheduleRow {
  k: 'add' | 'pause' | 'seen';
  id: string;
  flow_name: string | null;
  source: string | null;
  schedule: unknown;
  at: string | null;
  zone: string | null;
}

export class PgScheduleStore implements ScheduleStore {
  constructor(private readonly store: PgStore) {}

  private t(name: string): string {
    return this.store.t(name);
  }

  async read(): Promise<ScheduleStoreState> {
    // One round trip: a scheduler reads this on every look.
    const rows = await this.store.rows<ScheduleRow>(
      `select 'add' as k, id, flow_name, source, schedule, created as at, null as zone from ${this.t('schedules')}
       union all select 'pause', id, null, null, null, null, null from ${this.t('schedule_paused')}
       union all select 'seen', id, null, null, null, at, zone from ${this.t('schedule_seen')}`,
      [],
      'read the schedules',
    );
    const added: StoredSchedule[] = [];
    const paused = new Set<string>();
    const firstSeen = new Map<string, number>();
    const zones = new Map<string, string>();
    for (const r of rows) {
      if (r.k === 'pause') paused.add(r.id);
      else if (r.k === 'seen') {
        firstSeen.set(r.id, Number(r.at));
        if (r.zone !== null && isTimezone(r.zone)) zones.set(r.id, r.zone);
      } else {
        try {
          added.push({ id: r.id, flowName: r.flow_name!, source: r.source!, schedule: checkSchedule(r.schedule, r.flow_name!), created: Number(r.at) });
        } catch {
          // Written by a Flowdeck that knows more of schedules than this one: not one this version can run.
        }
      }
    }
    added.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
    return { added, paused, firstSeen, zones };
  }

  async add(schedule: Omit<StoredSchedule, 'id' | 'created'>): Promise<StoredSchedule> {
    this.store.assertWritable();
    const stored: StoredSchedule = { id: randomBytes(5).toString('hex'), flowName: schedule.flowName, source: schedule.source, schedule: withTimezone(checkSchedule(schedule.schedule, schedule.flowName)), created: Date.now() };
    await this.store.rows(`insert into ${this.t('schedules')} (id, flow_name, source, schedule, created) values ($1, $2, $3, $4, $5)`, [stored.id, stored.flowName, stored.source, stored.schedule, stored.created], 'add a schedule');
    return stored;
  }

  async remove(id: string): Promise<boolean> {
    this.store.assertWritable();
    if (!SCHEDULE_ID.test(id)) return false;
    // One statement: what is kept about the schedule goes with it, or nothing does.
    const rows = await this.store.rows<{ id: string }>(
      `with d as (delete from ${this.t('schedules')} where id = $1 returning id),
         p as (delete from ${this.t('schedule_paused')} where id in (select id from d)),
         s as (delete from ${this.t('schedule_seen')} where id in (select id from d)),
         c as (delete from ${this.t('schedule_slots')} where schedule_id in (select id from d))
       select id from d`,
      [id],
      'remove a schedule',
    );
    return rows.length > 0;
  }

  async setPaused(id: string, paused: boolean, at?: number): Promise<void> {
    this.store.assertWritable();
    checkScheduleId(id);
    if (paused) await this.store.rows(`insert into ${this.t('schedule_paused')} (id) values ($1) on conflict do nothing`, [id], 'pause or resume a schedule');
    else if (at === undefined) await this.store.rows(`delete from ${this.t('schedule_paused')} where id = $1`, [id], 'pause or resume a schedule');
    // Its slots from before it was resumed are never caught up, as from before it was first seen.
    else await this.store.rows(`with d as (delete from ${this.t('schedule_paused')} where id = $1 returning id) update ${this.t('schedule_seen')} set at = greatest(at, $2) where id in (select id from d)`, [id, at], 'pause or resume a schedule');
  }

  async markSeen(ids: readonly string[], at: number, zone?: string): Promise<void> {
    this.store.assertWritable();
    if (ids.length === 0) return;
    for (const id of ids) checkScheduleId(id);
    // The first `at` stays; a zone is set once, on a row an older Flowdeck wrote without one too.
    await this.store.rows(
      `insert into ${this.t('schedule_seen')} as s (id, at, zone) select unnest($1::text[]), $2, $3
       on conflict (id) do update set zone = excluded.zone where s.zone is null and excluded.zone is not null`,
      [[...ids], at, zone ?? null],
      'record when schedules were first seen',
    );
  }

  async claimSlot(scheduleId: string, slot: number, options: SlotClaimOptions = {}): Promise<SlotClaim> {
    // Not under a lease that was lost (and not renewed yet): the run it would make could not be written.
    const session = this.store.claimSession();
    checkSlot(scheduleId, slot);
    if (await this.insertClaim(scheduleId, slot, session)) {
      await this.prune(scheduleId, options.keep);
      return { claimed: true };
    }
    const held = (
      await this.store.rows<{ session: string; owner: ProcessIdentity & { runId?: unknown }; alive: boolean }>(
        `select session, owner, ${liveSession(this.t('hosts'), 'c.session')} as alive from ${this.t('schedule_slots')} c where schedule_id = $1 and slot = $2`,
        [scheduleId, slot],
        "read a schedule slot's claim",
      )
    )[0];
    // Given back meanwhile: claimed like a free slot.
    if (!held) return (await this.insertClaim(scheduleId, slot, session)) ? { claimed: true } : { claimed: false };
    const { runId, ...owner } = held.owner;
    const notClaimed: SlotClaim = { claimed: false, holder: owner };
    if (held.alive || !options.abandoned || !(await options.abandoned(typeof runId === 'string' ? runId : undefined))) return notClaimed;
    const taken = await this.store.rows(
      `update ${this.t('schedule_slots')} set session = $3, owner = $4, claimed_at = now() where schedule_id = $1 and slot = $2 and session = $5 returning slot`,
      [scheduleId, slot, session, this.store.me(), held.session],
      "take over a schedule slot's claim",
    );
    return taken.length > 0 ? { claimed: true, tookOverFrom: owner } : notClaimed;
  }

  async markSlotRun(scheduleId: string, slot: number, runId: string): Promise<void> {
    checkSlot(scheduleId, slot);
    // Beside the claimant's identity: no column of its own, so stores of older versions read the claim as before.
    await this.store.rows(
      `update ${this.t('schedule_slots')} set owner = owner || jsonb_build_object('runId', $4::text) where schedule_id = $1 and slot = $2 and session = $3`,
      [scheduleId, slot, this.session(), runId],
      "note a schedule slot's run",
    );
  }

  async releaseSlot(scheduleId: string, slot: number): Promise<void> {
    checkSlot(scheduleId, slot);
    await this.store.rows(`delete from ${this.t('schedule_slots')} where schedule_id = $1 and slot = $2 and session = $3`, [scheduleId, slot, this.session()], 'give back a schedule slot');
  }

  /** This process's lease: what its claims name. */
  private session(): string {
    this.store.assertWritable();
    return this.store.lease!.id;
  }

  private async insertClaim(scheduleId: string, slot: number, session: string): Promise<boolean> {
    const rows = await this.store.rows(
      `insert into ${this.t('schedule_slots')} (schedule_id, slot, session, owner) values ($1, $2, $3, $4) on conflict do nothing returning slot`,
      [scheduleId, slot, session, this.store.me()],
      'claim a schedule slot',
    );
    return rows.length > 0;
  }

  /**
   * Keeps the newest claims of a schedule, those `keep` names, and those too young to judge by the
   * database's clock (CLAIM_SETTLE_MS; UNRUN_CLAIM_MS without a run noted): the table does not grow by a row
   * per slot forever.
   */
  private async prune(scheduleId: string, keep?: () => Promise<readonly number[]>): Promise<void> {
    await this.store.rows(
      `delete from ${this.t('schedule_slots')} where schedule_id = $1 and slot <> all($3::bigint[])
         and slot < (select slot from ${this.t('schedule_slots')} where schedule_id = $1 order by slot desc offset $2 limit 1)
         and claimed_at < now() - $4 * interval '1 millisecond'
         and (owner ? 'runId' or claimed_at < now() - $5 * interval '1 millisecond')`,
      [scheduleId, KEEP_SLOTS - 1, keep ? [...(await keep())] : [], CLAIM_SETTLE_MS, UNRUN_CLAIM_MS],
      'prune old schedule slots',
    );
  }
}
