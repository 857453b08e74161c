import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBatcher } from '../../src/extension/output/lineBatcher';
import { Throttle } from '../../src/extension/util/throttle';
import { handTimers } from '../support/handTimers';

test('4,000 lines written in one burst reach the channel in one append', () => {
  const timers = handTimers();
  const appends: string[] = [];
  const batcher = new LineBatcher((text) => appends.push(text), 50, timers);
  for (let i = 0; i < 4_000; i++) batcher.push(`line ${i}`);
  assert.equal(appends.length, 0, 'nothing is written synchronously');
  timers.advance(0);
  assert.equal(appends.length, 1);
  assert.equal(appends[0]!.split('\n').length, 4_001, 'every line, each ending in a newline');
  assert.ok(appends[0]!.startsWith('line 0\nline 1\n'));
  assert.ok(appends[0]!.endsWith('line 3999\n'));
});

test('a burst larger than the output can show keeps the tail and says how many lines were skipped', () => {
  const timers = handTimers();
  const appends: string[] = [];
  const batcher = new LineBatcher((text) => appends.push(text), 50, timers, 5000);
  for (let i = 0; i < 50_000; i++) batcher.push(`line ${i}`);
  timers.advance(0);
  assert.equal(appends.length, 1);
  const lines = appends[0]!.trimEnd().split('\n');
  assert.equal(lines.length, 5001);
  assert.match(lines[0]!, /^… 45,000 lines skipped: .* Show Logs has every line$/);
  assert.equal(lines[1], 'line 45000');
  assert.equal(lines.at(-1), 'line 49999');
  batcher.push('after');
  timers.advance(50);
  assert.equal(appends[1], 'after\n', 'the count starts again');
});

test('a steady stream is appended at most once per interval', () => {
  const timers = handTimers();
  const appends: string[] = [];
  const batcher = new LineBatcher((text) => appends.push(text), 50, timers);
  // One line every 5 ms for one second.
  for (let t = 0; t < 1000; t += 5) {
    batcher.push(`at ${t}`);
    timers.advance(5);
  }
  timers.advance(100);
  assert.ok(appends.length <= 1000 / 50 + 1, `${appends.length} appends`);
  assert.equal(appends.join('').split('\n').length - 1, 200, 'no line lost');
});

test('flush writes what is pending right away, in order', () => {
  const timers = handTimers();
  const appends: string[] = [];
  const batcher = new LineBatcher((text) => appends.push(text), 50, timers);
  batcher.push('a');
  batcher.push('b');
  batcher.flush();
  assert.deepEqual(appends, ['a\nb\n']);
  assert.equal(timers.pending(), 0);
  batcher.flush();
  assert.deepEqual(appends, ['a\nb\n'], 'nothing pending: no empty append');
});

test('dispose writes the last lines and stops', () => {
  const timers = handTimers();
  const appends: string[] = [];
  const batcher = new LineBatcher((text) => appends.push(text), 50, timers);
  batcher.push('last');
  batcher.dispose();
  assert.deepEqual(appends, ['last\n']);
});

test('a throttle runs on the next tick after a quiet spell, then at most once per interval', () => {
  const timers = handTimers();
  let runs = 0;
  const throttle = new Throttle(150, () => runs++, timers);
  throttle.schedule();
  throttle.schedule();
  timers.advance(0);
  assert.equal(runs, 1);
  throttle.schedule();
  timers.advance(100);
  assert.equal(runs, 1, 'the second run waits for the interval');
  timers.advance(50);
  assert.equal(runs, 2);
  throttle.dispose();
  throttle.schedule();
  timers.advance(1000);
  assert.equal(runs, 2, 'a disposed throttle stays quiet');
});
