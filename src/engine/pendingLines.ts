/**
 * A run's journal lines received but not yet handed to the store, in the order they came: text, and the
 * worker's bytes passed through as they came. Lines that lie next to each other in one read of the pipe
 * (a big map's `trun` lines) are kept as one span of that read: no copy and no object per line.
 */
import type { JournalText } from './journalFile';

export class PendingLines {
  private text = '';
  private parts: (string | Buffer)[] = [];
  /** The span being extended: `chunk[start, end)`. */
  private chunk: Buffer | undefined = undefined;
  private start = 0;
  private end = 0;

  /** `text`: whole lines, each ending in a newline. */
  add(text: string): void {
    if (this.chunk !== undefined) this.closeSpan();
    this.text += text;
  }

  /** `chunk[start, end)`: whole lines as the worker wrote them, each ending in a newline. */
  addBytes(chunk: Buffer, start: number, end: number): void {
    if (this.chunk === chunk && this.end === start) {
      this.end = end;
      return;
    }
    if (this.chunk !== undefined) this.closeSpan();
    else if (this.text.length > 0) {
      this.parts.push(this.text);
      this.text = '';
    }
    this.chunk = chunk;
    this.start = start;
    this.end = end;
  }

  get isEmpty(): boolean {
    return this.chunk === undefined && this.text.length === 0 && this.parts.length === 0;
  }

  /** Everything pending, taken out: a plain text when no bytes came. */
  take(): JournalText {
    if (this.chunk !== undefined) this.closeSpan();
    if (this.parts.length === 0) {
      const text = this.text;
      this.text = '';
      return text;
    }
    const parts = this.parts;
    if (this.text.length > 0) parts.push(this.text);
    this.parts = [];
    this.text = '';
    return parts;
  }

  private closeSpan(): void {
    this.parts.push(this.chunk!.subarray(this.start, this.end));
    this.chunk = undefined;
  }
}
