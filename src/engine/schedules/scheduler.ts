/**
 * Runs schedules. Each slot's run is created in state Scheduled shortly before it is due, its flow is
 * loaded in a worker a few seconds ahead (so it starts on time however long loading takes), and it
 * starts when due, by whichever process sharing the store claimed the slot first (the store's slot claim),
 * so each slot runs once however many editor windows and `flowdeck serve` processes run schedules. A
 * process that lost the claim looks again once the slot is due: a claimant that died before creating its
 * run, or before starting it, gave the slot up (on any machine: the store judges who died), and the slot
 * is taken over. A process that stops gives back the slots it claimed and has not started.
 *
 * Time comes from an injected clock and every decision is made in `tick()`, so tests compute DST
 * changes, catchup and overlap by moving the clock instead of waiting.
 */
import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../clock';
import type { FlowRunSummary } from '../records';
import type { ActiveRun } from '../runner';
import type { RunStore } from '../runStore';
import { isTerminal, state, type StateName, type StateType } from '../states';
import { EndedBeforeStart } from '../endedBeforeStart';
import { needsZone, storedEntry, zonedEntry, type ScheduleEntry } from './scheduleEntries';
import { describeSchedule, machineTimezone, maskedIfSecret, secretParametersRefusal } from './scheduleSpec';
import type { SecretMasker } from '../secrets';
import { SlotTimes } from './slotTimes';
import { mergedTags, tagsField } from '../runTags';

export interface SlotStart {
  /** Aborts the start while the worker waits for the slot (the slot was given back). */
  signal: AbortSignal;
  /** Resolves when the loaded flow may start (its slot is due); rejects when it must not (overlap). */
  until: () => Promise<void>;
  /** Told when every run slot of the host is taken (FlowRunner's maxConcurrentRuns): the run waits for one before loading. */
  onSlotWait: (running: number) => void;
}

export interface SchedulerHost {
  /** Starts the run created ahead of time for a slot: FlowRunner.start with its runId, signal and until. */
  start(entry: ScheduleEntry, runId: string, options: SlotStart): Promise<ActiveRun>;
  /** Whether this host runs the schedule (an editor window runs its own workspace's, when trusted). */
  accepts?(entry: ScheduleEntry): boolean;
  /** What the scheduler did or could not do: skipped, missed and late slots, errors. */
  log(level: 'INFO' | 'WARNING' | 'ERROR', message: string): void;
  /** Runs of hosts that died were marked Crashed (the host resumes those that ask for it). */
  onCrashed?(ids: string[]): void;
  /**
   * The secrets this host knows (its environment's, stored or connected accounts' credentials). A schedule
   * whose parameters hold one is not run: each slot's run would keep the secret in the store.
   */
  secrets?(): SecretMasker | Promise<SecretMasker>;
}

export interface SchedulerOptions {
  clock?: Clock;
  /** How long before its slot a run is created, in state Scheduled. */
  leadMs?: number;
  /** How often the store is looked at for schedules added, paused or removed elsewhere, and for ended runs. */
  pollMs?: number;
  /** A slot started later than this is late: with `catchup: 'none'` it is not run. */
  onTimeMs?: number;
  /** How long before its slot the flow is loaded in a worker (at most: never before the slot before). */
  prewarmMs?: number;
  /** Keeps the process alive while schedules wait (`flowdeck serve`); an editor's timers do not. */
  keepAlive?: boolean;
  /**
   * The timezone recorded in the store for a cron declared in a flow file without one, when this scheduler
   * is the first to see it; every scheduler sharing the store then reads it in the recorded one (default:
   * this machine's, TZ).
   */
  timezone?: string;
}

export interface SchedulerEvents {
  /** A schedule's next slot (undefined: paused, or it never runs again). */
  planned: [ScheduleEntry, number | undefined];
  /** This process started a slot's run. */
  started: [ScheduleEntry, ActiveRun, number];
}

const LEAD_MS = 5 * 60_000;
const POLL_MS = 2_000;
const ON_TIME_MS = 60_000;
/**
 * A slot another process claimed is looked at again this long after it was due, and then as often while
 * its run waits there (overlap: queue, or for a run slot of that process): given back, it is taken up here.
 */
const RECHECK_MS = 3_000;
/** A start later than this says so in the run's log. */
const LATE_LOG_MS = 2_000;
/** Slots queued behind a run that still runs (overlap: queue); later ones are skipped. */
const MAX_QUEUED = 10;
const QUEUED_POLL_MS = 1_000;
const PREWARM_MS = 5_000;

const UNFINISHED: StateType[] = ['SCHEDULED', 'PENDING', 'RUNNING', 'CANCELLING', 'PAUSED'];

