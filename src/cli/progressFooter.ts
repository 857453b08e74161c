/**
 * A run's progress on the terminal's last line while it goes (`⏵ import 45%: Imported 450 of 1,000 files`),
 * below its log lines: erased before anything else is written and drawn again after it, so it never mixes
 * into the log. Only on a terminal (stderr a TTY that shows colours); a pipe or a file gets the log alone.
 */
import stringWidth from 'string-width';
import { progressText } from '../engine/artifacts';
import type { ArtifactRecord } from '../engine/records';
import { neutraliseTerminal } from '../engine/terminalText';
import { showsColors } from './terminalStyle';

/** Back to the line's start, and the line cleared. */
const ERASE = '\r\x1b[2K';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` in at most `columns` terminal columns, cut with `…` where it is wider. Counted in columns, not
 * characters: a CJK character or an emoji takes two, a combining mark none. Cut between graphemes, so no
 * emoji is left half drawn.
 */
function fitColumns(text: string, columns: number): string {
  if (stringWidth(text) <= columns) return text;
  let cut = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const width = stringWidth(segment);
    if (used + width > columns - 1) break;
    cut += segment;
    used += width;
  }
  return `${cut}…`;
}

type Terminal = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export class ProgressFooter {
  private shown = '';

  private constructor(private readonly stream: Terminal) {}

  /** A footer for `stream`, or undefined where it is no terminal. */
  static for(stream: NodeJS.WritableStream): ProgressFooter | undefined {
    const t = stream as Terminal;
    return t.isTTY === true && showsColors(t) ? new ProgressFooter(t) : undefined;
  }

  /** Shows a progress artifact's update. */
  progress(record: ArtifactRecord): void {
    if (record.data.kind !== 'progress') return;
    const { progress, description } = record.data;
    const text = neutraliseTerminal(`${record.key} ${progressText(progress)}${description ? `: ${description}` : ''}`).replace(/\s+/g, ' ');
    // One line, never wrapped (a wrapped line could not be erased): cut to the terminal's width.
    const columns = this.stream.columns;
    const width = columns !== undefined && columns >= 20 ? columns - 1 : 79;
    const line = `\x1b[2m⏵ ${fitColumns(text, width - 2)}\x1b[0m`;
    if (line === this.shown) return;
    this.shown = line;
    this.stream.write(`${ERASE}${line}`);
  }

  /** `text` (whole lines) written above the footer, in one write. */
  around(text: string): string {
    return this.shown === '' ? text : `${ERASE}${text}${this.shown}`;
  }

  /** Takes the footer away (the run ended). */
  clear(): void {
    if (this.shown === '') return;
    this.shown = '';
    this.stream.write(ERASE);
  }
}
