/**
 * The scheduler with an injected clock: slots, DST, catchup and overlap are computed by moving the clock
 * and calling tick(), while the runs themselves are real (worker processes, the store).
 */
import { after, describe, it, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { PgStore } from '../../src/engine/postgres/pgStore';
import type { FlowRunSummary } from '../../src/engine/records';
import { scheduleViews, sourceOfEntry, type ScheduleEntry } from '../../src/engine/schedules/scheduleEntries';
import { Scheduler } from '../../src/engine/schedules/scheduler';
import { secretParametersRefusal, type Schedule } from '../../src/engine/schedules/scheduleSpec';
import { FlowRunner } from '../../src/engine/runner';
import { SecretMasker } from '../../src/engine/secrets';
import { isTerminal, state } from '../../src/engine/states';
import { DIST, flowSource, inOwnProcess, logsOf, makeRunner, ROOT, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, leaseLapsed, pgUrl } from '../support/postgres';

const FLOWS = flowSource(`
import { existsSync } from 'node:fs';
export const quick = flow({ name: 'quick' }, async () => 'done');
export const gated = flow({ name: 'gated' }, async ({ gate }: { gate: string }) => {
  while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 25));
  return 'opened';
});
export const approval = flow({ name: 'approval' }, async ({ gate }: { gate: string }) => {
  if (!existsSync(gate)) await suspendFlowRun({ description: 'Approve?', timeoutSeconds: 86400 * 7 });
  return 'done';
});
`).replace("import { flow, task, getRunLogger, getRunContext } from 'flowdeck';", "import { flow, task, getRunLogger, getRunContext, suspendFlowRun } from 'flowdeck';");

const at = (s: string) => Date.parse(s);

async function setup(schedule: Schedule, flowName = 'quick', options: { seenAt?: number; maxConcurrentRuns?: number; timezone?: string; secrets?: string[] } = {}) {
  const home = tempDir();
  const dir = workspace({ 'sched.flow.ts': FLOWS });
  const { store, runner } = await makeRunner(home, options.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: options.maxConcurrentRuns } : {});
  const clock = { t: 0, now: () => clock.t };
  const logs: string[] = [];
  const entry: ScheduleEntry = { id: 'aaaaaaaaaa', flowName, source: join(dir, 'sched.flow.ts'), schedule, origin: 'code', tags: ['scheduled'] };
  const scheduler = new Scheduler(store, { start: (e, runId, o) => runner.start({ source: sourceOfEntry(e), flowName: e.flowName }, { runId, ...o }), log: (level, m) => logs.push(`${level} ${m}`), ...(options.secrets ? { secrets: () => new SecretMasker(options.secrets) } : {}) }, { clock, ...(options.timezone ? { timezone: options.timezone } : {}) });
  scheduler.setDeclared([entry]);
  if (options.seenAt !== undefined) await store.schedules.markSeen([entry.id], options.seenAt);
  const runsOf = async (): Promise<FlowRunSummary[]> => {
    await store.refresh();
    return (await store.list()).filter((r) => r.trigger?.kind === 'schedule').sort((a, b) => slotOf(a) - slotOf(b));
  };
  const finished = (id: string) => waitFor(async () => isTerminal((await store.get(id))?.state.type ?? 'PENDING'), `run ${id} to finish`, 60_000);
  /** Ticks at each time, letting the runs of slots due by then finish before the clock moves on (overlap: skip). */
  const tickAt = async (...times: string[]) => {
    for (const t of times) {
      clock.t = at(t);
      await scheduler.tick();
      for (const r of await runsOf()) if (slotOf(r) <= clock.t) await finished(r.id);
    }
  };
  return { home, dir, store, runner, clock, logs, entry, scheduler, runsOf, finished, tickAt };
}

function slotOf(r: FlowRunSummary): number {
  return r.trigger?.kind === 'schedule' ? r.trigger.slot : NaN;
}

test("a slot's run is created Scheduled ahead of its slot, starts when due, and says which schedule and slot made it", { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60, tags: ['every-minute'] });
  s.clock.t = at('2025-06-01T10:00:30Z');
  await s.scheduler.tick();
  let runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [r.state.name, new Date(slotOf(r)).toISOString()]), [['Scheduled', '2025-06-01T10:01:00.000Z']]);
  assert.deepEqual(runs[0]!.trigger, { kind: 'schedule', id: 'aaaaaaaaaa', slot: at('2025-06-01T10:01:00Z') });
  assert.deepEqual(runs[0]!.tags, ['scheduled', 'every-minute'], "the flow's tags, as its file lists them, and the schedule's");

  s.clock.t = at('2025-06-01T10:01:00.200Z');
  await s.scheduler.tick();
  await s.finished(runs[0]!.id);
  runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [r.state.name, new Date(slotOf(r)).toISOString()]), [
    ['Completed', '2025-06-01T10:01:00.000Z'],
    // The next slot's run is ready, Scheduled.
    ['Scheduled', '2025-06-01T10:02:00.000Z'],
  ]);
  const detail = (await s.store.readRun(runs[0]!.id))!;
  assert.deepEqual(detail.states.map((x) => x.name), ['Scheduled', 'Pending', 'Running', 'Completed']);
  assert.deepEqual(detail.tags, ['scheduled', 'every-minute']);
  assert.equal(detail.attempt, 1);
  const logs = (await logsOf(s.store, runs[0]!.id)).map((l) => l.message);
  assert.match(logs[0]!, /^Created flow run '.+' for flow 'quick': slot 2025-06-01T10:01:00.000Z of schedule aaaaaaaaaa \(every 1 min\)$/);
  await s.scheduler.stop();
  // Stopping gives back the prepared run of the next slot: it goes, and its slot can be claimed again.
  assert.deepEqual((await s.runsOf()).map((r) => r.state.name), ['Completed']);
  assert.equal((await s.store.schedules.claimSlot('aaaaaaaaaa', at('2025-06-01T10:02:00Z'))).claimed, true);
});

/**
 * A minutely schedule on a host of one run slot, which a run of another flow (`holder`, until `gate` exists)
 * holds (serve --limit 1): the 10:01 slot came to wait for a run slot, then the 10:02 slot came due and waits too.
 */
async function waitingForRunSlots(schedule: Schedule) {
  const s = await setup(schedule, 'quick', { maxConcurrentRuns: 1 });
  const gate = join(s.dir, 'gate');
  const holder = await s.runner.start({ source: { kind: 'file', path: s.entry.source }, flowName: 'gated', parameters: { gate } });
  s.clock.t = at('2025-06-01T10:00:58Z');
  await s.scheduler.tick();
  await waitFor(() => s.logs.some((l) => l.includes('slot 2025-06-01T10:01:00.000Z waits for a free run slot (1 run going')), 'the 10:01 slot to wait for a run slot');
  s.clock.t = at('2025-06-01T10:01:58Z');
  await s.scheduler.tick();
  s.clock.t = at('2025-06-01T10:02:00.100Z');
  await s.scheduler.tick();
  await waitFor(() => s.logs.some((l) => l.includes('slot 2025-06-01T10:02:00.000Z waits for a free run slot')), 'the 10:02 slot to wait for a run slot');
  return { s, gate, holder };
}

test("a slot's run waiting for one of the host's run slots is not run once the next slot came due: one waits at a time, and the latest runs when a slot frees", { timeout: 120_000 }, async () => {
  const { s, gate, holder } = await waitingForRunSlots({ intervalSeconds: 60 });
  // Overtaken while it waited: gone, saying why; the next one waits in its place (the one after is made ahead).
  let runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-01T10:02:00.000Z', 'Scheduled'], ['2025-06-01T10:03:00.000Z', 'Scheduled']]);
  assert.ok(s.logs.some((l) => /^WARNING Schedule aaaaaaaaaa .*slot 2025-06-01T10:01:00.000Z not run: a later slot \(2025-06-01T10:02:00.000Z\) came due before it could start \(it waited for a free run slot\)$/.test(l)), s.logs.join('\n'));
  writeFileSync(gate, '');
  assert.equal((await holder.done).state.name, 'Completed');
  await waitFor(async () => (await s.runsOf())[0]?.state.name === 'Completed', 'the 10:02 run to take the freed run slot and complete', 60_000);
  runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-01T10:02:00.000Z', 'Completed'], ['2025-06-01T10:03:00.000Z', 'Scheduled']]);
  await s.scheduler.stop();
});

