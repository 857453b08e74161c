/** Which log lines `flowdeck logs` prints: `--level` (at least), `--task` (a task's runs), `--tail N`, `--json`. */
import { LOG_LEVELS } from '../engine/logLevels';
import type { LogRecord } from '../engine/records';
import { decimalNumber } from './decimalNumber';
import type { LogLevel } from '../engine/types';
import { UsageError } from './io';

/** At most this many lines held for `--tail`. */
export const MAX_TAIL = 1_000_000;

export interface LogFilter {
  /** Whether the line is printed. */
  accepts(log: LogRecord): boolean;
  /** Only the last this many lines (of those accepted) of what is stored. */
  tail?: number;
  /** A line as text: Prefect's format, or one JSON object. */
  json: boolean;
  /** With --task: the name given, and whether a task run (by its name, `fetch-0`) is one it chooses. */
  task?: { name: string; chooses(taskRunName: string): boolean };
}

export interface LogFilterOptions {
  level?: string;
  task?: string;
  tail?: string;
  json?: boolean;
}

export function logFilterOf(options: LogFilterOptions): LogFilter {
  const filter: LogFilter = { accepts: () => true, json: options.json === true };
  const tests: ((l: LogRecord) => boolean)[] = [];
  if (options.level !== undefined) {
    const min = LOG_LEVELS.indexOf(options.level.trim().toUpperCase() as LogLevel);
    if (min === -1) throw new UsageError(`--level takes one of ${LOG_LEVELS.map((l) => l.toLowerCase()).join(', ')} (that level and above); got '${options.level}'`);
    if (min > 0) tests.push((l) => LOG_LEVELS.indexOf(l.level) >= min);
  }
  if (options.task !== undefined) {
    const name = options.task.trim();
    if (name === '') throw new UsageError("--task takes a task's name (`fetch`: its runs fetch-0, fetch-1…) or a task run's name");
    const numbered = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
    const chooses = (taskRunName: string): boolean => taskRunName === name || numbered.test(taskRunName);
    filter.task = { name, chooses };
    const taskRunSource = /^Task run '(.*)'$/s;
    tests.push((l) => {
      const source = taskRunSource.exec(l.source);
      return source !== null && chooses(source[1]!);
    });
  }
  if (tests.length > 0) filter.accepts = (l) => tests.every((t) => t(l));
  if (options.tail !== undefined) {
    const n = decimalNumber(options.tail);
    if (n === undefined || !(n >= 1 && n <= MAX_TAIL)) throw new UsageError(`--tail must be a whole number from 1 to ${MAX_TAIL.toLocaleString('en-US')}, got '${options.tail}'`);
    filter.tail = n;
  }
  return filter;
}

/** A line for `--json`: one object per line (JSON Lines), its time in ISO 8601. */
export function logJson(l: LogRecord): string {
  return JSON.stringify({ time: new Date(l.ts).toISOString(), level: l.level, source: l.source, message: l.message, ...(l.taskRunId !== undefined ? { taskRunId: l.taskRunId } : {}) });
}

/** Keeps the last `n` items pushed. */
export class Tail<T> {
  private readonly items: T[] = [];
  private start = 0;
  constructor(private readonly n: number) {}

  push(item: T): void {
    if (this.items.length < this.n) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.n;
    }
  }

  drain(): T[] {
    const out = [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
    this.items.length = 0;
    this.start = 0;
    return out;
  }
}
