/** Prefect's log line: `%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s`. */
import type { LogRecord } from './records';

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** The `HH:MM:SS.` of the epoch second last formatted: a burst of log lines shares its second. */
let lastSecond = Number.NaN;
let lastPrefix = '';

/** `HH:MM:SS.mmm` in local time, like Prefect's default handler. */
export function formatTime(ts: number): string {
  // As Date reads a time value: truncated to a whole millisecond.
  const t = Math.trunc(ts);
  const second = Math.floor(t / 1000);
  if (second !== lastSecond) {
    const d = new Date(second * 1000);
    lastPrefix = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.`;
    lastSecond = second;
  }
  const ms = t - second * 1000;
  return `${lastPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

export function formatLogLine(record: Pick<LogRecord, 'ts' | 'level' | 'source' | 'message'>): string {
  return `${formatTime(record.ts)} | ${record.level.padEnd(7)} | ${record.source} - ${record.message}`;
}

export const ENGINE_SOURCE = 'flowdeck.engine';

export function flowRunSource(runName: string): string {
  return `Flow run '${runName}'`;
}

export function taskRunSource(taskRunName: string): string {
  return `Task run '${taskRunName}'`;
}