test("overlap 'queue': a slot's run waiting for one of the host's run slots is kept when the next slot comes due, and both run in turn once a run slot frees", { timeout: 120_000 }, async () => {
  const { s, gate, holder } = await waitingForRunSlots({ intervalSeconds: 60, overlap: 'queue' });
  assert.ok(!s.logs.some((l) => l.includes('not run')), s.logs.join('\n'));
  writeFileSync(gate, '');
  assert.equal((await holder.done).state.name, 'Completed');
  await waitFor(async () => (await s.runsOf()).filter((r) => r.state.name === 'Completed').length === 2, 'both waiting slots to run, in turn', 60_000);
  const runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-01T10:01:00.000Z', 'Completed'], ['2025-06-01T10:02:00.000Z', 'Completed'], ['2025-06-01T10:03:00.000Z', 'Scheduled']]);
  assert.ok(runs[0]!.startTime! <= runs[1]!.startTime!, 'the earlier slot first');
  await s.scheduler.stop();
});

test("a schedule whose times are edited while it is served does not run, at once, a slot of its new times that passed before the edit", { timeout: 120_000 }, async () => {
  const s = await setup({ cron: '0 9 * * *', timezone: 'UTC' }, 'quick', { seenAt: at('2025-06-01T10:00:00Z') });
  await s.tickAt('2025-06-01T12:00:00Z');
  // Edited at 12:00:05 (the flow file saved, read again): daily at 11:00 instead — 11:00 today has passed.
  s.scheduler.setDeclared([{ ...s.entry, schedule: { cron: '0 11 * * *', timezone: 'UTC' } }]);
  await s.tickAt('2025-06-01T12:00:05Z', '2025-06-01T12:00:10Z');
  assert.deepEqual((await s.runsOf()).map((r) => new Date(slotOf(r)).toISOString()), [], s.logs.join('\n'));
  // Its new times to come run as ever.
  await s.tickAt('2025-06-02T10:57:00Z', '2025-06-02T11:00:00.100Z');
  const runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-02T11:00:00.000Z', 'Completed']]);
  await s.scheduler.stop();
});

test('timezone across a DST change: a daily 09:00 Europe/Madrid schedule runs at 08:00Z, then at 07:00Z', { timeout: 120_000 }, async () => {
  const s = await setup({ cron: '0 9 * * *', timezone: 'Europe/Madrid' });
  await s.tickAt('2025-03-29T07:57:00Z', '2025-03-29T08:00:00.100Z', '2025-03-30T06:57:00Z', '2025-03-30T07:00:00.100Z');
  const runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [
    ['2025-03-29T08:00:00.000Z', 'Completed'],
    ['2025-03-30T07:00:00.000Z', 'Completed'],
  ]);
  await s.scheduler.stop();
});

test("catchup 'latest': after days off, the most recent missed slot runs once, late, saying so; older ones never", { timeout: 120_000 }, async () => {
  const s = await setup({ cron: '0 9 * * *', timezone: 'UTC' }, 'quick', { seenAt: at('2025-06-01T00:00:00Z') });
  s.clock.t = at('2025-06-04T15:00:00Z');
  await s.scheduler.tick();
  const runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => new Date(slotOf(r)).toISOString()), ['2025-06-04T09:00:00.000Z']);
  await s.finished(runs[0]!.id);
  assert.ok((await logsOf(s.store, runs[0]!.id)).some((l) => l.level === 'WARNING' && l.message === 'Started 360 min after its slot 2025-06-04T09:00:00.000Z'));
  // Another scheduler on the same store (another window) finds the slot taken.
  const other = new Scheduler(s.store, { start: () => Promise.reject(new Error('must not start')), log: () => undefined }, { clock: s.clock });
  other.setDeclared([s.entry]);
  await other.tick();
  assert.equal((await s.runsOf()).length, 1);
  await other.stop();
  await s.scheduler.stop();
});

test("a missed slot caught up whose flow still loads when the next slot comes due is not run: the later slot runs, alone (overlap: 'skip' holds)", { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 }, 'slow-load', { seenAt: at('2025-06-01T09:00:00Z') });
  const gate = join(s.dir, 'loaded');
  const file = join(s.dir, 'slow.flow.ts');
  // Importing this file takes until the test opens the gate (a big dependency, a busy machine).
  writeFileSync(
    file,
    flowSource(`
import { existsSync } from 'node:fs';
const pause = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < 3000 && !existsSync(${JSON.stringify(gate)}); i++) Atomics.wait(pause, 0, 0, 20);
export default flow({ name: 'slow-load' }, async () => 'done');
`),
  );
  s.scheduler.setDeclared([{ ...s.entry, source: file }]);
  // The 10:00 slot was missed: caught up at 10:00:58, while the 10:01 one is made ahead; both flows load.
  s.clock.t = at('2025-06-01T10:00:58Z');
  await s.scheduler.tick();
  assert.deepEqual((await s.runsOf()).map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-01T10:00:00.000Z', 'Scheduled'], ['2025-06-01T10:01:00.000Z', 'Scheduled']]);
  // 10:01 comes due before either has loaded.
  s.clock.t = at('2025-06-01T10:01:00.100Z');
  await s.scheduler.tick();
  writeFileSync(gate, '');
  // Settled: every run of those slots ended, and one not run gone (it ends Cancelled, then is deleted).
  const settled = async (): Promise<boolean> => (await s.runsOf()).filter((r) => slotOf(r) <= at('2025-06-01T10:01:00Z')).every((r) => isTerminal(r.state.type) && r.state.name !== 'Cancelled');
  await waitFor(settled, 'the runs of 10:00 and 10:01 to settle', 60_000);
  const runs = (await s.runsOf()).filter((r) => slotOf(r) <= at('2025-06-01T10:01:00Z'));
  assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-01T10:01:00.000Z', 'Completed']], s.logs.join('\n'));
  // The slot's line is logged once its run has gone (Scheduler.discard): it may follow the runs read just now.
  await waitFor(() => s.logs.some((l) => /^WARNING Schedule aaaaaaaaaa .*slot 2025-06-01T10:00:00\.000Z not run: a later slot \(2025-06-01T10:01:00\.000Z\) came due before it could start$/.test(l)), "the 10:00 slot's line", 10_000);
  await s.scheduler.stop();
});

test('a cron declared without a timezone is read in the timezone of the first scheduler to see it, by every scheduler on the store: serves in two timezones run each slot once', { timeout: 120_000 }, async () => {
  // Tokyo's 09:00 is 00:00Z; Denver's (summer) 15:00Z. The Tokyo serve sees the schedule first.
  const s = await setup({ cron: '0 9 * * *' }, 'quick', { timezone: 'Asia/Tokyo' });
  const denver = new Scheduler(s.store, { start: (e, runId, o) => s.runner.start({ source: sourceOfEntry(e), flowName: e.flowName }, { runId, ...o }), log: () => undefined }, { clock: s.clock, timezone: 'America/Denver' });
  denver.setDeclared([s.entry]);
  for (const time of ['2025-06-01T12:00:00Z', '2025-06-01T14:57:00Z', '2025-06-01T15:00:00.100Z', '2025-06-01T23:57:00Z', '2025-06-02T00:00:00.100Z', '2025-06-02T14:57:00Z', '2025-06-02T15:00:00.100Z']) {
    s.clock.t = at(time);
    await s.scheduler.tick();
    await denver.tick();
    for (const r of await s.runsOf()) if (slotOf(r) <= s.clock.t) await s.finished(r.id);
  }
  const runs = await s.runsOf();
  assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-02T00:00:00.000Z', 'Completed']]);
  const state = await s.store.schedules.read();
  assert.equal(state.zones.get(s.entry.id), 'Asia/Tokyo');
  // Lists say so, on any machine: read in the recorded timezone, not in the one of the machine listing.
  const [view] = scheduleViews([s.entry], state, at('2025-06-02T15:00:00Z'));
  assert.deepEqual([view!.entry.schedule.timezone, view!.entry.zoneFrom, new Date(view!.next!).toISOString()], ['Asia/Tokyo', 'store', '2025-06-03T00:00:00.000Z']);
  await denver.stop();
  await s.scheduler.stop();
});

