/**
 * A flow's row in the Flows view: its next time, or — when the window's scheduler refuses its schedule
 * (parameters holding a secret the editor knows) — that it is refused, never a next time that will not come.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScheduleView } from '../../src/engine/schedules/scheduleEntries';
import { flowScheduleDescription, REFUSED_TEXT, scheduleStateText } from '../../src/extension/flows/flowScheduleText';

const clock = (ms: number): string => `t${ms}`;

function view(id: string, fields: Partial<ScheduleView> = {}): ScheduleView {
  return { entry: { id, flowName: 'hello', source: '/ws/hello.flow.ts', schedule: { cron: '0 9 * * *', parameters: { token: '***' } }, origin: 'code' }, paused: false, ...fields };
}

test('a refused schedule says so on its row and in its tooltip, not a next time', { timeout: 10_000 }, () => {
  const refused = view('a', { refused: '{"token":"***"}' });
  assert.equal(flowScheduleDescription([refused], clock), REFUSED_TEXT);
  assert.equal(REFUSED_TEXT, 'schedule refused: parameters hold a secret');
  assert.match(scheduleStateText(refused, clock), /^refused, not run: a parameter holds a secret \(\{"token":"\*\*\*"\}\)/);
  // Refused and paused: refused is what stops it.
  assert.equal(flowScheduleDescription([view('b', { refused: '{"token":"***"}', paused: true })], clock), REFUSED_TEXT);
});

test('a flow with a schedule that runs and one refused shows the next time and how many are refused', { timeout: 10_000 }, () => {
  assert.equal(flowScheduleDescription([view('a', { refused: '{}' }), view('b', { next: 5 }), view('c', { next: 3 })], clock), 'next t3 (1 refused: parameters hold a secret)');
});

test('otherwise as before: the earliest next time, or paused', { timeout: 10_000 }, () => {
  assert.equal(flowScheduleDescription([view('a', { next: 7 }), view('b', { paused: true })], clock), 'next t7');
  assert.equal(flowScheduleDescription([view('a', { paused: true })], clock), 'schedule paused');
  assert.equal(scheduleStateText(view('a', { paused: true }), clock), 'paused');
  assert.equal(scheduleStateText(view('a', { next: 7 }), clock), 'next t7');
  assert.equal(scheduleStateText(view('a'), clock), 'no next run');
});
