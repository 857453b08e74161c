import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withAlpha } from '../../src/webview/color';
import { formatDay, formatDelta, formatDuration, formatSeconds, metricInfo } from '../../src/webview/format';

describe('formatting', () => {
  it('signs deltas with a real minus sign and calls zero flat', () => {
    assert.deepEqual(formatDelta(0), { text: '±0', trend: 'flat' });
    assert.equal(formatDelta(12).trend, 'up');
    assert.match(formatDelta(12).text, /^\+12$/);
    assert.deepEqual(formatDelta(-3), { text: '\u22123', trend: 'down' });
  });

  it('reads seconds as m:ss and h:mm:ss', () => {
    assert.equal(formatSeconds(125), '2:05');
    assert.equal(formatSeconds(59.6), '1:00');
    assert.equal(formatSeconds(3725), '1:02:05');
  });

  it('scales run durations', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_400), '12 s');
    assert.equal(formatDuration(1_234), '1.2 s');
    assert.equal(formatDuration(185_000), '3 min 5 s');
    assert.equal(formatDuration(2 * 3_600_000 + 4 * 60_000), '2 h 4 min');
  });

  it('prints days without shifting them by time zone', () => {
    assert.equal(formatDay('2024-06-04'), 'Jun 4');
    assert.equal(formatDay('2024-12-31', true), 'Dec 31, 2024');
    assert.equal(formatDay('garbage'), 'garbage');
  });

  it('labels known metrics and still names unknown ones', () => {
    assert.equal(metricInfo('estimatedMinutesWatched').label, 'Minutes watched');
    assert.equal(metricInfo('averageViewDuration').format(161), '2:41');
    assert.equal(metricInfo('cardClickRate').label, 'Card Click Rate');
  });
});

describe('withAlpha', () => {
  it('understands the colour forms VS Code themes use', () => {
    assert.equal(withAlpha('#3794ff', 0.2), 'rgba(55, 148, 255, 0.2)');
    assert.equal(withAlpha('#fff', 0.5), 'rgba(255, 255, 255, 0.5)');
    assert.equal(withAlpha('#ffffff80', 0.5), 'rgba(255, 255, 255, 0.251)');
    assert.equal(withAlpha('rgba(204, 204, 204, 0.5)', 0.5), 'rgba(204, 204, 204, 0.25)');
    assert.equal(withAlpha('rgb(1 2 3)', 1), 'rgba(1, 2, 3, 1)');
  });

  it('returns what it cannot parse unchanged', () => {
    assert.equal(withAlpha('red', 0.3), 'red');
    assert.equal(withAlpha('#12345', 0.3), '#12345');
  });
});
