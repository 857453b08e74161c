/** `npm run bench`, figure 9: the scheduler with 1,000 schedules. */
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cron } from 'croner';
import { EmbeddedStore } from '../src/engine/embeddedStore';
import type { ScheduleEntry } from '../src/engine/schedules/scheduleEntries';
import { Scheduler } from '../src/engine/schedules/scheduler';
import type { Schedule } from '../src/engine/schedules/scheduleSpec';
import { SlotTimes } from '../src/engine/schedules/slotTimes';
import { median, spread } from './stats';

export interface SchedulerFigures {
  schedules: number;
  /** Median µs to compute one schedule's next slot, and croner's own nextRun for the same (the baseline). */
  nextSlotUs: number;
  cronerNextUs: number;
  nextSlotRatio: number;
  firstTickMs: number;
  tickMs: number;
  tickSpread: string;
  /** CPU of one tick (its wall time is mostly waiting for the disk). */
  tickCpuMs: number;
  /** CPU milliseconds per second of waiting with nothing due. */
  idleCpuMsPerS: number;
}

/**
 * 1,000 schedules (half cron in three timezones, half intervals) whose slots are never due during the
 * measurement: the cost of knowing when each runs next, of one look at the store, and of waiting.
 */
export async function schedulerBench(rounds: number): Promise<SchedulerFigures> {
  const N = 1000;
  const zones = ['UTC', 'Europe/Madrid', 'America/New_York'];
  // Yearly slots (1 January) and week-long intervals: none comes due while measuring.
  const schedules: Schedule[] = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? { cron: `${i % 60} ${i % 24} 1 1 *`, timezone: zones[i % 3]! } : { intervalSeconds: 7 * 86400 + i }));
  const now = Date.now();
  const slotRounds: number[] = [];
  const cronerRounds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (const sch of schedules) new SlotTimes(sch).next(now);
    slotRounds.push(((performance.now() - t) * 1000) / N);
    t = performance.now();
    for (const sch of schedules) {
      if (sch.cron !== undefined) new Cron(sch.cron, { paused: true, timezone: sch.timezone! }).nextRun(new Date(now));
      else (Math.floor(now / (sch.intervalSeconds! * 1000)) + 1) * sch.intervalSeconds! * 1000;
    }
    cronerRounds.push(((performance.now() - t) * 1000) / N);
  }
  const dir = mkdtempSync(join(tmpdir(), 'flowdeck-bench-'));
  const store = await EmbeddedStore.open(dir);
  const entries: ScheduleEntry[] = schedules.map((schedule, i) => ({ id: i.toString(16).padStart(10, '0'), flowName: `f${i}`, source: join(dir, 'never.flow.ts'), schedule, origin: 'code' }));
  const scheduler = new Scheduler(store, { start: () => Promise.reject(new Error('no slot is due in the bench')), log: () => undefined }, { leadMs: 1 });
  scheduler.setDeclared(entries);
  let t = performance.now();
  await scheduler.tick();
  const firstTickMs = performance.now() - t;
  const ticks: number[] = [];
  const tickCpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    t = performance.now();
    const cpu = process.cpuUsage();
    await scheduler.tick();
    ticks.push(performance.now() - t);
    tickCpu.push(((u) => (u.user + u.system) / 1000)(process.cpuUsage(cpu)));
  }
  // Waiting: the scheduler looks at the store every 2 s and otherwise sleeps until the next slot.
  scheduler.start();
  const idleStart = process.cpuUsage();
  const idleWall = performance.now();
  await new Promise((r) => setTimeout(r, 6000));
  const idleCpuMsPerS = ((u) => (u.user + u.system) / 1000)(process.cpuUsage(idleStart)) / ((performance.now() - idleWall) / 1000);
  await scheduler.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const slotUs = median(slotRounds);
  const cronerUs = median(cronerRounds);
  return { schedules: N, nextSlotUs: slotUs, cronerNextUs: cronerUs, nextSlotRatio: slotUs / cronerUs, firstTickMs, tickMs: median(ticks), tickSpread: spread(ticks), tickCpuMs: median(tickCpu), idleCpuMsPerS };
}
