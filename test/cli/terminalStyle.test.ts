/** On a terminal that shows colours a log line's level and a state's name are coloured; anywhere else the text is plain. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { formatLogLine } from '../../src/engine/logFormat';
import type { LogLevel } from '../../src/engine/records';
import { terminalLogLine, terminalStateName } from '../../src/cli/terminalStyle';

const at = new Date(2026, 11, 5, 9, 8, 7, 6).getTime();
const line = (level: LogLevel, message = 'said') => ({ ts: at, level, source: "Flow run 'x'", message });
/** A stream as a terminal is to Node: `hasColors()` answers (it reads NO_COLOR, FORCE_COLOR, TERM). */
const terminal = (colors: boolean) => Object.assign(new PassThrough(), { hasColors: () => colors });

test('on a terminal with colours: warnings yellow, errors red, critical bold red, debug dim, info as it is', { timeout: 10_000 }, () => {
  const shown = terminalLogLine(terminal(true));
  assert.equal(shown(line('WARNING')), "09:08:07.006 | \x1b[33mWARNING\x1b[0m | Flow run 'x' - said");
  assert.equal(shown(line('ERROR')), "09:08:07.006 | \x1b[31mERROR\x1b[0m   | Flow run 'x' - said");
  assert.equal(shown(line('CRITICAL')), "09:08:07.006 | \x1b[1;31mCRITICAL\x1b[0m | Flow run 'x' - said");
  assert.equal(shown(line('DEBUG')), "09:08:07.006 | \x1b[2mDEBUG\x1b[0m   | Flow run 'x' - said");
  assert.equal(shown(line('INFO')), formatLogLine(line('INFO')));
  // What the flow wrote is still made harmless: only Flowdeck's own colour codes reach the terminal.
  const sneaky = shown(line('ERROR', 'red \x1b[2J cleared'));
  assert.equal(sneaky.split('\x1b').length - 1, 2, JSON.stringify(sneaky));
});

test('a pipe, a file, or a terminal told NO_COLOR gets the plain line', { timeout: 10_000 }, () => {
  for (const stream of [new PassThrough(), terminal(false)]) {
    assert.equal(terminalLogLine(stream)(line('ERROR')), formatLogLine(line('ERROR')));
  }
});

test("a state's name in a table column: coloured by its type on a terminal with colours, padded to the column either way", { timeout: 10_000 }, () => {
  const coloured = terminalStateName(terminal(true));
  assert.equal(coloured({ type: 'FAILED', name: 'TimedOut' }, 10), '\x1b[31mTimedOut\x1b[0m  ');
  assert.equal(coloured({ type: 'COMPLETED', name: 'Cached' }, 9), '\x1b[32mCached\x1b[0m   ');
  assert.equal(coloured({ type: 'RUNNING', name: 'Running' }, 9), 'Running  ');
  assert.equal(terminalStateName(new PassThrough())({ type: 'FAILED', name: 'Failed' }, 9), 'Failed   ');
});
