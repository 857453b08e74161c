/**
 * Log lines as a terminal shows them: Prefect's format, with whatever the flow wrote made harmless
 * (neutraliseTerminal) — and, where the stream shows colours, the level coloured as a console colours it:
 * warnings yellow, errors red, critical bold red, debug dim. Whether it does is Node's `hasColors` (a
 * terminal, unless NO_COLOR, NODE_DISABLE_COLORS or TERM=dumb say otherwise; FORCE_COLOR forces it): a
 * pipe or a file gets the plain line.
 */
import { formatLogLine } from '../engine/logFormat';
import type { LogRecord } from '../engine/records';
import { neutraliseTerminal } from '../engine/terminalText';

type Line = Pick<LogRecord, 'ts' | 'level' | 'source' | 'message'>;

/** Where the level begins: after `HH:MM:SS.mmm | `. */
const LEVEL_AT = 15;
const COLORS: Partial<Record<string, string>> = { DEBUG: '\x1b[2m', WARNING: '\x1b[33m', ERROR: '\x1b[31m', CRITICAL: '\x1b[1;31m' };
const RESET = '\x1b[0m';

/** How `stream` shows a log line. */
export function terminalLogLine(stream: NodeJS.WritableStream): (record: Line) => string {
  const plain = (r: Line): string => neutraliseTerminal(formatLogLine(r));
  if ((stream as { hasColors?: () => boolean }).hasColors?.() !== true) return plain;
  return (r) => {
    const line = plain(r);
    const color = COLORS[r.level];
    if (color === undefined) return line;
    const end = LEVEL_AT + r.level.length;
    return `${line.slice(0, LEVEL_AT)}${color}${line.slice(LEVEL_AT, end)}${RESET}${line.slice(end)}`;
  };
}
