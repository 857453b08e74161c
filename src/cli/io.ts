/** What a CLI command needs from its process; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The process's stdin, made only when asked for (a question to a person at a terminal: pausePrompt.ts). */
  stdin?: TerminalInput;
}

export interface TerminalInput {
  /** Whether stdin is a terminal (a person can answer). */
  isTTY: boolean;
  open(): NodeJS.ReadableStream;
}

/** 130 = 128 + SIGINT, what shells report for a program stopped by Ctrl-C. */
export const EXIT = { ok: 0, runFailed: 1, badInput: 2, interrupted: 130 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command stopped by a signal (Ctrl-C) before it did anything: its message says so (exit 130). */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes and waits for the stream to take it (backpressure), so a long output keeps memory flat. */
export function writeDrained(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}
