/**
 * A worker that runs out of memory is ended by Node itself: V8 prints its last garbage collections and a
 * "FATAL ERROR: … JavaScript heap out of memory" line on stderr and aborts (SIGABRT), with no exit handler
 * run and nothing said on the event pipe. Read from its stderr as it comes, that is what the Crashed run
 * says it died of, with the heap's size at the end, instead of a bare "signal SIGABRT".
 */

/** The heap's size (MB) after V8's last collection: "… Mark-Compact (reduce) 4093.4 (4105.8) -> 4093.4 (4098.8) MB, …". */
const LAST_GC = /\bms: (?:Mark-Compact|Scavenge|Mark-sweep)\b[^>]*-> ([\d.]+) \([\d.]+\) MB/;
const FATAL = /^FATAL ERROR: .*JavaScript heap out of memory/;

/** What to do about a process out of memory, whichever way it ran out. */
const HOLD_LESS = 'Hold less at once (read and process data in parts, keep fewer results in memory)';

/**
 * What a buffer the system refused memory for (a limit on the process's memory, `ulimit -v`; a machine out
 * of it) is, for its message: V8 throws RangeError "Array buffer allocation failed", naming no memory, and
 * the process lives on. Undefined for any other error.
 */
export function allocationFailure(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'RangeError' || error.message !== 'Array buffer allocation failed') return undefined;
  return `the process ran out of memory: the system, or a limit on the process's memory (\`ulimit -v\`), refused a buffer. ${HOLD_LESS}, or raise the limit`;
}

export class OutOfMemoryWatch {
  private heapMb: number | undefined;
  private said: string | undefined;

  /** Reads one line of the worker's stderr. */
  line(text: string): void {
    const gc = LAST_GC.exec(text);
    if (gc) {
      this.heapMb = Number(gc[1]);
      return;
    }
    if (this.said !== undefined || !FATAL.test(text)) return;
    const size = this.heapMb !== undefined && Number.isFinite(this.heapMb) ? ` at ${Math.round(this.heapMb).toLocaleString('en')} MB` : '';
    this.said =
      `running out of memory: its JavaScript heap reached Node's limit${size}. ${HOLD_LESS}, or raise the limit with NODE_OPTIONS=--max-old-space-size=<MB>`;
  }

  /**
   * What the worker died of — for "… (signal SIGABRT) after …" — when it ran out of memory: Node aborts
   * then, so a worker that only printed those words and ended otherwise did not.
   */
  diedOf(how: { signal: NodeJS.Signals | null }): string | undefined {
    return how.signal === 'SIGABRT' ? this.said : undefined;
  }
}
