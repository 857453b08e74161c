import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAge } from '../../src/cli/commands/prune';
import { checkSchedule, describeSchedule, parseCron, parseEvery, ScheduleError } from '../../src/engine/schedules/scheduleSpec';
import { SharedCrons } from '../../src/engine/schedules/sharedCrons';
import { presetCron } from '../../src/engine/schedules/schedulePresets';
import { SlotTimes } from '../../src/engine/schedules/slotTimes';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const at = (s: string) => Date.parse(s);

test('cron with seconds: every 10 seconds, on the tens', () => {
  const slots = new SlotTimes(checkSchedule({ cron: '*/10 * * * * *' }, 'f'));
  assert.deepEqual(slots.upcoming(at('2025-01-01T00:00:05Z'), 3).map(iso), ['2025-01-01T00:00:10.000Z', '2025-01-01T00:00:20.000Z', '2025-01-01T00:00:30.000Z']);
  // A slot time itself is the latest slot at that time, and not the next one.
  assert.equal(iso(slots.latest(at('2025-01-01T00:00:20Z'))), '2025-01-01T00:00:20.000Z');
  assert.equal(iso(slots.next(at('2025-01-01T00:00:20Z'))), '2025-01-01T00:00:30.000Z');
});

test('a daily cron in Europe/Madrid keeps 09:00 local across the spring DST change (a 23-hour day)', () => {
  const slots = new SlotTimes(checkSchedule({ cron: '0 9 * * *', timezone: 'Europe/Madrid' }, 'f'));
  const times = slots.upcoming(at('2025-03-28T12:00:00Z'), 3);
  // CET (+1) on the 29th, CEST (+2) from the 30th.
  assert.deepEqual(times.map(iso), ['2025-03-29T08:00:00.000Z', '2025-03-30T07:00:00.000Z', '2025-03-31T07:00:00.000Z']);
  assert.equal(times[1]! - times[0]!, 23 * 3600_000);
  assert.equal(iso(slots.latest(at('2025-03-30T08:00:00Z'))), '2025-03-30T07:00:00.000Z');
});

