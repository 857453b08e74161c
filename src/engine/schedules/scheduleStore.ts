/**
 * What a run store keeps about schedules, for every backend (the embedded files under FLOWDECK_HOME;
 * Postgres): schedules added without editing code, which schedules are paused, when a scheduler first
 * saw each schedule, and the claim of each slot — so every window and `flowdeck serve` sharing the store
 * agrees on them and each slot runs once. Schedules declared in flow files live in the files; they are
 * named here only by id (paused, first seen, slots).
 */
import type { ProcessIdentity } from '../records';
import type { Schedule } from './scheduleSpec';

/** A schedule added with `flowdeck schedule add` or Schedule Flow…, kept in the store. */
export interface StoredSchedule {
  id: string;
  flowName: string;
  /** A flow file's absolute path, or `builtin:<id>` (as runs record their source). */
  source: string;
  schedule: Schedule;
  /** Epoch ms when it was added: catchup never runs a slot from before. */
  created: number;
}

export interface ScheduleStoreState {
  /** Oldest first. */
  added: StoredSchedule[];
  /** Ids of paused schedules, added or declared in code. */
  paused: ReadonlySet<string>;
  /** When a scheduler first saw each schedule (epoch ms): catchup never runs a slot from before. */
  firstSeen: ReadonlyMap<string, number>;
  /**
   * The timezone of the scheduler that first recorded one for each schedule (markSeen): a cron declared in a
   * flow file without a timezone is read in it by every process sharing the store (zonedEntry), so serves in
   * different timezones run the same slots.
   */
  zones: ReadonlyMap<string, string>;
}

export type SlotClaim =
  /** This process holds the slot; `tookOverFrom` when it took it over from a claimant that died before creating its run. */
  | { claimed: true; tookOverFrom?: ProcessIdentity }
  /** Another process holds it (`holder`, when known). */
  | { claimed: false; holder?: ProcessIdentity };

export interface SlotClaimOptions {
  /**
   * Asked when the slot's claimant is dead, with the run it noted making for the slot (markSlotRun) if it
   * did: true when it died before creating the slot's run or starting it (the scheduler checks the run
   * index), so the slot may be taken over. Of several processes taking over the same dead claim, one does.
   */
  abandoned?: (runId?: string) => Promise<boolean>;
  /**
   * Slots of the schedule whose claims are kept when old claims are pruned, asked only when the store
   * prunes: those whose runs have not ended (in every process). A slot queued behind a long run (overlap:
   * queue) waits far beyond the newest claims kept; pruned, its claim could be claimed again by a process
   * watching it, and the slot would run twice.
   */
  keep?: () => Promise<readonly number[]>;
}

export interface ScheduleStore {
  /** The schedules and their states, with what other processes changed since the last call (cheap when nothing did). */
  read(): Promise<ScheduleStoreState>;
  add(schedule: Omit<StoredSchedule, 'id' | 'created'>): Promise<StoredSchedule>;
  /** Removes an added schedule and what is kept about it; false when there was none with this id. */
  remove(id: string): Promise<boolean>;
  /**
   * Pauses or resumes a schedule (added or declared in code); idempotent. Resumed `at` (epoch ms), its slots
   * from before are never caught up: what passed while it was paused is not run by a scheduler started later.
   */
  setPaused(id: string, paused: boolean, at?: number): Promise<void>;
  /**
   * Records `at` as when these schedules were first seen, and `zone` as the timezone they are read in when
   * they name none, for those without either yet (the first record of each wins).
   */
  markSeen(ids: readonly string[], at: number, zone?: string): Promise<void>;
  /**
   * Claims slot `slot` (epoch ms) of schedule `scheduleId` for this process, before its run is created:
   * true for exactly one caller across every process sharing the store.
   */
  claimSlot(scheduleId: string, slot: number, options?: SlotClaimOptions): Promise<SlotClaim>;
  /** Gives back a slot this process claimed but will not run (it stops before the slot is due): another process may claim it. */
  releaseSlot(scheduleId: string, slot: number): Promise<void>;
  /**
   * Notes on this process's claim of the slot the run it created for it: a process judging the claim once
   * this process is dead knows the run was made — and, should it be gone, that it was deleted, not never made.
   */
  markSlotRun(scheduleId: string, slot: number, runId: string): Promise<void>;
}

/**
 * A slot's claim younger than this is never pruned, whatever the slots kept (SlotClaimOptions.keep) say:
 * those are the runs not ended, and the run of a claim made a moment ago does not exist yet — pruned then,
 * a process watching the slot would claim it again, and it would run twice. Well above the time from a
 * claim to its run's creation (a few store writes).
 */
export const CLAIM_SETTLE_MS = 10 * 60_000;
/**
 * A claim on which no run was noted (markSlotRun) is kept this long: its claimant may have been asleep (the
 * machine suspended) between claiming and creating the run, or died before (its slot is then taken over).
 */
export const UNRUN_CLAIM_MS = 24 * 3600_000;

/** Schedule ids: ten lowercase hex digits (stored ones random; declared ones a hash of file, flow and position). */
export const SCHEDULE_ID = /^[0-9a-f]{10}$/;

export function checkScheduleId(id: string): void {
  if (!SCHEDULE_ID.test(id)) throw new Error(`Not a schedule id: ${JSON.stringify(id)}`);
}

/** A slot of a schedule: its id and the slot's time (epoch ms). */
export function checkSlot(scheduleId: string, slot: number): void {
  checkScheduleId(scheduleId);
  if (!Number.isSafeInteger(slot) || slot < 0) throw new Error(`Not a slot time: ${slot}`);
}
