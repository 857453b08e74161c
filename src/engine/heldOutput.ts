/**
 * What a worker prints before its run exists — the flow file's top level as it is imported (`console.log`,
 * `console.warn`), a native module's own writes — held until the run is there to take it as log lines, as
 * its output during the run is, or said with the load's error when no run is made. Bounded: the first
 * HELD_OUTPUT_LINES lines and HELD_OUTPUT_CHARS characters are kept, the others counted. Lines are held as
 * given: the caller masks them first (a line cut after it was masked shows no part of a secret).
 */
export const HELD_OUTPUT_LINES = 100;
export const HELD_OUTPUT_CHARS = 16 * 1024;

export interface HeldLine {
  stream: 'stdout' | 'stderr';
  line: string;
  ts: number;
}

export class HeldOutput {
  private held: HeldLine[] = [];
  private chars = 0;
  private left = 0;

  add(stream: 'stdout' | 'stderr', line: string, ts = Date.now()): void {
    if (this.held.length >= HELD_OUTPUT_LINES || this.chars + line.length > HELD_OUTPUT_CHARS) {
      this.left++;
      return;
    }
    this.held.push({ stream, line, ts });
    this.chars += line.length;
  }

  get empty(): boolean {
    return this.held.length === 0 && this.left === 0;
  }

  /** What is held, and the line saying how many were left out (when some were); empties it. */
  take(): { lines: HeldLine[]; leftOut: string | undefined } {
    const taken = { lines: this.held, leftOut: this.leftOutText() };
    this.held = [];
    this.chars = 0;
    this.left = 0;
    return taken;
  }

  /**
   * For a load's error: what was printed (to `only` that stream, when given), after a newline, or nothing
   * when nothing was; empties it.
   */
  said(only?: 'stdout' | 'stderr'): string {
    const { lines, leftOut } = this.take();
    const shown = lines.filter((l) => only === undefined || l.stream === only).map((l) => `  ${l.line}`);
    if (leftOut !== undefined) shown.push(`  (${leftOut})`);
    return shown.length === 0 ? '' : `\nWhat it printed${only === 'stdout' ? ' to stdout' : ''} as it loaded:\n${shown.join('\n')}`;
  }

  private leftOutText(): string | undefined {
    if (this.left === 0) return undefined;
    return `${this.left} more line${this.left === 1 ? '' : 's'} printed as the flow loaded left out: the first ${HELD_OUTPUT_LINES} lines, up to ${HELD_OUTPUT_CHARS / 1024} KiB, are kept`;
  }
}
