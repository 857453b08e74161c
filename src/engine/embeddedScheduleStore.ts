/**
 * Schedules in the embedded store, under FLOWDECK_HOME/schedules:
 *
 *   schedules.jsonl        what was added, removed, paused, resumed and first seen (and in which timezone):
 *                          one idempotent record per line, appended with O_APPEND (no lock); every process
 *                          folds the same lines to the same state, reading only what was appended since
 *                          its last look
 *   slots/<id>/<slot>      the claim of one slot (claimFiles.ts): created once; the newest and the young
 *                          are kept
 *
 * Changes are rare (a person adds or pauses a schedule), so the log is never compacted.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createClaim, isAbandoned, readClaim, removeOwn, replaceAbandoned, rewriteOwn, type HeldClaim } from './claimFiles';
import { FILE_MODE } from './journalFile';
import { journalLines } from './jsonLines';
import { currentProcess, sameProcess } from './processIdentity';
import { checkSchedule, isTimezone, withTimezone } from './schedules/scheduleSpec';
import { CLAIM_SETTLE_MS, checkScheduleId, checkSlot, SCHEDULE_ID, UNRUN_CLAIM_MS, type ScheduleStore, type ScheduleStoreState, type SlotClaim, type SlotClaimOptions, type StoredSchedule } from './schedules/scheduleStore';
import { StoreWriteError, withPath } from './storeErrors';
import { privateDir } from './storeHome';

type ScheduleRecord =
  | ({ k: 'add' } & StoredSchedule)
  | { k: 'rm'; id: string }
  | { k: 'pause'; id: string }
  | { k: 'resume'; id: string; at?: number }
  | { k: 'seen'; id: string; at: number; zone?: string };

/**
 * Claims kept per schedule, besides those of slots whose runs have not ended (SlotClaimOptions.keep) and
 * young ones (CLAIM_SETTLE_MS):
 * older slots are never claimed again (schedulers only look at the latest, and at slots whose runs wait).
 */
const KEEP_SLOTS = 20;

export class EmbeddedScheduleStore implements ScheduleStore {
  private readonly dir: string;
  private readonly logFile: string;
  private readonly slotsDir: string;
  private offset = 0;
  private partial = '';
  private readonly added = new Map<string, StoredSchedule>();
  private readonly paused = new Set<string>();
  private readonly seen = new Map<string, number>();
  private readonly zones = new Map<string, string>();
  private readonly removed = new Set<string>();
  private looking?: Promise<void>;
  /**
   * Per schedule, when this process last pruned and how many claims it left: young claims stay
   * (CLAIM_SETTLE_MS), so it prunes again once they may have settled or their count doubled, not reading
   * them all at every claim.
   */
  private readonly pruned = new Map<string, { at: number; left: number }>();
  /** Lines that could not be read as records. */
  skipped = 0;

  constructor(
    home: string,
    private readonly options: { readOnly: boolean; durable: boolean; now?: () => number },
  ) {
    this.dir = join(home, 'schedules');
    this.logFile = join(this.dir, 'schedules.jsonl');
    this.slotsDir = join(this.dir, 'slots');
  }

  async read(): Promise<ScheduleStoreState> {
    await this.catchUp();
    return { added: [...this.added.values()], paused: new Set(this.paused), firstSeen: new Map(this.seen), zones: new Map(this.zones) };
  }

  /** Folds what was appended since the last look (one look at a time: each reads on from the last one's end). */
  private catchUp(): Promise<void> {
    const next = (this.looking ?? Promise.resolve()).then(() => this.look());
    this.looking = next.catch(() => undefined);
    return next;
  }