test('DST: a local time that does not exist runs at the first valid time after it; a repeated one runs once', () => {
  const slots = new SlotTimes(checkSchedule({ cron: '30 2 * * *', timezone: 'Europe/Madrid' }, 'f'));
  // 2025-03-30 02:00 → 03:00 in Madrid: 02:30 is skipped by the clocks, the slot is 03:00 CEST.
  assert.deepEqual(slots.upcoming(at('2025-03-29T00:00:00Z'), 2).map(iso), ['2025-03-29T01:30:00.000Z', '2025-03-30T01:00:00.000Z']);
  // 2025-10-26 03:00 → 02:00: 02:30 happens twice; one slot, at the first.
  const autumn = slots.upcoming(at('2025-10-25T12:00:00Z'), 2);
  assert.deepEqual(autumn.map(iso), ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z']);
});

test('DST with several of the cron\'s times in the changed hour: the skipped ones run once at the first valid time, the repeated ones once each', () => {
  const madrid = new SlotTimes(checkSchedule({ cron: '0,30 2 * * *', timezone: 'Europe/Madrid' }, 'f'));
  // 2026-03-29 02:00 → 03:00: 02:00 and 02:30 do not exist; one slot at 03:00 CEST (croner alone made none that day).
  assert.deepEqual(madrid.upcoming(at('2026-03-28T12:00:00Z'), 4).map(iso), ['2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:00:00.000Z']);
  assert.equal(iso(madrid.latest(at('2026-03-29T01:10:00Z'))), '2026-03-29T01:00:00.000Z');
  assert.equal(iso(madrid.latest(at('2026-03-29T00:59:00Z'))), '2026-03-28T01:30:00.000Z');
  // 2026-10-25 03:00 → 02:00: 02:00 and 02:30 happen twice; each runs once, the first time (croner alone: twice).
  assert.deepEqual(madrid.upcoming(at('2026-10-24T12:00:00Z'), 3).map(iso), ['2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:00:00.000Z']);
  // In the repeated hour, the latest slot is the one that ran the first time.
  assert.equal(iso(madrid.latest(at('2026-10-25T01:45:00Z'))), '2026-10-25T00:30:00.000Z');
  const hours = new SlotTimes(checkSchedule({ cron: '45 1,2 * * *', timezone: 'Europe/Madrid' }, 'f'));
  assert.deepEqual(hours.upcoming(at('2026-10-24T12:00:00Z'), 3).map(iso), ['2026-10-24T23:45:00.000Z', '2026-10-25T00:45:00.000Z', '2026-10-26T00:45:00.000Z']);
  const newYork = new SlotTimes(checkSchedule({ cron: '0,30 1 * * *', timezone: 'America/New_York' }, 'f'));
  assert.deepEqual(newYork.upcoming(at('2026-11-01T00:00:00Z'), 3).map(iso), ['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:00:00.000Z']);
  // A weekly cron on the spring change's Sunday: the skipped times run once that day, not a week later.
  const sundays = new SlotTimes(checkSchedule({ cron: '0,30 2 * * 0', timezone: 'Europe/Madrid' }, 'f'));
  assert.deepEqual(sundays.upcoming(at('2026-03-23T12:00:00Z'), 2).map(iso), ['2026-03-29T01:00:00.000Z', '2026-04-05T00:00:00.000Z']);
});

test('the machine timezone applies when a cron schedule names none; intervals count from the epoch', () => {
  const every15 = new SlotTimes(checkSchedule({ intervalSeconds: 900 }, 'f'));
  assert.deepEqual(every15.upcoming(at('2025-06-01T10:07:00Z'), 2).map(iso), ['2025-06-01T10:15:00.000Z', '2025-06-01T10:30:00.000Z']);
  assert.equal(iso(every15.latest(at('2025-06-01T10:14:59.999Z'))), '2025-06-01T10:00:00.000Z');
  const local = new SlotTimes(checkSchedule({ cron: '0 12 * * *' }, 'f'));
  const next = new Date(local.next(at('2025-06-01T00:00:00Z'))!);
  assert.equal(next.getHours(), 12);
});

test('schedules are checked: one of cron or intervalSeconds, a real timezone, known policies, parameters against the declaration', () => {
  const bad: [unknown, RegExp][] = [
    [{}, /exactly one of cron and intervalSeconds/],
    [{ cron: '0 9 * * *', intervalSeconds: 60 }, /exactly one/],
    [{ cron: '61 * * * *' }, /cron '61 \* \* \* \*' is not valid: Invalid value for minute: 61/],
    [{ cron: '* * * *' }, /^cron '\* \* \* \*' is not valid: it has 4 fields; give 5 \(minute hour day-of-month month day-of-week\), or 6 with seconds first$/],
    [{ cron: '0 0 9 * * * 2030' }, /is not valid: it has 7 fields; give 5 /],
    [{ cron: '@fortnightly' }, /not valid/],
    [{ cron: '0 9 * * *', timezone: 'Mars/Base' }, /not an IANA timezone/],
    [{ intervalSeconds: 0 }, /whole number of seconds/],
    [{ intervalSeconds: 1.5 }, /whole number of seconds/],
    [{ intervalSeconds: 60, timezone: 'UTC' }, /timezone applies to cron schedules only/],
    [{ intervalSeconds: 60, catchup: 'all' }, /catchup must be 'latest' or 'none'/],
    [{ intervalSeconds: 60, overlap: 'cancel' }, /overlap must be 'skip', 'queue' or 'allow'/],
    [{ intervalSeconds: 60, every: 5 }, /unknown schedule field 'every'/],
    [{ intervalSeconds: 60, parameters: { n: 'x' } }, /'n' must be a number/],
    [{ intervalSeconds: 60, parameters: { m: 1 } }, /unknown parameter 'm'/],
    ['0 9 * * *', /a schedule is an object/],
  ];
  for (const [value, message] of bad) {
    assert.throws(() => checkSchedule(value, 'f', { n: { type: 'number', default: 1 } }), (e: Error) => e instanceof ScheduleError && message.test(e.message), JSON.stringify(value));
  }
  assert.deepEqual(checkSchedule({ intervalSeconds: 60, parameters: {} }, 'f', { n: { type: 'number', default: 1 } }), { intervalSeconds: 60, parameters: { n: 1 } });
  assert.deepEqual(checkSchedule({ cron: ' @daily ', catchup: 'none', overlap: 'queue' }, 'f'), { cron: '@daily', catchup: 'none', overlap: 'queue' });
});

test('--every and descriptions', () => {
  assert.equal(parseEvery('15m'), 900);
  assert.equal(parseEvery('30s'), 30);
  assert.equal(parseEvery('2h'), 7200);
  assert.equal(parseEvery('1d'), 86400);
  assert.throws(() => parseEvery('15'), /like 30s, 15m, 2h, 1d or 2w/);
  // Weeks, as `prune --older-than 2w` takes them: one duration parser reads both.
  assert.equal(parseEvery('2w'), 14 * 86400);
  assert.equal(parseEvery('1.5h'), 5400);
  assert.equal(parseAge('2w', '--older-than'), parseEvery('2w') * 1000);
  assert.throws(() => parseEvery('53w'), /--every must be from 1s to 366d/);
  assert.throws(() => parseEvery('1.5s'), /whole number of seconds/);
  assert.equal(describeSchedule({ intervalSeconds: 900 }), 'every 15 min');
  assert.equal(describeSchedule({ intervalSeconds: 2 }), 'every 2 s');
  assert.equal(describeSchedule({ cron: '0 9 * * *', timezone: 'Europe/Madrid' }), 'cron 0 9 * * * (Europe/Madrid)');
});

test('Schedule Flow… presets are cron expressions: hourly, daily at a time, weekly on a day at a time; the next five times', () => {
  assert.equal(presetCron({ kind: 'hourly' }), '0 * * * *');
  assert.equal(presetCron({ kind: 'daily', time: '09:05' }), '5 9 * * *');
  assert.equal(presetCron({ kind: 'weekly', day: 'Monday', time: '7:30' }), '30 7 * * 1');
  for (const bad of ['24:00', '9', '09:60', 'nine']) assert.throws(() => presetCron({ kind: 'daily', time: bad }), ScheduleError, bad);
  const weekly = new SlotTimes(checkSchedule({ cron: presetCron({ kind: 'weekly', day: 'Sunday', time: '23:00' }), timezone: 'UTC' }, 'f'));
  assert.deepEqual(weekly.upcoming(at('2025-06-01T23:00:00Z'), 5).map(iso), [
    '2025-06-08T23:00:00.000Z',
    '2025-06-15T23:00:00.000Z',
    '2025-06-22T23:00:00.000Z',
    '2025-06-29T23:00:00.000Z',
    '2025-07-06T23:00:00.000Z',
  ]);
});

test('identical cron schedules share one parsed cron; the DST-free reading of it is parsed only across a DST gap', () => {
  // A parsed croner Cron holds some 80 KB of arrays: serve with 2,000 schedules held 2 × 2,000 of them.
  const parsed: string[] = [];
  const crons = new SharedCrons((expression, timezone) => {
    parsed.push(`${expression} ${timezone}`);
    return parseCron(expression, timezone);
  });
  const schedule = checkSchedule({ cron: '30 2 * * *', timezone: 'Europe/Madrid' }, 'f');
  const many = Array.from({ length: 50 }, () => new SlotTimes({ ...schedule }, crons));
  // No DST change in January: only the schedule's own cron, once for all fifty.
  for (const slots of many) assert.equal(iso(slots.next(at('2025-01-10T12:00:00Z'))), '2025-01-11T01:30:00.000Z');
  assert.deepEqual(parsed, ['30 2 * * * Europe/Madrid']);
  // Across the spring gap the pattern's local times are read without DST, once more, again shared.
  for (const slots of many) assert.equal(iso(slots.next(at('2025-03-29T12:00:00Z'))), '2025-03-30T01:00:00.000Z');
  assert.deepEqual(parsed, ['30 2 * * * Europe/Madrid', '30 2 * * * UTC']);
  // Another timezone or no timezone (the process's local time) is another cron.
  new SlotTimes(checkSchedule({ cron: '30 2 * * *', timezone: 'UTC' }, 'f'), crons);
  new SlotTimes(checkSchedule({ cron: '30 2 * * *' }, 'f'), crons);
  assert.deepEqual(parsed, ['30 2 * * * Europe/Madrid', '30 2 * * * UTC', '30 2 * * * undefined']);
});
