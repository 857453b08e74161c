/**
 * Schedules and concurrency limits by tag are kept by the embedded store only, for now. On a Postgres store
 * there are none to read (a scheduler serves nothing, a task run's tags wait for no slot unless a limit is
 * configured), and adding one is refused with what to do instead — never silently dropped.
 */
import type { ConcurrencyLimit, Lease, LeaseInfo, LimitStore } from '../limits/limitStore';
import type { ScheduleStore, ScheduleStoreState, SlotClaim, StoredSchedule } from '../schedules/scheduleStore';

const NOT_YET =
  'is not kept in a Postgres store yet: schedules and concurrency limits by tag live in the embedded store (unset FLOWDECK_STORE or --store to use it)';

export class PgNoSchedules implements ScheduleStore {
  async read(): Promise<ScheduleStoreState> {
    return { added: [], paused: new Set(), firstSeen: new Map() };
  }
  add(): Promise<StoredSchedule> {
    return Promise.reject(new Error(`A schedule ${NOT_YET}`));
  }
  async remove(): Promise<boolean> {
    return false;
  }
  setPaused(): Promise<void> {
    return Promise.reject(new Error(`A paused schedule ${NOT_YET}`));
  }
  async markSeen(): Promise<void> {}
  claimSlot(): Promise<SlotClaim> {
    return Promise.reject(new Error(`A schedule's slot ${NOT_YET}`));
  }
  async releaseSlot(): Promise<void> {}
}

export class PgNoLimits implements LimitStore {
  async list(): Promise<ConcurrencyLimit[]> {
    return [];
  }
  set(tag: string): Promise<void> {
    return Promise.reject(new Error(`A concurrency limit (tag '${tag}') ${NOT_YET}`));
  }
  async remove(): Promise<boolean> {
    return false;
  }
  tryAcquire(tag: string): Promise<Lease | undefined> {
    return Promise.reject(new Error(`A concurrency limit (tag '${tag}') ${NOT_YET}`));
  }
  async release(): Promise<void> {}
  async leases(): Promise<LeaseInfo[]> {
    return [];
  }
}