  private async look(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.logFile)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (size === this.offset) return;
    if (size < this.offset) this.reset();
    const fh = await open(this.logFile, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset).catch((e: unknown) => Promise.reject(withPath(e, this.logFile)));
      this.offset += bytesRead;
      const text = this.partial + buf.toString('utf8', 0, bytesRead);
      const end = text.lastIndexOf('\n');
      // A line still being written stays for the next look.
      this.partial = text.slice(end + 1);
      for (const line of text.slice(0, end + 1).split('\n')) if (line.trim() !== '') this.apply(line);
    } finally {
      await fh.close();
    }
  }

  private reset(): void {
    this.offset = 0;
    this.partial = '';
    this.added.clear();
    this.paused.clear();
    this.seen.clear();
    this.zones.clear();
    this.removed.clear();
  }

  private apply(line: string): void {
    const r = asScheduleRecord(line);
    if (!r) {
      this.skipped++;
      return;
    }
    if (this.removed.has(r.id)) return;
    switch (r.k) {
      case 'add':
        if (!this.added.has(r.id)) this.added.set(r.id, { id: r.id, flowName: r.flowName, source: r.source, schedule: r.schedule, created: r.created });
        return;
      case 'rm':
        this.removed.add(r.id);
        this.added.delete(r.id);
        this.paused.delete(r.id);
        this.seen.delete(r.id);
        this.zones.delete(r.id);
        return;
      case 'pause':
        this.paused.add(r.id);
        return;
      case 'resume':
        // Its slots from before it was resumed (paused until then) are never caught up, as from before it was first seen.
        if (r.at !== undefined && this.paused.has(r.id) && this.seen.has(r.id)) this.seen.set(r.id, Math.max(this.seen.get(r.id)!, r.at));
        this.paused.delete(r.id);
        return;
      case 'seen':
        if (!this.seen.has(r.id)) this.seen.set(r.id, r.at);
        // Seen first by a version that recorded no zone: the first record naming one gives it.
        if (r.zone !== undefined && !this.zones.has(r.id)) this.zones.set(r.id, r.zone);
        return;
    }
  }

  private async append(records: readonly ScheduleRecord[]): Promise<void> {
    if (this.options.readOnly) throw new Error('This store was opened read-only');
    if (records.length === 0) return;
    await privateDir(this.dir);
    const text = journalLines(records);
    let fh;
    try {
      // One write of whole lines with O_APPEND: appenders never interleave inside a line.
      fh = await open(this.logFile, 'a', FILE_MODE);
      await fh.write(text);
      if (this.options.durable) await fh.datasync();
    } catch (e) {
      throw StoreWriteError.from(e, this.logFile);
    } finally {
      await fh?.close();
    }
    await this.catchUp();
  }

  async add(schedule: Omit<StoredSchedule, 'id' | 'created'>): Promise<StoredSchedule> {
    const stored: StoredSchedule = { id: randomBytes(5).toString('hex'), flowName: schedule.flowName, source: schedule.source, schedule: withTimezone(checkSchedule(schedule.schedule, schedule.flowName)), created: Date.now() };
    await this.append([{ k: 'add', ...stored }]);
    return stored;
  }

  async remove(id: string): Promise<boolean> {
    await this.catchUp();
    if (!this.added.has(id)) return false;
    await this.append([{ k: 'rm', id }]);
    await rm(join(this.slotsDir, id), { recursive: true, force: true });
    return true;
  }

  async setPaused(id: string, paused: boolean, at?: number): Promise<void> {
    checkScheduleId(id);
    await this.append([paused ? { k: 'pause', id } : { k: 'resume', id, ...(at !== undefined ? { at } : {}) }]);
  }

  async markSeen(ids: readonly string[], at: number, zone?: string): Promise<void> {
    await this.catchUp();
    const unseen = ids.filter((id) => !this.seen.has(id) || (zone !== undefined && !this.zones.has(id)));
    for (const id of unseen) checkScheduleId(id);
    await this.append(unseen.map((id) => ({ k: 'seen', id, at, ...(zone !== undefined ? { zone } : {}) })));
  }

  private slotFile(scheduleId: string, slot: number): string {
    checkSlot(scheduleId, slot);
    return join(this.slotsDir, scheduleId, String(slot));
  }

  async claimSlot(scheduleId: string, slot: number, options: SlotClaimOptions = {}): Promise<SlotClaim> {
    if (this.options.readOnly) throw new Error('This store was opened read-only');
    const file = this.slotFile(scheduleId, slot);
    const dir = join(this.slotsDir, scheduleId);
    await writing(dir, privateDir(dir));
    if (await writing(file, createClaim<SlotData>(file, { at: this.now() }))) {
      await this.pruneSlots(scheduleId, options.keep);
      return { claimed: true };
    }
    const held = await readClaim<SlotData>(file);
    if (!held) return (await writing(file, createClaim(file, { at: this.now() }))) ? { claimed: true } : { claimed: false };
    const owner = held.claim?.owner;
    const notClaimed: SlotClaim = owner ? { claimed: false, holder: owner } : { claimed: false };
    if (!isAbandoned(held) || !options.abandoned || !(await options.abandoned(typeof held.claim?.data?.runId === 'string' ? held.claim.data.runId : undefined))) return notClaimed;
    if (!(await writing(file, replaceAbandoned(file, held.text, { at: this.now() })))) return notClaimed;
    return { claimed: true, ...(owner ? { tookOverFrom: owner } : {}) };
  }

  async markSlotRun(scheduleId: string, slot: number, runId: string): Promise<void> {
    const file = this.slotFile(scheduleId, slot);
    const held = await readClaim<SlotData>(file);
    if (!held?.claim || !sameProcess(held.claim.owner, currentProcess())) return;
    await writing(file, rewriteOwn(file, held.claim, { ...held.claim.data, runId }));
  }

  async releaseSlot(scheduleId: string, slot: number): Promise<void> {
    const file = this.slotFile(scheduleId, slot);
    const held = await readClaim(file);
    if (held?.claim && sameProcess(held.claim.owner, currentProcess())) await removeOwn(file, held.claim.nonce);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /**
   * Keeps the newest claims of a schedule, those `keep` names, and those too young to judge (CLAIM_SETTLE_MS,
   * UNRUN_CLAIM_MS); the disk does not fill with one file per slot forever. The claims are read before
   * `keep` is asked: a claim that already noted its run then has its run among those `keep` names, if it
   * has not ended.
   */
  private async pruneSlots(scheduleId: string, keep?: () => Promise<readonly number[]>): Promise<void> {
    const dir = join(this.slotsDir, scheduleId);
    const slots = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d+$/.test(f)).map(Number);
    if (slots.length <= 2 * KEEP_SLOTS) return;
    const now = this.now();
    const last = this.pruned.get(scheduleId);
    if (last && slots.length <= 2 * last.left && now - last.at < CLAIM_SETTLE_MS) return;
    slots.sort((a, b) => b - a);
    const settled = (
      await Promise.all(
        slots.slice(KEEP_SLOTS).map(async (slot) => {
          const held = await readClaim<SlotData>(join(dir, String(slot))).catch(() => undefined);
          return held && claimSettled(held, now) ? [slot] : [];
        }),
      )
    ).flat();
    const kept = new Set(keep ? await keep() : []);
    const gone = settled.filter((s) => !kept.has(s));
    await Promise.all(gone.map((s) => rm(join(dir, String(s)), { force: true })));
    this.pruned.set(scheduleId, { at: now, left: slots.length - gone.length });
  }
}