for (const catchup of ['none', 'latest'] as const) {
  test(`catchup '${catchup}': a slot whose flow was loaded ahead, its process then asleep for hours past it (a suspended machine), ${catchup === 'none' ? 'is not run when it wakes' : 'runs once, late; a slot overtaken meanwhile never'}`, { timeout: 120_000 }, async () => {
    const s = await setup({ cron: catchup === 'none' ? '0 9 * * *' : '0 9,11 * * *', timezone: 'UTC', catchup }, 'quick', { seenAt: at('2025-06-01T00:00:00Z') });
    s.clock.t = at('2025-06-01T08:59:58Z');
    await s.scheduler.tick();
    // Its run made, its flow handed over to load; the machine sleeps until 12:00 (the tick at 11:00 never came).
    assert.deepEqual((await s.runsOf()).map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-01T09:00:00.000Z', 'Scheduled']]);
    s.clock.t = at('2025-06-01T12:00:00Z');
    await s.scheduler.tick();
    const settled = async () => (await s.runsOf()).filter((r) => slotOf(r) <= s.clock.t).every((r) => isTerminal(r.state.type) && r.state.name !== 'Cancelled');
    await waitFor(settled, 'the slots due to settle', 60_000);
    const runs = (await s.runsOf()).filter((r) => slotOf(r) <= s.clock.t);
    if (catchup === 'none') {
      assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [], s.logs.join('\n'));
      // Logged once its run has gone (Scheduler.discard): it may follow the runs read just now.
      await waitFor(() => s.logs.some((l) => /slot 2025-06-01T09:00:00\.000Z not run: 180 min late, and the schedule does not catch up \(catchup: 'none'\)$/.test(l)), "the 09:00 slot's line", 10_000);
    } else {
      assert.deepEqual(runs.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-01T11:00:00.000Z', 'Completed']], s.logs.join('\n'));
    }
    await s.scheduler.stop();
  });
}

test("catchup 'none' runs no missed slot; a schedule seen for the first time never runs a slot from before", { timeout: 60_000 }, async () => {
  const none = await setup({ cron: '0 9 * * *', timezone: 'UTC', catchup: 'none' }, 'quick', { seenAt: at('2025-06-01T00:00:00Z') });
  none.clock.t = at('2025-06-04T15:00:00Z');
  await none.scheduler.tick();
  assert.deepEqual(await none.runsOf(), []);
  await none.scheduler.stop();
  const fresh = await setup({ cron: '0 9 * * *', timezone: 'UTC' });
  fresh.clock.t = at('2025-06-04T15:00:00Z');
  await fresh.scheduler.tick();
  assert.deepEqual(await fresh.runsOf(), []);
  assert.equal((await fresh.store.schedules.read()).firstSeen.get('aaaaaaaaaa'), at('2025-06-04T15:00:00Z'));
  await fresh.scheduler.stop();
});

for (const overlap of ['skip', 'queue', 'allow'] as const) {
  test(`overlap '${overlap}': the slot that comes due while the previous run still runs`, { timeout: 120_000 }, async (t) => {
    const home = tempDir();
    const gate = join(home, 'gate');
    // A failed assertion must not leave the gated run running (the test process would never end).
    t.after(() => writeFileSync(gate, ''));
    const s = await setup({ intervalSeconds: 60, overlap, parameters: { gate } }, 'gated');
    s.clock.t = at('2025-06-01T09:59:30Z');
    await s.scheduler.tick();
    s.clock.t = at('2025-06-01T10:00:00.100Z');
    await s.scheduler.tick();
    const [first] = await s.runsOf();
    await waitFor(async () => (await s.store.get(first!.id))?.state.name === 'Running', 'the first run to be running', 60_000);
    s.clock.t = at('2025-06-01T10:01:00.100Z');
    await s.scheduler.tick();
    const secondOf = async () => (await s.runsOf()).find((r) => slotOf(r) === at('2025-06-01T10:01:00Z'));
    // The decision is made once the second run's flow is loaded, at its slot.
    if (overlap === 'skip') {
      await waitFor(() => s.logs.some((l) => /slot 2025-06-01T10:01:00.000Z skipped: flow run '.+' of slot 2025-06-01T10:00:00.000Z is still Running \(overlap: 'skip'\)/.test(l)), 'the skip', 60_000);
      // Its run goes after the log line says why.
      await waitFor(async () => (await secondOf()) === undefined, 'the skipped slot to leave no run', 60_000);
    } else if (overlap === 'queue') {
      await waitFor(() => s.logs.some((l) => /slot 2025-06-01T10:01:00.000Z waits until flow run '.+' of slot 2025-06-01T10:00:00.000Z is still Running \(overlap: 'queue'\)/.test(l)), 'the slot to queue', 60_000);
      s.clock.t += 1000;
      await s.scheduler.tick();
      assert.equal((await secondOf())?.state.name, 'Scheduled', 'still waiting for the first run');
    } else {
      await waitFor(async () => (await s.store.get((await secondOf())?.id ?? ''))?.state.name === 'Running', 'the second run to run beside the first', 60_000);
      assert.equal((await s.store.get(first!.id))?.state.name, 'Running');
    }
    const second = await secondOf();
    writeFileSync(gate, '');
    await s.finished(first!.id);
    if (overlap === 'queue') {
      s.clock.t += 1000;
      await s.scheduler.tick();
      await s.finished(second!.id);
      const [a, b] = [(await s.store.get(first!.id))!, (await s.store.get(second!.id))!];
      assert.equal(b.state.name, 'Completed');
      assert.ok(b.startTime! >= a.endTime!, 'the queued run started after the first ended');
    }
    if (overlap === 'allow') await s.finished(second!.id);
    await s.scheduler.stop();
  });
}

/** A gated minutely schedule with overlap 'queue', and a second scheduler (another window or `serve`) on the same store and clock. */
async function twoQueueingSchedulers(t: TestContext) {
  const gate = join(tempDir(), 'gate');
  // A failed assertion must not leave the gated run running (the test process would never end).
  t.after(() => writeFileSync(gate, ''));
  const s = await setup({ intervalSeconds: 60, overlap: 'queue', parameters: { gate } }, 'gated');
  const otherLogs: string[] = [];
  const other = new Scheduler(s.store, { start: (e, runId, o) => s.runner.start({ source: sourceOfEntry(e), flowName: e.flowName }, { runId, ...o }), log: (level, m) => otherLogs.push(`${level} ${m}`) }, { clock: s.clock });
  other.setDeclared([s.entry]);
  /** Both schedulers look at `time` (ms, or an ISO time), the first first. */
  const both = async (time: number | string) => {
    s.clock.t = typeof time === 'string' ? at(time) : time;
    await s.scheduler.tick();
    await other.tick();
  };
  /** The 10:00 slot's run made and running (it holds until the gate opens): the first run, the one slots queue behind. */
  const firstRunning = async () => {
    await both('2025-06-01T09:59:30Z');
    await both('2025-06-01T10:00:00.100Z');
    const [first] = await s.runsOf();
    await waitFor(async () => (await s.store.get(first!.id))?.state.name === 'Running', 'the first run to be running', 60_000);
    return first!;
  };
  return { s, gate, other, otherLogs, all: () => [...s.logs, ...otherLogs], both, firstRunning };
}

test("overlap 'queue' with two schedulers on one store: a queued slot the one stopping gives back, long after it was due, is taken up by the other and runs once, after the run before it", { timeout: 180_000 }, async (t) => {
  const { s, gate, other, otherLogs, both, firstRunning } = await twoQueueingSchedulers(t);
  const first = await firstRunning();
  await both('2025-06-01T10:01:00.100Z');
  await waitFor(() => s.logs.some((l) => /slot 2025-06-01T10:01:00.000Z waits until flow run/.test(l)), 'the first scheduler to queue slot 10:01', 60_000);
  // The other looks at the slot it could not claim after it was due, and finds it taken.
  await both('2025-06-01T10:01:05Z');
  await both('2025-06-01T10:01:20Z');
  // The first stops (its window closes): it gives back the queued slot.
  await s.scheduler.stop();
  assert.ok(s.logs.some((l) => /slot 2025-06-01T10:01:00.000Z given back/.test(l)), s.logs.join('\n'));
  s.clock.t = at('2025-06-01T10:01:30Z');
  await other.tick();
  const secondOf = async () => (await s.runsOf()).filter((r) => slotOf(r) === at('2025-06-01T10:01:00Z'));
  await waitFor(() => otherLogs.some((l) => /slot 2025-06-01T10:01:00.000Z waits until flow run/.test(l)), 'the other scheduler to take up and queue slot 10:01', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${otherLogs.join('\n')}`);
  });
  writeFileSync(gate, '');
  await s.finished(first!.id);
  for (let i = 0; i < 100 && !(await secondOf()).some((r) => isTerminal(r.state.type)); i++) {
    s.clock.t += 1000;
    await other.tick();
    await new Promise((r) => setTimeout(r, 100));
  }
  const second = await secondOf();
  assert.deepEqual(second.map((r) => r.state.name), ['Completed'], `slot 10:01 ran once, on the other scheduler\n${otherLogs.join('\n')}`);
  assert.ok(second[0]!.startTime! >= (await s.store.get(first!.id))!.endTime!, 'after the run before it ended');
  await other.stop();
});

test("overlap 'queue' with two schedulers on one store: at most 10 slots wait, counted across both", { timeout: 240_000 }, async (t) => {
  const { s, gate, other, otherLogs } = await twoQueueingSchedulers(t);
  const all = () => [...s.logs, ...otherLogs];
  s.clock.t = at('2025-06-01T09:59:30Z');
  await s.scheduler.tick();
  s.clock.t = at('2025-06-01T10:00:00.100Z');
  await s.scheduler.tick();
  const [first] = await s.runsOf();
  await waitFor(async () => (await s.store.get(first!.id))?.state.name === 'Running', 'the first run to be running', 60_000);
  // Each minute the scheduler that looks first claims the next slot: they take turns, so each holds some.
  for (let m = 1; m <= 11; m++) {
    const slot = `2025-06-01T10:${String(m).padStart(2, '0')}:00.000Z`;
    s.clock.t = Date.parse(slot) + 100;
    const order = m % 2 === 0 ? [s.scheduler, other] : [other, s.scheduler];
    for (const sch of order) await sch.tick();
    await waitFor(() => all().some((l) => l.includes(`slot ${slot} waits until`) || l.includes(`slot ${slot} skipped`)), `slot ${slot} to queue or skip`, 60_000);
  }
  const queuedBy = (logs: string[]) => logs.filter((l) => /waits until flow run/.test(l)).length;
  console.log(`queued: ${queuedBy(s.logs)} by one scheduler, ${queuedBy(otherLogs)} by the other`);
  assert.ok(queuedBy(s.logs) > 0 && queuedBy(otherLogs) > 0, 'both schedulers queued slots');
  assert.equal(queuedBy(all()), 10, all().join('\n'));
  assert.ok(all().some((l) => /slot 2025-06-01T10:11:00.000Z skipped: 10 slots already wait for flow run/.test(l)), all().join('\n'));
  // The skipped slot's run goes just after the scheduler says why.
  const waiting = async () => (await s.runsOf()).filter((r) => r.state.name === 'Scheduled' && slotOf(r) <= at('2025-06-01T10:11:00Z')).length;
  await waitFor(async () => (await waiting()) === 10, 'the skipped slot 10:11 to go, 10 waiting', 30_000).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${await waiting()} wait`);
  });
  // A look at the schedule asks the store for its runs once, not once for each slot waiting or watched.
  let lists = 0;
  const list = s.store.list.bind(s.store);
  s.store.list = (options) => {
    if (options?.flowNames?.includes('gated')) lists++;
    return list(options);
  };
  s.clock.t = at('2025-06-01T10:11:30Z');
  for (const sch of [s.scheduler, other]) await sch.tick();
  console.log(`the schedule's runs listed in a look of each scheduler at 10 waiting slots: ${lists}`);
  assert.equal(lists, 2);
  await other.stop();
  await s.scheduler.stop();
  writeFileSync(gate, '');
  await s.finished(first!.id);
});

