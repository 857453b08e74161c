/**
 * What a flow prints, made into whole lines before each becomes a log line. Masking finds a secret within
 * one log line: `write(token.slice(0, 10)); write(token.slice(10) + '\n')` made two log lines, each showing
 * half of the token. Now a write that does not end its line is held until the write that does, and the
 * joined line is what is logged (and masked on its way to the host).
 *
 * One line is held at a time, of one stream: a write to the other stream first lets it go as it is, so lines
 * keep the order they were written in. Lines a write ends go at once. Bounded: a held line longer than
 * MAX_HELD_CHARS, or held for HELD_MS (a prompt, a progress bar of dots), goes as it is, and so does what is
 * held when the run or the process ends (`flush`).
 */
import { LOG_LEVELS } from '../logLevels';
import { systemTimers, type Timers } from '../timers';
import type { LogLevel } from '../types';

export const MAX_HELD_CHARS = 16 * 1024;
export const HELD_MS = 250;

export type OutputStream = 'stdout' | 'stderr';

/** A line joined from writes at two levels (`process.stderr.write` then `console.error`) has the higher. */
function higher(a: LogLevel, b: LogLevel): LogLevel {
  return LOG_LEVELS.indexOf(a) >= LOG_LEVELS.indexOf(b) ? a : b;
}

/** A line ended by `\r\n` is logged without its `\r`. */
function unreturned(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

interface Held<C> {
  stream: OutputStream;
  level: LogLevel;
  text: string;
  /** Whose line it is (the run it was written in): where it goes when it is let go on its own. */
  owner: C;
  timer: unknown;
}

export class PartialLine<C> {
  private held: Held<C> | undefined;

  constructor(
    /** Logs one whole line (or a held one let go), for `owner`. */
    private readonly log: (level: LogLevel, line: string, owner: C) => void,
    /** Who writes now: the owner of the lines a write ends, and of what it leaves held. */
    private readonly currentOwner: () => C,
    /** Unref'd by default: a held line never keeps the process alive; its exit lets the line go (flush). */
    private readonly timers: Timers = systemTimers,
  ) {}

  write(stream: OutputStream, level: LogLevel, text: string): void {
    if (this.held !== undefined && this.held.stream !== stream) this.flush();
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const piece = text.slice(start, end);
      start = end + 1;
      const held = this.release();
      this.log(held === undefined ? level : higher(held.level, level), unreturned(held === undefined ? piece : held.text + piece), this.currentOwner());
    }
    if (start === text.length) return;
    const rest = text.slice(start);
    if (this.held === undefined) {
      this.held = { stream, level, text: rest, owner: this.currentOwner(), timer: this.timers.setTimeout(() => this.flush(), HELD_MS) };
    } else {
      this.held.text += rest;
      this.held.level = higher(this.held.level, level);
    }
    if (this.held.text.length > MAX_HELD_CHARS) this.flush();
  }

  /** Lets the held line go as it is, if there is one. */
  flush(): void {
    const held = this.release();
    if (held !== undefined) this.log(held.level, unreturned(held.text), held.owner);
  }

  private release(): Held<C> | undefined {
    const held = this.held;
    if (held === undefined) return undefined;
    this.timers.clearTimeout(held.timer);
    this.held = undefined;
    return held;
  }
}