/** A write of a slot's claim that failed (a full disk) names the file and why, as the store's other writes do. */
function writing<T>(path: string, write: Promise<T>): Promise<T> {
  return write.catch((e: unknown) => Promise.reject(StoreWriteError.from(e, path)));
}

/** What a slot's claim holds: when it was claimed, and the run made for it once there is one. */
interface SlotData {
  at: number;
  runId?: string;
}

/** Whether a claim is old enough to be pruned, when no run of it waits: CLAIM_SETTLE_MS, UNRUN_CLAIM_MS without a run noted. */
function claimSettled(held: HeldClaim<SlotData>, now: number): boolean {
  if (!held.claim) return held.ageMs >= CLAIM_SETTLE_MS;
  const { at, runId } = held.claim.data ?? {};
  if (typeof at !== 'number') return true;
  return now - at >= (typeof runId === 'string' ? CLAIM_SETTLE_MS : UNRUN_CLAIM_MS);
}

/** A record of the log, or undefined when the line is not one this version understands. */
function asScheduleRecord(line: string): ScheduleRecord | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || typeof v.id !== 'string' || !SCHEDULE_ID.test(v.id)) return undefined;
  switch (v.k) {
    case 'add': {
      if (typeof v.flowName !== 'string' || typeof v.source !== 'string' || typeof v.created !== 'number') return undefined;
      try {
        return { k: 'add', id: v.id, flowName: v.flowName, source: v.source, created: v.created, schedule: checkSchedule(v.schedule, v.flowName) };
      } catch {
        return undefined;
      }
    }
    case 'rm':
    case 'pause':
      return { k: v.k, id: v.id };
    case 'resume':
      return typeof v.at === 'number' && Number.isFinite(v.at) ? { k: 'resume', id: v.id, at: v.at } : { k: 'resume', id: v.id };
    case 'seen':
      if (typeof v.at !== 'number') return undefined;
      return typeof v.zone === 'string' && isTimezone(v.zone) ? { k: 'seen', id: v.id, at: v.at, zone: v.zone } : { k: 'seen', id: v.id, at: v.at };
    default:
      return undefined;
  }
}