test("overlap 'queue' with two schedulers on one store: every queued slot the one stopping gives back is taken up by the other and runs once, also those due more than 10 slots before", { timeout: 300_000 }, async (t) => {
  const { s, gate, other, otherLogs, all, both, firstRunning } = await twoQueueingSchedulers(t);
  const first = await firstRunning();
  // The first scheduler looks first each minute: it claims every slot, 10 queue behind the running run, later ones are skipped.
  const slot = (m: number) => at(`2025-06-01T10:${String(m).padStart(2, '0')}:00.000Z`);
  for (let m = 1; m <= 15; m++) {
    await both(slot(m) + 100);
    const iso = new Date(slot(m)).toISOString();
    await waitFor(() => all().some((l) => l.includes(`slot ${iso} waits until`) || l.includes(`slot ${iso} skipped`)), `slot ${iso} to queue or skip`, 60_000);
  }
  await both(slot(15) + 10_000);
  assert.equal(otherLogs.filter((l) => /waits until/.test(l)).length, 0, otherLogs.join('\n'));
  // It stops: slots 10:01–10:10 are given back, 10:01–10:05 more than 10 slots after they were due.
  await s.scheduler.stop();
  for (let m = 1; m <= 10; m++) assert.ok(s.logs.some((l) => l.includes(`slot ${new Date(slot(m)).toISOString()} given back`)), s.logs.join('\n'));
  s.clock.t = slot(15) + 20_000;
  await other.tick();
  await waitFor(() => otherLogs.filter((l) => /waits until/.test(l)).length === 10, 'the other scheduler to take up and queue the 10 slots given back', 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${otherLogs.join('\n')}`);
  });
  writeFileSync(gate, '');
  await s.finished(first!.id);
  const ofSlot = async (m: number) => (await s.runsOf()).filter((r) => slotOf(r) === slot(m));
  for (let i = 0; i < 200 && !(await ofSlot(10)).some((r) => isTerminal(r.state.type)); i++) {
    s.clock.t += 200;
    await other.tick();
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let m = 1; m <= 10; m++) assert.deepEqual((await ofSlot(m)).map((r) => r.state.name), ['Completed'], `slot ${m} ran once\n${otherLogs.join('\n')}`);
  for (let m = 11; m <= 15; m++) assert.deepEqual(await ofSlot(m), [], `slot ${m} was skipped, and stays so`);
  await other.stop();
});

test("overlap 'queue' with two schedulers on one store: a slot queued behind a long run keeps its claim however many slots pass (old claims are pruned): the other never claims it again", { timeout: 300_000 }, async (t) => {
  const { s, gate, other, otherLogs, all, both, firstRunning } = await twoQueueingSchedulers(t);
  const first = await firstRunning();
  // 50 slots come due: 10 queue (all the first scheduler's), the rest are skipped; the slot claims pile up and are pruned.
  const slot = (m: number) => at('2025-06-01T10:00:00Z') + m * 60_000;
  for (let m = 1; m <= 50; m++) {
    await both(slot(m) + 100);
    const iso = new Date(slot(m)).toISOString();
    await waitFor(() => all().some((l) => l.includes(`slot ${iso} waits until`) || l.includes(`slot ${iso} skipped`)), `slot ${iso} to queue or skip`, 60_000);
  }
  await both(slot(50) + 10_000);
  // A skipped slot is logged once its prepared run has gone (Scheduler.discard): the runs are read at once.
  const queued = await s.runsOf();
  assert.deepEqual(queued.filter((r) => r.state.name === 'Scheduled' && slotOf(r) <= slot(50)).map(slotOf), Array.from({ length: 10 }, (_, i) => slot(i + 1)));
  assert.equal((await s.store.schedules.claimSlot(s.entry.id, slot(1))).claimed, false, "the first queued slot's claim is still held");
  assert.ok(!otherLogs.some((l) => /waits until|Created/.test(l)), otherLogs.join('\n'));
  writeFileSync(gate, '');
  await s.finished(first!.id);
  await other.stop();
  await s.scheduler.stop();
});

for (const overlap of ['skip', 'queue'] as const) {
  test(`overlap '${overlap}': a run Suspended for input (nothing running it) does not hold the next slot`, { timeout: 120_000 }, async () => {
    const home = tempDir();
    const gate = join(home, 'gate');
    const s = await setup({ intervalSeconds: 60, overlap, parameters: { gate } }, 'approval');
    s.clock.t = at('2025-06-01T09:59:30Z');
    await s.scheduler.tick();
    s.clock.t = at('2025-06-01T10:00:00.100Z');
    await s.scheduler.tick();
    const [first] = await s.runsOf();
    await waitFor(async () => (await s.store.get(first!.id))?.state.name === 'Suspended', 'the first run to suspend', 60_000);
    writeFileSync(gate, '');
    s.clock.t = at('2025-06-01T10:01:00.100Z');
    await s.scheduler.tick();
    const second = await waitFor(async () => (await s.runsOf()).some((r) => slotOf(r) === at('2025-06-01T10:01:00Z') && isTerminal(r.state.type)), 'the next slot to run', 60_000).then(async () => (await s.runsOf()).find((r) => slotOf(r) === at('2025-06-01T10:01:00Z'))!);
    assert.equal(second.state.name, 'Completed', s.logs.join('\n'));
    assert.equal((await s.store.get(first!.id))?.state.name, 'Suspended', 'the suspended run still waits for its input');
    assert.ok(!s.logs.some((l) => /skipped|waits until/.test(l)), s.logs.join('\n'));
    await s.scheduler.stop();
  });
}

test('a paused schedule makes no runs and gives back its prepared run; resumed, it does not catch up what passed meanwhile', { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  s.clock.t = at('2025-06-01T10:00:30Z');
  await s.scheduler.tick();
  assert.equal((await s.runsOf()).length, 1);
  await s.store.schedules.setPaused('aaaaaaaaaa', true);
  await s.scheduler.tick();
  assert.deepEqual(await s.runsOf(), []);
  s.clock.t = at('2025-06-01T10:05:30Z');
  await s.scheduler.tick();
  assert.deepEqual(await s.runsOf(), []);
  await s.store.schedules.setPaused('aaaaaaaaaa', false);
  await s.scheduler.tick();
  assert.deepEqual((await s.runsOf()).map((r) => [r.state.name, new Date(slotOf(r)).toISOString()]), [['Scheduled', '2025-06-01T10:06:00.000Z']]);
  await s.scheduler.stop();
});

test("a slot given back is logged once its prepared run has gone: whoever reads the line and lists the runs never finds it", { timeout: 120_000 }, async (t: TestContext) => {
  const s = await setup({ intervalSeconds: 60 });
  s.clock.t = at('2025-06-01T10:00:30Z');
  await s.scheduler.tick();
  const [prepared] = await s.runsOf();
  assert.ok(prepared);
  const deleteRuns = s.store.delete.bind(s.store);
  const loggedBeforeDeleted: boolean[] = [];
  t.mock.method(s.store, 'delete', async (ids: string[]) => {
    loggedBeforeDeleted.push(s.logs.some((l) => l.includes('given back')));
    return deleteRuns(ids);
  });
  await s.scheduler.stop();
  assert.deepEqual(loggedBeforeDeleted, [false]);
  assert.ok(s.logs.some((l) => l === 'INFO Schedule aaaaaaaaaa of flow \'quick\': slot 2025-06-01T10:01:00.000Z given back: its scheduler stopped before the slot was due'), s.logs.join('\n'));
  assert.deepEqual(await s.runsOf(), []);
  t.mock.restoreAll();
});

test("a slot given back whose prepared run cannot be deleted is still logged, with why the run stays", { timeout: 120_000 }, async (t: TestContext) => {
  const s = await setup({ intervalSeconds: 60 });
  s.clock.t = at('2025-06-01T10:00:30Z');
  await s.scheduler.tick();
  const [prepared] = await s.runsOf();
  t.mock.method(s.store, 'delete', async () => {
    throw new Error('the store refuses the delete');
  });
  await s.scheduler.stop();
  const lines = s.logs.filter((l) => l.includes('2025-06-01T10:01:00.000Z') || l.includes('refuses'));
  assert.deepEqual(lines, [
    `ERROR Schedule aaaaaaaaaa of flow 'quick': slot 2025-06-01T10:01:00.000Z given back: its scheduler stopped before the slot was due; its prepared run ${prepared!.id} could not be deleted: the store refuses the delete`,
  ]);
  t.mock.restoreAll();
});

test('a schedule paused and resumed while no scheduler ran does not catch up, when one starts, a slot that passed while it was paused', { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 }, 'quick', { seenAt: at('2025-06-01T09:00:00Z') });
  await s.tickAt('2025-06-01T10:00:30Z');
  await s.scheduler.stop();
  // `flowdeck serve` stopped; the schedule paused at 10:01:30 and resumed at 10:05:30 (`flowdeck schedule resume`).
  await s.store.schedules.setPaused('aaaaaaaaaa', true);
  await s.store.schedules.setPaused('aaaaaaaaaa', false, at('2025-06-01T10:05:30Z'));
  // A serve started at 10:05:40: the 10:05 slot passed while the schedule was paused.
  const again = new Scheduler(s.store, { start: (e, runId, o) => s.runner.start({ source: sourceOfEntry(e), flowName: e.flowName }, { runId, ...o }), log: (level, m) => s.logs.push(`${level} ${m}`) }, { clock: s.clock });
  again.setDeclared([s.entry]);
  s.clock.t = at('2025-06-01T10:05:40Z');
  await again.tick();
  assert.deepEqual((await s.runsOf()).map((r) => [r.state.name, new Date(slotOf(r)).toISOString()]), [['Completed', '2025-06-01T10:00:00.000Z'], ['Scheduled', '2025-06-01T10:06:00.000Z']]);
  await again.stop();
});

test('a schedule declared with a secret the host knows in its parameters makes no runs (the store never holds it), and says so once, not at every slot', { timeout: 120_000 }, async () => {
  const token = 'ghp_scheduledSecret0123456789';
  const s = await setup({ intervalSeconds: 60, parameters: { token } }, 'quick', { secrets: [token] });
  for (const t of ['2025-06-01T10:00:30Z', '2025-06-01T10:01:00.200Z', '2025-06-01T10:02:30Z']) {
    s.clock.t = at(t);
    await s.scheduler.tick();
  }
  assert.deepEqual(await s.runsOf(), [], 'no slot made a run');
  const refusals = s.logs.filter((l) => l.includes('holds a secret'));
  assert.equal(refusals.length, 1, s.logs.join('\n'));
  assert.match(refusals[0]!, /^ERROR Schedule aaaaaaaaaa of flow 'quick' not run: a parameter of the schedule holds a secret \(\{"token":"\*\*\*"\}\); .*let the flow read the secret from its environment/);
  assert.ok(refusals[0]!.endsWith(`not run: ${secretParametersRefusal('{"token":"***"}')}`), 'worded as `flowdeck schedules` words it');
  assert.ok(!s.logs.join('\n').includes(token));
  await s.scheduler.stop();
  assert.ok(!JSON.stringify(await s.store.list()).includes(token));
});

test("a schedule paused (or removed) while its slot's flow is loaded and waits for the slot is not started, though no look at the store came between", { timeout: 120_000 }, async () => {
  for (const how of ['paused', 'removed'] as const) {
    const s = await setup({ intervalSeconds: 60 });
    let entry = s.entry;
    if (how === 'removed') {
      // A schedule added to the store (flowdeck schedule add), not one declared in code.
      const added = await s.store.schedules.add({ flowName: 'quick', source: s.entry.source, schedule: { intervalSeconds: 60 } });
      entry = { ...added, origin: 'store' };
      s.scheduler.setDeclared([]);
    }
    // 3 s before the slot: its run is made and its flow loaded, waiting for the slot (in real time).
    s.clock.t = at('2025-06-01T10:00:57Z');
    await s.scheduler.tick();
    const [run] = await s.runsOf();
    assert.equal(run?.state.name, 'Scheduled');
    if (how === 'paused') await s.store.schedules.setPaused(entry.id, true);
    else await s.store.schedules.remove(entry.id);
    // No tick: the slot comes due before the scheduler's next look at the store.
    s.clock.t = at('2025-06-01T10:01:00.100Z');
    await waitFor(() => s.logs.some((l) => l.includes(`slot 2025-06-01T10:01:00.000Z not run: its schedule was ${how}`)), `the slot not run, its schedule ${how}`, 30_000);
    await waitFor(async () => (await s.runsOf()).length === 0, 'its run to go', 30_000);
    await s.scheduler.stop();
  }
});

test("a slot's run whose start is deciding (its store being asked about earlier runs) as the scheduler stops is given back, not started", { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  // The look at the schedule's runs not ended, made as the slot is due, waits until the test lets it go.
  let entered!: () => void;
  const asking = new Promise<void>((r) => (entered = r));
  let letGo!: () => void;
  const held = new Promise<void>((r) => (letGo = r));
  const list = s.store.list.bind(s.store);
  s.store.list = async (options) => {
    if (options?.stateTypes?.includes('SCHEDULED') && options.flowNames?.includes('quick')) {
      entered();
      await held;
    }
    return list(options);
  };
  s.clock.t = at('2025-06-01T10:00:58Z');
  await s.scheduler.tick();
  s.clock.t = at('2025-06-01T10:01:00.100Z');
  await asking;
  const stopping = s.scheduler.stop();
  await new Promise((r) => setTimeout(r, 200));
  letGo();
  await stopping;
  s.store.list = list;
  assert.deepEqual((await s.runsOf()).map((r) => r.state.name), [], s.logs.join('\n'));
  assert.ok(s.logs.some((l) => /slot 2025-06-01T10:01:00.000Z given back: its scheduler stopped before the slot was due$/.test(l)), s.logs.join('\n'));
  // Given back: another process may claim it.
  assert.equal((await s.store.schedules.claimSlot('aaaaaaaaaa', at('2025-06-01T10:01:00Z'))).claimed, true);
});

test('a claimant that died before creating its run (or before starting it) gives the slot up: it is taken over, one run per slot', { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  const STORE = join(ROOT, 'src', 'engine', 'embeddedStore.ts');
  const die = (body: string) =>
    new Promise<void>((res, rej) => {
      const script = `const { EmbeddedStore } = require(${JSON.stringify(STORE)}); const { state } = require(${JSON.stringify(join(ROOT, 'src', 'engine', 'states.ts'))});
(async () => { const store = await EmbeddedStore.open(${JSON.stringify(s.home)}); ${body} process.exit(0); })();`;
      spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: 'inherit' }).on('close', (code) => (code === 0 ? res() : rej(new Error(`exit ${code}`))));
    });
  // Slot 10:01 claimed, no run; slot 10:02 claimed and its run created, never started.
  await die(`await store.schedules.claimSlot('aaaaaaaaaa', ${at('2025-06-01T10:01:00Z')});`);
  await die(`await store.schedules.claimSlot('aaaaaaaaaa', ${at('2025-06-01T10:02:00Z')}); const h = await store.createRun({ flowName: 'quick', source: ${JSON.stringify(s.entry.source)}, parameters: {}, trigger: { kind: 'schedule', id: 'aaaaaaaaaa', slot: ${at('2025-06-01T10:02:00Z')} }, state: state('Scheduled') }); await h.close();`);
  await s.tickAt('2025-06-01T10:00:30Z', '2025-06-01T10:01:00.100Z', '2025-06-01T10:01:30Z', '2025-06-01T10:02:00.100Z');
  const done = (await s.runsOf()).filter((r) => r.state.name !== 'Scheduled');
  assert.deepEqual(done.map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [
    ['2025-06-01T10:01:00.000Z', 'Completed'],
    ['2025-06-01T10:02:00.000Z', 'Completed'],
  ]);
  assert.equal(s.logs.filter((l) => /took over slot/.test(l)).length, 2, s.logs.join('\n'));
  await s.scheduler.stop();
  const check = await EmbeddedStore.open(s.home, { readOnly: true });
  const slots = (await check.list()).filter((r) => r.trigger?.kind === 'schedule').map(slotOf);
  assert.equal(new Set(slots).size, slots.length, 'one run per slot');
  await check.close();
});

test("a dead claimant's prepared run of a slot a later slot overtook is let go, not left Crashed for a resume it never needed", { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  const STORE = join(ROOT, 'src', 'engine', 'embeddedStore.ts');
  const slot = at('2025-06-01T10:01:00Z');
  // A serve that prepared slot 10:01 (claimed, its run created Scheduled) and was killed before it was due.
  const script = `const { EmbeddedStore } = require(${JSON.stringify(STORE)}); const { state } = require(${JSON.stringify(join(ROOT, 'src', 'engine', 'states.ts'))});
(async () => { const store = await EmbeddedStore.open(${JSON.stringify(s.home)});
  await store.schedules.claimSlot('aaaaaaaaaa', ${slot});
  const h = await store.createRun({ flowName: 'quick', source: ${JSON.stringify(s.entry.source)}, parameters: {}, trigger: { kind: 'schedule', id: 'aaaaaaaaaa', slot: ${slot} }, state: state('Scheduled') });
  await store.schedules.markSlotRun('aaaaaaaaaa', ${slot}, h.id);
  await h.close();
  process.exit(0); })();`;
  await new Promise<void>((res, rej) => spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: 'inherit' }).on('close', (code) => (code === 0 ? res() : rej(new Error(`exit ${code}`)))));
  // Another process opening the store marks the dead host's run (a CLI command, the editor).
  await s.store.refresh();
  await s.store.markCrashed();
  assert.equal((await s.runsOf()).find((r) => slotOf(r) === slot)?.state.name, 'Crashed');
  // The next serve starts once slot 10:02 is due: slot 10:01, overtaken, is not run, and its run goes as one it had prepared would.
  await s.tickAt('2025-06-01T10:02:00.100Z');
  assert.deepEqual((await s.runsOf()).filter((r) => slotOf(r) === slot), [], s.logs.join('\n'));
  assert.ok(s.logs.some((l) => l.includes('slot 2025-06-01T10:01:00.000Z not run: a later slot (2025-06-01T10:02:00.000Z) came due before it could start (the process that prepared it ended)')), s.logs.join('\n'));
  await s.scheduler.stop();
});

test("the look for a dead claimant's never-started runs lists the flow's Crashed runs at a scheduler's start, then at most once a minute, not at every due slot", { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 10 });
  let listings = 0;
  const list = s.store.list.bind(s.store);
  s.store.list = (options) => {
    if (options?.stateTypes?.includes('CRASHED')) listings++;
    return list(options);
  };
  await s.tickAt('2025-06-01T10:00:00.100Z');
  assert.equal(listings, 1, 'looked at its start');
  // Every 10 s slot of the next two minutes and ten seconds comes due, and runs.
  const slots = Array.from({ length: 13 }, (_, i) => new Date(at('2025-06-01T10:00:10.100Z') + i * 10_000).toISOString());
  await s.tickAt(...slots);
  s.store.list = list;
  assert.equal((await s.runsOf()).filter((r) => r.state.name === 'Completed').length, 13, s.logs.join('\n'));
  assert.equal(listings, 3, 'looked at 10:00:00, 10:01:00 and 10:02:00, of 14 looks at a due slot');
  await s.scheduler.stop();
});

test('a slot whose run was made, ran and was then deleted (prune, delete) is not run again when its dead claimant is judged', { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  const STORE = join(ROOT, 'src', 'engine', 'embeddedStore.ts');
  const slot = at('2025-06-01T10:01:00Z');
  // A serve that claimed slot 10:01, made its run (noted on the claim) and ran it, then stopped; the run was pruned.
  const script = `const { EmbeddedStore } = require(${JSON.stringify(STORE)}); const { state } = require(${JSON.stringify(join(ROOT, 'src', 'engine', 'states.ts'))});
(async () => { const store = await EmbeddedStore.open(${JSON.stringify(s.home)});
  await store.schedules.claimSlot('aaaaaaaaaa', ${slot});
  const h = await store.createRun({ flowName: 'quick', source: ${JSON.stringify(s.entry.source)}, parameters: {}, trigger: { kind: 'schedule', id: 'aaaaaaaaaa', slot: ${slot} }, state: state('Scheduled') });
  await store.schedules.markSlotRun('aaaaaaaaaa', ${slot}, h.id);
  await h.setState(state('Completed'), { endTime: Date.now() });
  await h.close();
  await store.delete([h.id]);
  process.exit(0); })();`;
  await new Promise<void>((res, rej) => spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: 'inherit' }).on('close', (code) => (code === 0 ? res() : rej(new Error(`exit ${code}`)))));
  await s.tickAt('2025-06-01T10:00:30Z', '2025-06-01T10:01:00.100Z', '2025-06-01T10:01:30Z');
  assert.deepEqual((await s.runsOf()).filter((r) => slotOf(r) === slot), [], 'slot 10:01 is not run again (the next is made ahead as ever)');
  assert.ok(!s.logs.some((l) => /took over slot/.test(l)), s.logs.join('\n'));
  await s.scheduler.stop();
});

describe('on a Postgres store shared by machines', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  const COUNTED = flowSource(`
import { appendFileSync } from 'node:fs';
export const counted = flow({ name: 'counted' }, async ({ file }: { file: string }) => {
  appendFileSync(file, 'ran\\n');
  return 'done';
});
`);
  const SLOT = at('2025-06-01T10:01:00Z');

  /** A machine of its own: a store under its host name, a runner, a scheduler on its own clock. */
  async function machine(name: string, schema: string, entry: ScheduleEntry, timezone?: string) {
    const home = tempDir(`flowdeck-${name}-`);
    const store = await PgStore.open(pgUrl(), { home, schema, hostname: name, kind: 'cli' });
    after(() => store.close());
    const runner = new FlowRunner(store, { workerPath: join(DIST, 'worker.js'), builtinDir: join(DIST, 'flows'), env: { ...process.env, FLOWDECK_HOME: home }, cancelGraceMs: 1000, timeoutGraceMs: 1000 });
    const clock = { t: 0, now: () => clock.t };
    const logs: string[] = [];
    const scheduler = new Scheduler(store, { start: (e, runId, o) => runner.start({ source: sourceOfEntry(e), flowName: e.flowName }, { runId, ...o }), log: (level, m) => logs.push(`${level} ${m}`) }, { clock, ...(timezone ? { timezone } : {}) });
    scheduler.setDeclared([entry]);
    const tickAt = async (time: string) => {
      clock.t = at(time);
      await scheduler.tick();
    };
    return { name, store, logs, scheduler, tickAt };
  }

  /** A fresh schema, and a minutely schedule of the `counted` flow (each run appends a line to `counter`). */
  function countedSchedule(id: string): { schema: string; counter: string; entry: ScheduleEntry } {
    const dir = workspace({ 'counted.flow.ts': COUNTED });
    const counter = join(tempDir(), 'ran.txt');
    writeFileSync(counter, '');
    return { schema: freshSchema(), counter, entry: { id, flowName: 'counted', source: join(dir, 'counted.flow.ts'), schedule: { intervalSeconds: 60, parameters: { file: counter } }, origin: 'code' } };
  }

  /** Machine A, a process of its own with lease `lease`: claims SLOT, creates its run (Scheduled) and dies. Its run's and its lease's ids. */
  async function claimedByDyingMachine(schema: string, entry: ScheduleEntry, counter: string, lease: { heartbeatMs: number; lapseMs: number }): Promise<{ run: string; lease: string }> {
    const options = JSON.stringify({ home: tempDir(), schema, hostname: 'machine-a', lease });
    const out = await inOwnProcess(
      `require(${JSON.stringify(join(ROOT, 'src', 'engine', 'postgres', 'pgStore.ts'))}).PgStore.open(${JSON.stringify(pgUrl())}, ${options})`,
      `const { state } = require(${JSON.stringify(join(ROOT, 'src', 'engine', 'states.ts'))});
       if (!(await store.schedules.claimSlot(${JSON.stringify(entry.id)}, ${SLOT})).claimed) throw new Error('slot not claimed');
       const h = await store.createRun({ flowName: 'counted', source: ${JSON.stringify(entry.source)}, parameters: { file: ${JSON.stringify(counter)} }, trigger: { kind: 'schedule', id: ${JSON.stringify(entry.id)}, slot: ${SLOT} }, state: state('Scheduled') });
       await h.close();
       console.log('RUN', h.id, 'LEASE', store.lease.id);`,
    );
    const [, run, leaseId] = /^RUN (\S+) LEASE (\S+)$/m.exec(out)!;
    return { run: run!, lease: leaseId! };
  }

  it('a cron declared without a timezone runs once per slot on machines in two timezones: both read it in the timezone of the first to see it', { timeout: 180_000 }, async () => {
    const { schema, counter, entry: minutely } = countedSchedule('eeeeeeeeee');
    const entry: ScheduleEntry = { ...minutely, schedule: { cron: '0 9 * * *', parameters: minutely.schedule.parameters! } };
    const tokyo = await machine('machine-tokyo', schema, entry, 'Asia/Tokyo');
    const denver = await machine('machine-denver', schema, entry, 'America/Denver');
    // Tokyo's 09:00 is 00:00Z; Denver's (summer) 15:00Z. Tokyo sees the schedule first.
    for (const time of ['2025-06-01T12:00:00Z', '2025-06-01T14:57:00Z', '2025-06-01T15:00:00.100Z', '2025-06-01T23:57:00Z', '2025-06-02T00:00:00.100Z', '2025-06-02T00:00:03.200Z', '2025-06-02T14:57:00Z', '2025-06-02T15:00:00.100Z', '2025-06-02T15:00:03.200Z']) {
      await tokyo.tickAt(time);
      await denver.tickAt(time);
    }
    const runs = async () => (await tokyo.store.list()).filter((r) => r.trigger?.kind === 'schedule');
    await waitFor(async () => (await runs()).every((r) => isTerminal(r.state.type)), 'the runs to end', 60_000);
    assert.deepEqual((await runs()).map((r) => [new Date(slotOf(r)).toISOString(), r.state.name]), [['2025-06-02T00:00:00.000Z', 'Completed']]);
    assert.equal(readFileSync(counter, 'utf8'), 'ran\n');
    assert.equal((await denver.store.schedules.read()).zones.get(entry.id), 'Asia/Tokyo');
    await tokyo.scheduler.stop();
    await denver.scheduler.stop();
  });

  it('a machine that dies just before its slot (its lease not yet lapsed when the slot is due) has the slot taken over once it lapses, and run once', { timeout: 180_000 }, async () => {
    const { schema, counter, entry } = countedSchedule('dddddddddd');
    const b = await machine('machine-b', schema, entry);
    // Machine A claims slot 10:01, creates its run and dies; its lease (4 s) outlives the slot's first look.
    const { lease: deadLease } = await claimedByDyingMachine(schema, entry, counter, { heartbeatMs: 500, lapseMs: 4000 });
    // B's looks at the slot while A still counts as alive: due, then its look 3 s after.
    for (const time of ['2025-06-01T10:00:30Z', '2025-06-01T10:01:00.100Z', '2025-06-01T10:01:03.200Z']) await b.tickAt(time);
    assert.ok(!b.logs.some((l) => /took over/.test(l)), 'not while its claimant may be alive');
    await leaseLapsed(schema, deadLease!, 30_000);
    // Its next look, 3 s on, finds the claimant gone: taken over, and run.
    await b.tickAt('2025-06-01T10:01:06.300Z');
    assert.ok(b.logs.some((l) => /took over slot 2025-06-01T10:01:00.000Z from process \d+, which ended before starting it/.test(l)), b.logs.join('\n'));
    const slotRuns = async () => (await b.store.list()).filter((r) => r.trigger?.kind === 'schedule' && r.trigger.slot === SLOT);
    await waitFor(async () => (await slotRuns()).some((r) => r.state.name === 'Completed'), "the slot's run to complete", 60_000);
    await b.scheduler.stop();
    assert.deepEqual((await slotRuns()).map((r) => [r.state.name, r.owner.hostname]), [['Completed', 'machine-b']]);
    assert.equal(readFileSync(counter, 'utf8'), 'ran\n', 'the flow ran once');
  });

  it("a slot whose run was created by a machine that then died is taken over by one live machine and run once; a live machine's slot is never taken", { timeout: 180_000 }, async () => {
    const { schema, counter, entry } = countedSchedule('cccccccccc');
    // Machine A claims slot 10:01, creates its run (Scheduled) and dies before starting it: its lease lapses.
    const { run: deadRun, lease: deadLease } = await claimedByDyingMachine(schema, entry, counter, { heartbeatMs: 50, lapseMs: 300 });
    await leaseLapsed(schema, deadLease!, 30_000);

    // Machines B and C look at once: one of them takes the slot over.
    const b = await machine('machine-b', schema, entry);
    const c = await machine('machine-c', schema, entry);
    await Promise.all([b.tickAt('2025-06-01T10:00:30Z'), c.tickAt('2025-06-01T10:00:30Z')]);
    const took = [b, c].filter((m) => m.logs.some((l) => /took over slot 2025-06-01T10:01:00.000Z from process \d+, which ended before starting it/.test(l)));
    assert.equal(took.length, 1, [...b.logs, ...c.logs].join('\n'));
    const owner = took[0]!;
    const other = owner === b ? c : b;
    assert.equal(await owner.store.get(deadRun!), undefined, "the dead machine's run of the slot is gone");
    const slotRuns = async () => (await owner.store.list()).filter((r) => r.trigger?.kind === 'schedule' && r.trigger.slot === SLOT);
    const [prepared] = await slotRuns();
    assert.deepEqual([prepared?.state.name, prepared?.owner.hostname], ['Scheduled', owner.name]);

    // The other machine, past the slot and its second look, finds the slot's holder alive: it takes nothing.
    for (const time of ['2025-06-01T10:01:00.100Z', '2025-06-01T10:01:04Z', '2025-06-01T10:01:30Z']) await other.tickAt(time);
    assert.deepEqual((await slotRuns()).map((r) => [r.id, r.state.name, r.startTime]), [[prepared!.id, 'Scheduled', undefined]]);
    assert.ok(!other.logs.some((l) => /took over|ERROR/.test(l)), other.logs.join('\n'));

    // Its holder, when its own clock reaches the slot, runs it.
    await owner.tickAt('2025-06-01T10:01:00.100Z');
    await waitFor(async () => (await owner.store.get(prepared!.id))?.state.name === 'Completed', "the slot's run to complete", 60_000);
    await Promise.all([b.scheduler.stop(), c.scheduler.stop()]);
    assert.deepEqual((await slotRuns()).map((r) => [r.state.name, r.owner.hostname]), [['Completed', owner.name]]);
    assert.equal(readFileSync(counter, 'utf8'), 'ran\n', 'the flow ran once');
  });

  it("a slot's run cancelled from another machine while it waits for its slot never starts (it ran all the same before)", { timeout: 120_000 }, async () => {
    const schema = freshSchema();
    const dir = workspace({ 'counted.flow.ts': COUNTED });
    const counter = join(tempDir(), 'ran.txt');
    writeFileSync(counter, '');
    const entry: ScheduleEntry = { id: 'dddddddddd', flowName: 'counted', source: join(dir, 'counted.flow.ts'), schedule: { intervalSeconds: 60, parameters: { file: counter } }, origin: 'code' };
    const a = await machine('machine-a', schema, entry);
    const b = await machine('machine-b', schema, entry);
    // 4 s before the slot: machine A creates the run Scheduled, loads its flow and waits 4 s of real time for the slot.
    await a.tickAt('2025-06-01T10:00:56Z');
    const [run] = (await b.store.list()).filter((r) => r.trigger?.kind === 'schedule' && r.trigger.slot === SLOT);
    assert.equal(run?.state.name, 'Scheduled');
    assert.equal(await b.store.requestCancel(run!.id, 'not today'), 'cancelled');
    await waitFor(() => a.logs.some((l) => /^INFO .*slot 2025-06-01T10:01:00\.000Z not run: Flow run '.+' is Cancelled \(not today\)/.test(l)), 'machine A to leave the slot', 30_000);
    await a.scheduler.stop();
    const detail = (await b.store.readRun(run!.id))!;
    assert.deepEqual(detail.states.map((x) => x.name), ['Scheduled', 'Cancelled']);
    assert.equal((await logsOf(b.store, run!.id)).at(-1)?.message, "Finished in state Cancelled('not today')");
    assert.equal(readFileSync(counter, 'utf8'), '', 'the flow never ran');
  });
});

test('a flow file missing when its slot is loaded ahead (being saved, a branch checked out) is loaded again when the slot is due', { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  const file = join(s.dir, 'sched.flow.ts');
  renameSync(file, `${file}.away`);
  // 4 s before the slot: within the 5 s its flow is loaded ahead, and the file is not there.
  s.clock.t = at('2025-06-01T10:00:56Z');
  await s.scheduler.tick();
  await waitFor(() => s.logs.some((l) => /^WARNING .*could not load the flow of slot 2025-06-01T10:01:00\.000Z ahead of it \(Flow file not found: .*\); trying again when the slot is due$/.test(l)), 'the failed load ahead', 30_000);
  assert.deepEqual((await s.runsOf()).map((r) => r.state.name), ['Scheduled']);
  renameSync(`${file}.away`, file);
  await s.tickAt('2025-06-01T10:01:00.200Z');
  const [run] = await s.runsOf();
  assert.equal(run?.state.name, 'Completed', s.logs.join('\n'));
  assert.equal(slotOf(run!), at('2025-06-01T10:01:00Z'));
  assert.ok(!s.logs.some((l) => l.startsWith('ERROR')), s.logs.join('\n'));
  // The run's own logs say it too.
  assert.ok((await logsOf(s.store, run!.id)).some((l) => l.level === 'WARNING' && /^Could not load the flow ahead of its slot \(Flow file not found: .*\); trying again when the slot is due$/.test(l.message)));

  // Still missing when due: the slot's run ends Failed, saying why.
  renameSync(file, `${file}.away`);
  s.clock.t = at('2025-06-01T10:01:56Z');
  await s.scheduler.tick();
  await waitFor(() => s.logs.some((l) => /could not load the flow of slot 2025-06-01T10:02:00\.000Z ahead of it/.test(l)), 'the second failed load ahead', 30_000);
  s.clock.t = at('2025-06-01T10:02:00.200Z');
  await s.scheduler.tick();
  await waitFor(() => s.logs.some((l) => /^ERROR .*could not start the run of slot 2025-06-01T10:02:00\.000Z: Flow file not found/.test(l)), 'the failed start at the slot', 30_000);
  const second = (await s.runsOf()).find((r) => slotOf(r) === at('2025-06-01T10:02:00Z'));
  await s.finished(second!.id);
  assert.match((await s.store.get(second!.id))!.state.message ?? '', /^Could not start: Flow file not found/);
  renameSync(`${file}.away`, file);
  await s.scheduler.stop();
});

test("a slot's run cancelled while it waits for its slot never starts: it stays Cancelled, its logs say so, and the slot is not run", { timeout: 120_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  // 4 s before the slot (within the 5 s its flow is loaded ahead): the run is created Scheduled and its flow loaded, then it waits 4 s of real time (the clock stands still) — ample to cancel it meanwhile.
  s.clock.t = at('2025-06-01T10:00:56Z');
  await s.scheduler.tick();
  const [run] = await s.runsOf();
  assert.equal(run?.state.name, 'Scheduled');
  assert.equal(await s.store.requestCancel(run!.id, 'not today'), 'cancelled');
  await waitFor(() => s.logs.some((l) => /^INFO .*slot 2025-06-01T10:01:00\.000Z not run: Flow run '.+' is Cancelled \(not today\)/.test(l)), 'the scheduler to leave the slot', 30_000);
  const detail = (await s.store.readRun(run!.id))!;
  assert.deepEqual(detail.states.map((x) => x.name), ['Scheduled', 'Cancelled']);
  assert.equal(detail.state.message, 'not today');
  assert.equal((await logsOf(s.store, run!.id)).at(-1)?.message, "Finished in state Cancelled('not today')");
  // Cancelling it again: nothing to cancel.
  assert.equal(await s.store.requestCancel(run!.id, 'again'), 'finished');
  await s.scheduler.stop();
  assert.deepEqual((await s.runsOf()).map((r) => r.state.name), ['Cancelled']);
});

test('a run created ahead and cancelled before it is taken up is not started: start says it ended, and it stays Cancelled', { timeout: 60_000 }, async () => {
  const s = await setup({ intervalSeconds: 60 });
  const h = await s.store.createRun({ flowName: 'quick', source: s.entry.source, parameters: {}, trigger: { kind: 'schedule', id: s.entry.id, slot: at('2025-06-01T10:01:00Z') }, state: state('Scheduled') });
  await h.close();
  assert.equal(await s.store.requestCancel(h.id, 'not needed'), 'cancelled');
  await assert.rejects(s.runner.start({ source: sourceOfEntry(s.entry), flowName: 'quick' }, { runId: h.id }), (e: Error) => e.name === 'EndedBeforeStart' && /is Cancelled \(not needed\): it ended before its start/.test(e.message));
  // As a queue worker takes one up (startCreated): the same.
  await assert.rejects(s.runner.startCreated(h.id, { source: sourceOfEntry(s.entry), flowName: 'quick' }, { takenBy: 'worker w1' }), (e: Error) => e.name === 'EndedBeforeStart');
  assert.deepEqual((await s.store.readRun(h.id))!.states.map((x) => x.name), ['Scheduled', 'Cancelled']);
});

/** Starts the scheduler under mocked timers and runs two seconds of them, 10 ms at a time (each step's promises settled). */
async function twoSecondsOfTimers(t: TestContext, scheduler: { start(): void }): Promise<void> {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  scheduler.start();
  for (let i = 0; i < 200; i++) {
    t.mock.timers.tick(10);
    await new Promise((r) => setImmediate(r));
  }
  t.mock.timers.reset();
}

test('a scheduler whose store cannot be read looks again after a poll, not at once over and over while a slot is due', { timeout: 60_000 }, async (t: TestContext) => {
  const s = await setup({ intervalSeconds: 60 });
  s.clock.t = at('2025-06-01T10:00:30Z');
  await s.scheduler.tick();
  assert.equal((await s.runsOf()).length, 1, "the next slot's run is made ahead");
  // Its slot due, and the store unreachable from then on (a Postgres server restarting).
  s.clock.t = at('2025-06-01T10:01:00.500Z');
  let looks = 0;
  t.mock.method(s.store, 'refresh', async () => {
    looks++;
    throw new Error('the store is unreachable');
  });
  await twoSecondsOfTimers(t, s.scheduler);
  assert.ok(looks >= 1 && looks <= 2, `${looks} looks at the store in 2 s (it polls every 2 s)`);
  assert.ok(s.logs.filter((l) => l.includes('the store is unreachable')).length <= 2, s.logs.join('\n'));
  t.mock.restoreAll();
  await s.scheduler.stop();
});

test("a schedule whose slot cannot be claimed (the store refusing) is looked at again after a poll, not at once over and over", { timeout: 60_000 }, async (t: TestContext) => {
  const s = await setup({ intervalSeconds: 60 });
  s.clock.t = at('2025-06-01T10:00:30Z');
  let claims = 0;
  t.mock.method(s.store.schedules, 'claimSlot', async () => {
    claims++;
    throw new Error('the store refuses the claim');
  });
  await s.scheduler.tick();
  assert.equal(claims, 1);
  // The rest of each look answered at once (no file read), so that only the scheduler's timers pace it.
  const schedules = await s.store.schedules.read();
  t.mock.method(s.store, 'refresh', async () => []);
  t.mock.method(s.store.schedules, 'read', async () => schedules);
  await twoSecondsOfTimers(t, s.scheduler);
  assert.ok(claims >= 2 && claims <= 3, `${claims - 1} more claims of the slot in 2 s (it polls every 2 s)`);
  t.mock.restoreAll();
  await s.scheduler.stop();
});
