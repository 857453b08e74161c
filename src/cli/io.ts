/** What a CLI command needs from its process; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** 130 = 128 + SIGINT, what shells report for a program stopped by Ctrl-C. */
export const EXIT = { ok: 0, runFailed: 1, badInput: 2, interrupted: 130 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
