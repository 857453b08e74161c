/**
 * The real CLI with a pseudo-terminal for its stdout and stderr (util-linux `script`), for what it does
 * differently at a terminal than into a pipe. What it printed comes back with the terminal's `\r\n` as `\n`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './engine';

/** Whether `script` is installed; tests that need it skip with this reason when it is not. */
export const NO_PSEUDO_TERMINAL: string | undefined = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : 'util-linux script (a pseudo-terminal) is not installed';

export function runCliAtTerminal(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: options.cwd, env: { ...process.env, ...options.env, COLUMNS: '200' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`flowdeck ${args.join(' ')} at a terminal did not end within ${timeoutMs / 1000} s; it printed:\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, output: output.replace(/\r\n/g, '\n') });
    });
  });
}