interface Pending {
  runId: string;
  /** When its flow is loaded, ahead of the slot. */
  warmAt: number;
  /** Handed to the host: loading, or waiting for its slot. */
  launch?: { abort: AbortController; settled: Promise<void> };
  /** Due, and waiting for an earlier run of its schedule to end (overlap: queue). */
  queued?: boolean;
  /** Handed to the host, and waiting for one of its run slots (every one taken) before loading. */
  waitsForRunSlot?: boolean;
  /** Loading its flow ahead of the slot failed: it is loaded again when the slot is due, once. */
  aheadFailed?: boolean;
}

/** Why a loaded slot's run did not start. */
class NotStarted extends Error {
  constructor(
    readonly verdict: 'skip' | 'queue' | 'released',
    message: string,
  ) {
    super(message);
  }
}

interface Watched {
  at: number;
  /** The run another process made for the slot, seen waiting at the last look (overlap: queue, or for a run slot of that process). */
  runId?: string;
}

interface Tracked {
  entry: ScheduleEntry;
  /** What the schedule says: a change lets go of what was prepared for the old one. */
  key: string;
  slots: SlotTimes;
  /** Slots up to here have been dealt with. */
  cursor: number;
  /** The next slot after the last look; a slot came due once it has passed. */
  next?: number;
  paused: boolean;
  /** Slots whose run this process created and has not started. */
  pending: Map<number, Pending>;
  /** Slots another process claimed, looked at again once due: when to look next, and the run seen waiting there. */
  watching: Map<number, Watched>;
  /** Its last look failed (the store unreachable): not looked at again before this, whatever is due. */
  retryAt?: number;
  /** When letGoOfLeftBehind last looked at its flow's Crashed runs; not yet since this scheduler began tracking it. */
  sweptAt?: number;
}

