/**
 * What the CLI prints as a terminal shows it: log lines in Prefect's format, with whatever the flow wrote
 * made harmless (neutraliseTerminal), and state names — where the stream shows colours, coloured as a
 * console colours them: warnings and cancels yellow, errors and failures red, critical bold red, debug dim,
 * completions green. Whether it does is Node's `hasColors` (a terminal, unless NO_COLOR,
 * NODE_DISABLE_COLORS or TERM=dumb say otherwise; FORCE_COLOR forces it): a pipe or a file gets plain text.
 */
import { formatLogLine } from '../engine/logFormat';
import type { LogRecord } from '../engine/records';
import type { State, StateType } from '../engine/states';
import { neutraliseTerminal } from '../engine/terminalText';

type Line = Pick<LogRecord, 'ts' | 'level' | 'source' | 'message'>;

/** Where the level begins: after `HH:MM:SS.mmm | `. */
const LEVEL_AT = 15;
const COLORS: Partial<Record<string, string>> = { DEBUG: '\x1b[2m', WARNING: '\x1b[33m', ERROR: '\x1b[31m', CRITICAL: '\x1b[1;31m' };
const STATE_COLORS: Partial<Record<StateType, string>> = { COMPLETED: '\x1b[32m', FAILED: '\x1b[31m', CRASHED: '\x1b[31m', CANCELLED: '\x1b[33m', CANCELLING: '\x1b[33m' };
const RESET = '\x1b[0m';

/** Whether `stream` shows colours (Node's `hasColors`). */
export function showsColors(stream: NodeJS.WritableStream): boolean {
  return (stream as { hasColors?: () => boolean }).hasColors?.() === true;
}

/**
 * How `stream` shows a state's name in a column `width` wide: padded, then coloured by its type (so the
 * column lines up whatever the colour codes' length).
 */
export function terminalStateName(stream: NodeJS.WritableStream): (state: Pick<State, 'type' | 'name'>, width: number) => string {
  const colors = showsColors(stream);
  return (s, width) => {
    const cell = neutraliseTerminal(s.name).padEnd(width);
    const color = colors ? STATE_COLORS[s.type] : undefined;
    return color === undefined ? cell : `${color}${cell.trimEnd()}${RESET}${cell.slice(cell.trimEnd().length)}`;
  };
}

/** How `stream` shows a log line. */
export function terminalLogLine(stream: NodeJS.WritableStream): (record: Line) => string {
  const plain = (r: Line): string => neutraliseTerminal(formatLogLine(r));
  if (!showsColors(stream)) return plain;
  return (r) => {
    const line = plain(r);
    const color = COLORS[r.level];
    if (color === undefined) return line;
    const end = LEVEL_AT + r.level.length;
    return `${line.slice(0, LEVEL_AT)}${color}${line.slice(LEVEL_AT, end)}${RESET}${line.slice(end)}`;
  };
}