export class Scheduler extends EventEmitter<SchedulerEvents> {
  private readonly clock: Clock;
  private readonly leadMs: number;
  private readonly pollMs: number;
  private readonly onTimeMs: number;
  private readonly prewarmMs: number;
  private declared: ScheduleEntry[] = [];
  private readonly tracked = new Map<string, Tracked>();
  private ticking?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = true;
  /** The last look failed as a whole (the store unreachable): the next is not before this. */
  private retryAt = 0;
  /** Schedules not run for a secret in their parameters, by id: what each said (logged once, again when it changes). */
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly store: RunStore,
    private readonly host: SchedulerHost,
    private readonly options: SchedulerOptions = {},
  ) {
    super();
    this.clock = options.clock ?? systemClock;
    this.leadMs = options.leadMs ?? LEAD_MS;
    this.pollMs = options.pollMs ?? POLL_MS;
    this.onTimeMs = options.onTimeMs ?? ON_TIME_MS;
    this.prewarmMs = options.prewarmMs ?? PREWARM_MS;
  }

  /** The schedules declared in flow files (from discovery); the store's are read on each tick. */
  setDeclared(entries: readonly ScheduleEntry[]): void {
    this.declared = [...entries];
    if (!this.stopped) this.wake(0);
  }

  /** Ticks whenever something is due, until stop(). */
  start(): void {
    this.stopped = false;
    this.wake(0);
  }

  /** Stops, and gives back the slots this process claimed and has not started (another process may run them). */
  async stop(reason = 'its scheduler stopped before the slot was due'): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    // Every slot handed over and not started is stopped at once, before any is given back one by one.
    for (const t of this.tracked.values()) for (const p of t.pending.values()) p.launch?.abort.abort();
    for (const t of this.tracked.values()) await this.letGo(t, reason);
    this.tracked.clear();
  }

  /** One look: what came due, what is due soon, what changed. Public for tests, which move the clock. */
  tick(): Promise<void> {
    this.ticking ??= this.pass().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private wake(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.tick()
        .then(
          () => (this.retryAt = 0),
          (e: Error) => {
            // Looked at again after a poll: a slot due meanwhile would have it look again at once, over and over.
            this.retryAt = this.clock.now() + this.pollMs;
            this.host.log('ERROR', `Scheduler: ${e.message}`);
          },
        )
        .finally(() => {
          if (!this.stopped) this.wake(this.nextDelay());
        });
    }, delayMs);
    if (!this.options.keepAlive) this.timer.unref();
  }

  /** Until the next thing to do, or the next look at the store. */
  private nextDelay(): number {
    const now = this.clock.now();
    let wake = now + this.pollMs;
    for (const t of this.tracked.values()) {
      if (t.paused) continue;
      let at = Infinity;
      if (t.next !== undefined) at = Math.min(at, t.pending.has(t.next) || t.watching.has(t.next) ? t.next : t.next - this.leadMs);
      for (const p of t.pending.values()) if (!p.launch) at = Math.min(at, p.queued ? now + QUEUED_POLL_MS : p.warmAt);
      for (const w of t.watching.values()) at = Math.min(at, w.at);
      wake = Math.min(wake, Math.max(at, t.retryAt ?? -Infinity));
    }
    return Math.max(10, wake - now, this.retryAt - now);
  }

  private async pass(): Promise<void> {
    const now = this.clock.now();
    await this.store.refresh();
    if (this.store.hasUnfinishedRuns()) await this.settleCrashed();
    let state = await this.store.schedules.read();
    const listed = [...this.declared, ...state.added.map(storedEntry)].filter((e) => this.host.accepts?.(e) ?? true);
    // Recorded once for every process: when each schedule was first seen, and the timezone a declared cron
    // without one is read in (this scheduler's, if it is the first to record one).
    const zone = this.options.timezone ?? machineTimezone();
    const unseen = listed.filter((e) => !state.firstSeen.has(e.id) || (zone !== undefined && needsZone(e, state.zones))).map((e) => e.id);
    if (unseen.length > 0) {
      await this.store.schedules.markSeen(unseen, now, zone);
      state = await this.store.schedules.read();
    }
    const zones = state.zones;
    const entries = await this.withoutSecrets(listed.map((e) => zonedEntry(e, zones, zone)));
    const ids = new Set(entries.map((e) => e.id));
    for (const [id, t] of this.tracked) {
      if (ids.has(id)) continue;
      await this.letGo(t, this.refused.has(id) ? "its schedule's parameters hold a secret" : 'its schedule was removed');
      this.tracked.delete(id);
      this.emit('planned', t.entry, undefined);
    }
    for (const entry of entries) {
      const key = JSON.stringify([entry.flowName, entry.source, entry.schedule]);
      let t = this.tracked.get(entry.id);
      // Its times edited while it is served (its flow file saved): the new times start now — a slot of
      // theirs that passed before was never the schedule's, nor missed, and is not run at once.
      let retimed = false;
      if (t && t.key !== key) {
        retimed = timesKey(t.entry) !== timesKey(entry);
        await this.letGo(t, 'its schedule changed');
        t = undefined;
      }
      if (!t) {
        const since = Math.max(state.firstSeen.get(entry.id) ?? now, entry.created ?? 0);
        // catchup 'latest': the latest slot since the schedule was first seen may still run; 'none': only slots to come.
        t = { entry, key, slots: new SlotTimes(entry.schedule), cursor: entry.schedule.catchup === 'none' || retimed ? now : since - 1, paused: false, pending: new Map(), watching: new Map() };
        this.tracked.set(entry.id, t);
      }
      t.entry = entry;
      if (state.paused.has(entry.id)) {
        if (!t.paused) {
          t.paused = true;
          t.next = undefined;
          await this.letGo(t, 'its schedule was paused');
          this.emit('planned', entry, undefined);
        }
        continue;
      }
      if (t.paused) {
        // Slots that passed while paused are not caught up.
        t.paused = false;
        t.cursor = now;
      }
      try {
        await this.process(t, now);
        t.retryAt = undefined;
      } catch (e) {
        t.retryAt = now + this.pollMs;
        this.host.log('ERROR', `Schedule ${entry.id} of flow '${entry.flowName}': ${(e as Error).message}`);
      }
    }
  }

  /**
   * The schedules whose parameters hold no secret the host knows. One that holds a secret (declared in a
   * flow file: `schedule add` refuses them) is not run — each slot's run would keep the secret in its
   * parameters, in the store — and, as a flow file that cannot be read, said once in the log, not at every
   * slot: what was prepared for it is let go as for a removed schedule.
   */
  private async withoutSecrets(entries: ScheduleEntry[]): Promise<ScheduleEntry[]> {
    const masker = entries.some((e) => e.schedule.parameters !== undefined) ? await this.host.secrets?.() : undefined;
    const kept: ScheduleEntry[] = [];
    const refused = new Set<string>();
    for (const entry of entries) {
      const masked = masker && entry.schedule.parameters ? maskedIfSecret(entry.schedule.parameters, (text) => masker.mask(text)) : undefined;
      if (masked === undefined) {
        kept.push(entry);
        continue;
      }
      refused.add(entry.id);
      const where = entry.location ? ` (${entry.location.file}:${entry.location.line})` : '';
      const message = `${label(entry)}${where} not run: ${secretParametersRefusal(masked)}`;
      if (this.refused.get(entry.id) === message) continue;
      this.refused.set(entry.id, message);
      this.host.log('ERROR', message);
    }
    for (const id of this.refused.keys()) if (!refused.has(id)) this.refused.delete(id);
    return kept;
  }

  private async process(t: Tracked, now: number): Promise<void> {
    if (t.next === undefined || t.next <= now) {
      await this.due(t, now);
      const next = t.slots.next(now);
      if (next !== t.next) this.emit('planned', t.entry, next);
      t.next = next;
    }
    // The schedule's runs not ended, asked of the store once in this look however many slots wait (again
    // after this process makes a run).
    let listed: Promise<FlowRunSummary[]> | undefined;
    const unfinished = (): Promise<FlowRunSummary[]> => (listed ??= this.unfinishedRuns(t.entry));
    for (const [slot, w] of [...t.watching]) {
      if (now < w.at) continue;
      t.watching.delete(slot);
      if (!this.mayStillRun(t, slot, now)) continue;
      if (w.runId !== undefined && !(await this.mayBeGivenBack(w.runId, unfinished))) continue;
      if (await this.prepare(t, slot, now, unfinished)) {
        listed = undefined;
        continue;
      }
      // Still another's: looked at again while its run waits there (it may be given back, its process stopping).
      const run = (await unfinished()).find((r) => r.trigger?.kind === 'schedule' && r.trigger.slot === slot);
      if (run && waits(run)) t.watching.set(slot, { at: now + RECHECK_MS, runId: run.id });
    }
    const next = t.next;
    if (next !== undefined && next - now <= this.leadMs && !t.pending.has(next) && !t.watching.has(next)) {
      if (await this.prepare(t, next, now, unfinished)) listed = undefined;
      else this.watch(t, next);
    }
    // Load the flows of slots due soon; queued ones once their turn has come (no worker is loaded to find it
    // has not; `atSlot` decides again with what the store has then).
    for (const [slot, p] of [...t.pending].sort((a, b) => a[0] - b[0])) {
      if (p.launch || !(p.queued || now >= p.warmAt)) continue;
      if (p.queued && earlierRuns(t.entry.schedule.overlap, slot, await unfinished()).blocking) continue;
      this.launch(t, slot, p);
    }
  }

  /** A slot came due since the last look: let go of prepared slots overtaken meanwhile, and take the latest slot if nobody prepared it. */
  private async due(t: Tracked, now: number): Promise<void> {
    const latest = t.slots.latest(now);
    let unfinished: FlowRunSummary[] | undefined;
    for (const [slot, p] of [...t.pending].sort((a, b) => a[0] - b[0])) {
      // Handed to the host, it is past deciding here — unless it still waits for a run slot of the host.
      if (slot > now || p.queued || (p.launch && !p.waitsForRunSlot)) continue;
      const overtaken = latest !== undefined && slot < latest;
      const late = now - slot > this.onTimeMs && t.entry.schedule.catchup === 'none';
      let why: string | undefined;
      if (overtaken && !late && t.entry.schedule.overlap === 'queue' && p.waitsForRunSlot) {
        // overlap 'queue' keeps a slot waiting for a run slot of the host as it keeps one waiting for the run
        // before it: it runs in its turn — unless as many slots as the queue holds wait before it already.
        if (earlierRuns('queue', slot, (unfinished ??= await this.unfinishedRuns(t.entry))).waiting < MAX_QUEUED) continue;
        why = `skipped: ${MAX_QUEUED} slots already wait before it (overlap: 'queue')`;
      } else
        why = overtaken
          ? `not run: a later slot (${iso(latest)}) came due before it could start${p.waitsForRunSlot ? ' (it waited for a free run slot)' : ''}`
          : late
            ? `not run: ${seconds(now - slot)} late, and the schedule does not catch up (catchup: 'none')`
            : undefined;
      if (why === undefined) continue;
      if (p.launch) {
        // Its start given up: a run slot that comes free goes to the next run waiting.
        p.launch.abort.abort();
        await p.launch.settled;
        if (!t.pending.has(slot)) continue;
      }
      await this.discard(t, slot, p, why);
    }
    await this.letGoOfLeftBehind(t, now);
    if (latest === undefined || latest <= t.cursor) return;
    t.cursor = latest;
    if (t.pending.has(latest) || t.watching.has(latest)) return;
    if (now - latest > this.onTimeMs && t.entry.schedule.catchup === 'none') {
      this.host.log('INFO', `${label(t.entry)}: slot ${iso(latest)} was missed (catchup: 'none')`);
      return;
    }
    if (!(await this.prepare(t, latest, now, () => this.unfinishedRuns(t.entry)))) this.watch(t, latest);
  }

  /**
   * Runs a process prepared and never started, left Crashed when it died (killed `serve`, a closed window),
   * of slots that can no longer run anywhere (overtaken, or missed by a schedule that does not catch up):
   * no process takes such a slot over, so they go as this process's own overtaken runs go (`discard`),
   * rather than stand as crashes that `inspect` offers to resume. The latest slot's is taken over (`prepare`).
   * Looked for at the schedule's first due slot here (this scheduler's start), then at most every
   * LEFT_BEHIND_EVERY_MS: a dead process's are let go within that.
   */
  private async letGoOfLeftBehind(t: Tracked, now: number): Promise<void> {
    const { entry } = t;
    if (t.sweptAt !== undefined && now - t.sweptAt < LEFT_BEHIND_EVERY_MS) return;
    // The newest few: a dead process leaves at most the slots it prepared ahead (a flow's whole crashed
    // history, read each second of a per-second cron, was most of a serve's work).
    const crashed = await this.store.list({ flowNames: [entry.flowName], stateTypes: ['CRASHED'], rootsOnly: true, limit: LEFT_BEHIND_LOOK });
    t.sweptAt = now;
    for (const run of crashed) {
      if (run.trigger?.kind !== 'schedule' || run.trigger.id !== entry.id || run.startTime !== undefined) continue;
      const slot = run.trigger.slot;
      if (t.pending.has(slot) || this.mayStillRun(t, slot, now)) continue;
      const after = t.slots.next(slot);
      const why =
        after !== undefined && after <= now
          ? `not run: a later slot (${iso(t.slots.latest(now) ?? after)}) came due before it could start (the process that prepared it ended)`
          : `not run: ${seconds(now - slot)} late, and the schedule does not catch up (catchup: 'none'; the process that prepared it ended)`;
      try {
        // Another process may have let it go first: said once, by whoever deleted it.
        if ((await this.store.delete([run.id])).length === 0) continue;
      } catch (e) {
        this.host.log('ERROR', `${label(entry)}: slot ${iso(slot)} ${why}; its prepared run ${run.id} could not be deleted: ${(e as Error).message}`);
        continue;
      }
      this.host.log('WARNING', `${label(entry)}: slot ${iso(slot)} ${why}`);
    }
  }

  /** A slot another process claimed: looked at once it is due, and after. */
  private watch(t: Tracked, slot: number): void {
    t.watching.set(slot, { at: slot + RECHECK_MS });
  }

  /**
   * Whether a slot whose run was seen waiting, another process's, may have been given back since: its run
   * still waits, or went without starting. A run that started (and maybe ended) is never followed by a claim:
   * the slot's claim, no longer kept for a waiting run, may have been pruned meanwhile (this process asleep),
   * and claimed again the slot would run twice.
   */
  private async mayBeGivenBack(runId: string, unfinished: () => Promise<FlowRunSummary[]>): Promise<boolean> {
    const run = (await unfinished()).find((r) => r.id === runId) ?? (await this.store.get(runId));
    return run === undefined || (run.startTime === undefined && (waits(run) || isTerminal(run.state.type)));
  }

  /**
   * Whether a due slot that another process held may still run here: the latest slot, on time unless the
   * schedule catches up — or, with overlap 'queue', any slot whose run waited at the last look, however
   * long ago it was due: slots queue behind a run as long as it runs (at most MAX_QUEUED of them wait, and
   * a slot is watched only while its run waits, so what is looked at stays bounded).
   */
  private mayStillRun(t: Tracked, slot: number, now: number): boolean {
    if (t.entry.schedule.overlap === 'queue') return true;
    const after = t.slots.next(slot);
    return !((after !== undefined && after <= now) || (now - slot > this.onTimeMs && t.entry.schedule.catchup === 'none'));
  }

  /**
   * Claims a slot and creates its run (Scheduled); false when another process has it. `unfinished` (the
   * schedule's runs not ended, in every process) names the slots whose claims the store keeps when it
   * prunes old ones: a queued slot waits as long as the runs before it run, far beyond the newest claims.
   */
  private async prepare(t: Tracked, slot: number, now: number, unfinished: () => Promise<FlowRunSummary[]>): Promise<boolean> {
    const { entry } = t;
    const keep = async (): Promise<number[]> => (await unfinished()).flatMap((r) => (r.trigger?.kind === 'schedule' ? [r.trigger.slot] : []));
    const claim = await this.store.schedules.claimSlot(entry.id, slot, { abandoned: (runId) => this.abandoned(entry, slot, runId), keep });
    if (!claim.claimed) return false;
    if (claim.tookOverFrom) {
      // Its claimant died before starting it: a run it may have created never ran, and goes.
      const old = await this.runOfSlot(entry, slot);
      if (old) await this.store.delete([old.id]);
      this.host.log('WARNING', `${label(entry)}: took over slot ${iso(slot)} from process ${claim.tookOverFrom.pid}, which ended before starting it`);
    }
    try {
      const handle = await this.store.createRun({
        flowName: entry.flowName,
        source: entry.source,
        parameters: entry.schedule.parameters ?? {},
        trigger: { kind: 'schedule', id: entry.id, slot },
        state: state('Scheduled', `Scheduled for ${iso(slot)}`, now),
        ...(entry.resumeOnCrash ? { resumeOnCrash: true } : {}),
        // The flow's (as its file lists them) and the schedule's own.
        ...tagsField(mergedTags(entry.tags, entry.schedule.tags)),
      });
      await handle.append([{ k: 'log', runId: handle.id, ts: now, level: 'INFO', source: 'flowdeck.scheduler', message: `Created flow run '${handle.name}' for flow '${entry.flowName}': slot ${iso(slot)} of schedule ${entry.id} (${describeSchedule(entry.schedule)})` }]);
      await handle.close();
      // Should this process die, whoever judges its claim knows the run was made (and, gone later, deleted).
      await this.store.schedules.markSlotRun(entry.id, slot, handle.id);
      // Loaded ahead, but never before the slot before it is due (one waiting worker per schedule).
      const before = t.slots.latest(slot - 1);
      t.pending.set(slot, { runId: handle.id, warmAt: Math.max(slot - this.prewarmMs, before ?? -Infinity) });
      return true;
    } catch (e) {
      await this.store.schedules.releaseSlot(entry.id, slot).catch(() => undefined);
      throw e;
    }
  }

  /**
   * A dead claimant left the slot: it never created the run, or the run never started. Whether the run's
   * owner is gone is the store's to judge, as only it can on every machine (a Postgres store by the
   * owner's lease, the embedded store by pid on this one): the runs it finds orphaned turn Crashed. A run
   * the claimant noted making (`madeRunId`) that is not there any more was deleted (`prune`, `delete`) — it
   * ran, or was dealt with: the slot is not run again.
   */
  private async abandoned(entry: ScheduleEntry, slot: number, madeRunId?: string): Promise<boolean> {
    await this.store.refresh();
    await this.settleCrashed();
    const run = await this.runOfSlot(entry, slot);
    if (!run) return madeRunId === undefined;
    return run.startTime === undefined && run.state.type === 'CRASHED';
  }

  /** Marks runs of processes that are gone Crashed; the host resumes those that ask for it. */
  private async settleCrashed(): Promise<void> {
    const crashed = await this.store.markCrashed();
    if (crashed.length > 0) this.host.onCrashed?.(crashed);
  }

  /** The runs of the schedule's slots not ended yet, in every process sharing the store. */
  private async unfinishedRuns(entry: ScheduleEntry): Promise<FlowRunSummary[]> {
    return (await this.store.list({ flowNames: [entry.flowName], stateTypes: UNFINISHED, rootsOnly: true })).filter((r) => r.trigger?.kind === 'schedule' && r.trigger.id === entry.id);
  }

  private async runOfSlot(entry: ScheduleEntry, slot: number): Promise<FlowRunSummary | undefined> {
    return (await this.store.list({ flowNames: [entry.flowName], rootsOnly: true })).find((r) => r.trigger?.kind === 'schedule' && r.trigger.id === entry.id && r.trigger.slot === slot);
  }

  /**
   * Hands a prepared slot's run to the host, which loads its flow now and starts it once `atSlot`
   * resolves (not awaited: loading takes a while, and the scheduler goes on meanwhile).
   */
  private launch(t: Tracked, slot: number, p: Pending): void {
    const { entry } = t;
    const abort = new AbortController();
    const onSlotWait = (running: number): void => {
      p.waitsForRunSlot = true;
      this.host.log('INFO', `${label(entry)}: slot ${iso(slot)} waits for a free run slot (${running} run${running === 1 ? '' : 's'} going, the most this process runs at once)`);
    };
    const until = (): Promise<void> => {
      p.waitsForRunSlot = false;
      return this.atSlot(t, slot, p, abort.signal);
    };
    const settled = this.host.start(entry, p.runId, { signal: abort.signal, until, onSlotWait }).then(
      (active) => {
        t.pending.delete(slot);
        this.emit('started', entry, active, slot);
      },
      async (e: Error) => {
        p.launch = undefined;
        // Given back while loading or waiting for its slot: letGo deals with the run.
        if (abort.signal.aborted) return;
        if (e instanceof NotStarted && e.verdict === 'queue') {
          if (!p.queued) this.host.log('INFO', `${label(entry)}: slot ${iso(slot)} ${e.message}`);
          p.queued = true;
          return;
        }
        if (e instanceof NotStarted) {
          await this.discard(t, slot, p, e.message);
          return;
        }
        if (e instanceof EndedBeforeStart) {
          // Cancelled while it waited for its slot: it stays as it ended, and the slot stays used.
          t.pending.delete(slot);
          this.host.log('INFO', `${label(entry)}: slot ${iso(slot)} not run: ${e.message}`);
          return;
        }
        if (!p.aheadFailed && this.clock.now() < slot) {
          // Its flow file may be back by then: one being saved, or a branch being checked out.
          p.aheadFailed = true;
          p.warmAt = slot;
          this.host.log('WARNING', `${label(entry)}: could not load the flow of slot ${iso(slot)} ahead of it (${e.message}); trying again when the slot is due`);
          await this.note(p.runId, 'WARNING', `Could not load the flow ahead of its slot (${e.message}); trying again when the slot is due`).catch(() => undefined);
          if (!this.stopped) this.wake(this.nextDelay());
          return;
        }
        t.pending.delete(slot);
        this.host.log('ERROR', `${label(entry)}: could not start the run of slot ${iso(slot)}: ${e.message}`);
        await this.endRun(p.runId, 'Failed', `Could not start: ${e.message}`).catch(() => undefined);
      },
    );
    p.launch = { abort, settled };
  }

  /**
   * Called by the host once the flow is loaded: waits for the slot, then decides. An earlier run of the
   * schedule that has started and not ended makes this slot skip (overlap: skip); any earlier run not
   * ended makes it wait its turn (queue). A Suspended run is not one that runs.
   */
  private async atSlot(t: Tracked, slot: number, p: Pending, signal: AbortSignal): Promise<void> {
    await delay(slot - this.clock.now(), signal);
    if (signal.aborted) throw new NotStarted('released', 'given back');
    const { entry } = t;
    const overlap = entry.schedule.overlap ?? 'skip';
    // Overtaken while its flow loaded (a missed slot caught up, a slow load): the later slot runs instead,
    // as one overtaken before it was handed over never runs (`due`). Queued slots keep their turn.
    const latest = t.slots.latest(this.clock.now());
    if (overlap !== 'queue' && !p.queued && latest !== undefined && latest > slot) {
      throw new NotStarted('skip', `not run: a later slot (${iso(latest)}) came due before it could start`);
    }
    // Due long ago when its worker got here (the machine slept past the slot, or loading took that long): a
    // schedule that does not catch up does not run it, as it runs no slot it missed (`due`). Queued slots keep their turn.
    const late = this.clock.now() - slot;
    if (entry.schedule.catchup === 'none' && !p.queued && late > this.onTimeMs) {
      throw new NotStarted('skip', `not run: ${seconds(late)} late, and the schedule does not catch up (catchup: 'none')`);
    }
    // Paused or removed since the last look (`flowdeck schedule pause` said so already): not started.
    const schedules = await this.store.schedules.read();
    if (schedules.paused.has(entry.id)) throw new NotStarted('skip', 'not run: its schedule was paused');
    if (entry.origin === 'store' && !schedules.added.some((s) => s.id === entry.id)) throw new NotStarted('skip', 'not run: its schedule was removed');
    if (overlap !== 'allow') {
      const { blocking, waiting } = earlierRuns(overlap, slot, await this.unfinishedRuns(entry));
      if (blocking) {
        const why = `flow run '${blocking.name}' of slot ${iso((blocking.trigger as { slot: number }).slot)} is still ${blocking.state.name}`;
        if (overlap === 'skip') throw new NotStarted('skip', `skipped: ${why} (overlap: 'skip')`);
        if (waiting >= MAX_QUEUED) throw new NotStarted('skip', `skipped: ${MAX_QUEUED} slots already wait for ${why} (overlap: 'queue')`);
        throw new NotStarted('queue', `waits until ${why} (overlap: 'queue')`);
      }
    }
    // Given back while the store was asked (this process stopping): not started after all.
    if (signal.aborted) throw new NotStarted('released', 'given back');
    t.cursor = Math.max(t.cursor, slot);
    const startedLate = this.clock.now() - slot;
    if (startedLate > LATE_LOG_MS) await this.note(p.runId, 'WARNING', `Started ${seconds(startedLate)} after its slot ${iso(slot)}${p.queued ? ', when the run before it had ended (overlap: queue)' : ''}`);
  }


  /**
   * A prepared slot's run that will not run: it goes, and the host logs why; `release` lets another process
   * claim the slot. Never throws: a run that could not be deleted is said on the slot's line.
   */
  private async discard(t: Tracked, slot: number, p: Pending, reason: string, release = false): Promise<void> {
    t.pending.delete(slot);
    let left = '';
    try {
      // Given back before its run goes: another process watching the slot finds its run waiting until it can
      // claim the slot (it stops watching a slot whose run has gone or started).
      if (release) await this.store.schedules.releaseSlot(t.entry.id, slot).catch(() => undefined);
      await this.endRun(p.runId, 'Cancelled', reason);
      await this.store.delete([p.runId]);
    } catch (e) {
      left = `; its prepared run ${p.runId} could not be deleted: ${(e as Error).message}`;
    }
    // Logged once the run has gone: whoever reads the line and then lists the runs does not find it.
    this.host.log(left ? 'ERROR' : release ? 'INFO' : 'WARNING', `${label(t.entry)}: slot ${iso(slot)} ${reason}${left}`);
  }

  /** Gives back everything prepared for a schedule (paused, removed, changed, or this process stops). */
  private async letGo(t: Tracked, reason: string): Promise<void> {
    for (const [slot, p] of [...t.pending]) {
      if (p.launch) {
        // Loaded and waiting for its slot: the worker goes. A run that started meanwhile is no longer ours to give back.
        p.launch.abort.abort();
        await p.launch.settled;
        if (!t.pending.has(slot)) continue;
      }
      await this.discard(t, slot, p, `given back: ${reason}`, true);
    }
    t.watching.clear();
  }

  private async endRun(runId: string, name: StateName, message: string): Promise<void> {
    const handle = await this.store.openRun(runId);
    try {
      const s = state(name, message);
      await handle.append([{ k: 'state', runId, name: s.name, ts: s.timestamp, message }]);
      await handle.setState(s, isTerminal(s.type) ? { endTime: s.timestamp } : {});
    } finally {
      await handle.close();
    }
  }

  private async note(runId: string, level: 'INFO' | 'WARNING', message: string): Promise<void> {
    const handle = await this.store.openRun(runId);
    try {
      await handle.append([{ k: 'log', runId, ts: Date.now(), level, source: 'flowdeck.scheduler', message }]);
    } finally {
      await handle.close();
    }
  }
}

/** Waits `ms` of real time (the clock may be a test's), or until aborted. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** How many of a flow's newest Crashed runs letGoOfLeftBehind looks at for never-started slot runs. */
const LEFT_BEHIND_LOOK = 50;
/**
 * How often, at most, letGoOfLeftBehind looks for a schedule: asked at every due slot, a per-second cron
 * listed its flow's Crashed runs every second, for runs that a process leaves only when it dies.
 */
const LEFT_BEHIND_EVERY_MS = 60_000;

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

/** When a schedule's slots are: its cron and timezone, or its interval. */
function timesKey(entry: ScheduleEntry): string {
  const { cron, timezone, intervalSeconds } = entry.schedule;
  return JSON.stringify([cron, timezone, intervalSeconds]);
}

function label(entry: ScheduleEntry): string {
  return `Schedule ${entry.id} of flow '${entry.flowName}'`;
}

/** A slot's run made ahead that has not started: waiting for its slot, or for its turn (overlap: queue). */
function waits(r: FlowRunSummary): boolean {
  return r.state.type === 'SCHEDULED' && r.startTime === undefined;
}

/**
 * The run of an earlier slot of the schedule that keeps this slot from starting (overlap 'skip': one that
 * started and has not ended; 'queue': any not ended), and how many earlier slots' runs wait, not started —
 * in every process sharing the store. A Suspended run (suspendFlowRun) holds nothing while it waits for
 * input, maybe for days: it does not hold its schedule either (a Paused one, its process going, does).
 */
function earlierRuns(overlap: ScheduleEntry['schedule']['overlap'], slot: number, unfinished: FlowRunSummary[]): { blocking?: FlowRunSummary; waiting: number } {
  const earlier = unfinished.filter((r) => r.trigger?.kind === 'schedule' && r.trigger.slot < slot && r.state.name !== 'Suspended');
  const notStarted = (r: FlowRunSummary): boolean => r.state.name === 'Scheduled' && r.startTime === undefined;
  const blocking = overlap === 'queue' ? earlier[0] : earlier.find((r) => !notStarted(r));
  return { ...(blocking ? { blocking } : {}), waiting: earlier.filter(notStarted).length };
}
