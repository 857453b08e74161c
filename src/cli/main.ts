/** `flowdeck`: run flows headless, against the same store as the VS Code extension. */
import { join } from 'node:path';
import { SecretMasker, maskError, secretsFromEnv } from '../engine/secrets';
import { neutraliseTerminal } from '../engine/terminalText';
import { artifactsCommand } from './commands/artifacts';
import { cacheCommand } from './commands/cache';
import { cancelCommand } from './commands/cancel';
import { checkCommand } from './commands/check';
import { deleteCommand } from './commands/delete';
import { flowsCommand } from './commands/flows';
import { inspectCommand } from './commands/inspect';
import { limitCommand } from './commands/limit';
import { pruneCommand } from './commands/prune';
import { logsCommand } from './commands/logs';
import { resumeCommand } from './commands/resume';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { scheduleCommand } from './commands/schedule';
import { schedulesCommand } from './commands/schedules';
import { serveCommand } from './commands/serve';
import { StoreHomeError, StoreSettingError, StoreUrlError, StoreWriteError, reasonOf } from '../engine/storeErrors';
import { variableCommand, variablesCommand } from './commands/variable';
import { VariableError } from '../engine/variables';
import { workerCommand } from './commands/worker';
import { StoreOptionError, takeStoreOption } from './storeOption';
import { unusableStoreFile } from './storeFileError';
import { EXIT, InterruptedError, UsageError, write, type CliIo, type TerminalInput } from './io';
import { asksForJson, jsonOutputIo } from './jsonOutput';

const HELP = `Usage: flowdeck <command> [options]

Commands:
  run <file | built-in id>   run a flow (built-ins: github-repo-stats, youtube-channel-analytics)
  resume <run>               resume a failed or crashed run from its checkpoints, or a paused or suspended one
  cancel <run>               cancel a run wherever it runs (a terminal, VS Code, a worker) and wait for its end
  runs                       run history, newest first
  inspect <run>              one run in detail: state, where it failed, parameters, result, task runs
  delete <run>...            delete finished runs with their subflow runs, logs and results
  prune                      delete old finished runs: --keep N, --older-than AGE (--dry-run lists them)
  logs <run id or name>      the stored logs of a run
  artifacts <run id or name> the charts, tables, markdown and links a run created
  flows [file or folder]     the flows in flow files, without running them
  check [file or folder...]  type-check flow files with the workspace's TypeScript
  serve [file or folder...]  run schedules until stopped (for a service manager)
  schedule add|pause|resume|rm   add a schedule to the store; pause, resume or remove one
  schedules                  every schedule with its next run time, source and state
  limit set|ls|rm            concurrency limits by tag (github-api, youtube-api, your own)
  variable set|get|ls|rm     named JSON values flows read (getVariable): configuration without editing code
  cache ls|clear             task results kept for caching (cacheKey): list them, clear a task's
  auth youtube               connect a YouTube account (OAuth) for youtube-channel-analytics
  worker                     take runs queued on a Postgres store and run them (flowdeck worker --help)

Run \`flowdeck help <command>\` (or \`flowdeck <command> --help\`) for a command's options.
Every command takes --store URL: a postgres:// URL for a store several machines share (FLOWDECK_STORE).
Environment: FLOWDECK_HOME (store, default ~/.flowdeck), FLOWDECK_STORE, FLOWDECK_STORE_SCHEMA,
FLOWDECK_HEARTBEAT_SECONDS, FLOWDECK_LEASE_SECONDS (Postgres), FLOWDECK_WORKER_START_SECONDS,
GITHUB_TOKEN, FLOWDECK_GITHUB_API_URL, FLOWDECK_GOOGLE_API_URL, FLOWDECK_GOOGLE_TOKEN_URL,
FLOWDECK_GOOGLE_CLIENT_ID, FLOWDECK_GOOGLE_CLIENT_SECRET, FLOWDECK_YOUTUBE_REFRESH_TOKEN,
FLOWDECK_NOTIFY_URL (serve).`;

type Command = (argv: string[], io: CliIo) => Promise<number>;

const AUTH_HELP = `Usage: flowdeck auth youtube --client-secret client_secret.json

Connects an account for a built-in flow. Services: youtube (for youtube-channel-analytics).
GitHub needs no command: set GITHUB_TOKEN, or sign in to GitHub from Flowdeck in VS Code.
\`flowdeck auth youtube --help\` lists its options.`;

async function auth(argv: string[], io: CliIo): Promise<number> {
  const [service, ...rest] = argv;
  if (service === 'youtube') {
    // A bundle of its own (Google's OAuth client is large): loaded only by the command that needs it.
    const { authYoutubeCommand } = require(join(__dirname, 'cli-auth.js')) as typeof import('./commands/authYoutube');
    return authYoutubeCommand(rest, io);
  }
  if (service === '--help' || service === '-h') {
    write(io.stdout, AUTH_HELP);
    return EXIT.ok;
  }
  const what = service === undefined ? 'a service is needed' : `unknown service '${neutraliseTerminal(service)}'`;
  write(io.stderr, `flowdeck auth: ${what}; the services are: youtube${service === 'github' ? ' (GitHub needs no command: set GITHUB_TOKEN, or sign in to GitHub from Flowdeck in VS Code)' : ''}\n\n${AUTH_HELP}`);
  return EXIT.badInput;
}

/** Every command, by name (`flowdeck help NAME` and `flowdeck NAME --help` answer for each). */
export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  resume: resumeCommand,
  cancel: cancelCommand,
  runs: runsCommand,
  inspect: inspectCommand,
  delete: deleteCommand,
  prune: pruneCommand,
  logs: logsCommand,
  artifacts: artifactsCommand,
  flows: flowsCommand,
  check: checkCommand,
  serve: serveCommand,
  schedule: scheduleCommand,
  schedules: schedulesCommand,
  limit: limitCommand,
  variable: variableCommand,
  variables: variablesCommand,
  cache: cacheCommand,
  auth,
  worker: workerCommand,
};

export async function main(args: string[], cliIo: CliIo): Promise<number> {
  let argv: string[];
  let env: NodeJS.ProcessEnv;
  try {
    ({ argv, env } = takeStoreOption(args, cliIo.env));
  } catch (e) {
    if (!(e instanceof StoreOptionError)) throw e;
    write(cliIo.stderr, `flowdeck: ${e.message}`);
    return EXIT.badInput;
  }
  const io = env === cliIo.env ? cliIo : { ...cliIo, env };
  const [name, ...rest] = argv;
  // `flowdeck help --help` (and `-h`, `help help`) asks for help's own help: the top-level text.
  if (name === 'help' && rest.length > 0 && !['--help', '-h', 'help'].includes(rest[0]!)) {
    // `flowdeck help run` is `flowdeck run --help`.
    const topic = COMMANDS[rest[0]!];
    if (topic) return topic(['--help'], io);
    write(io.stderr, `flowdeck help: unknown command '${neutraliseTerminal(rest[0]!)}'\n\n${HELP}`);
    return EXIT.badInput;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    write(name === undefined ? io.stderr : io.stdout, HELP);
    return name === undefined ? EXIT.badInput : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    write(io.stdout, process.env.FLOWDECK_VERSION ?? '0.1.0');
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    write(io.stderr, `flowdeck: unknown command '${neutraliseTerminal(name)}'\n\n${HELP}`);
    return EXIT.badInput;
  }
  try {
    // Whatever the command, its --json text reaches stdout terminal-safe (jsonOutput.ts).
    return await command(rest, asksForJson(rest) ? jsonOutputIo(io) : io);
  } catch (e) {
    // A store that cannot be used (an unusable folder, a URL that is not one, a database that refuses) is
    // bad input, and its message names what to fix — never the connection string's password.
    if (e instanceof StoreHomeError || e instanceof StoreUrlError || e instanceof StoreSettingError || (e as Error).name === 'PostgresStoreError') {
      write(io.stderr, `flowdeck: ${neutraliseTerminal(maskStoreSecrets((e as Error).message, io.env))}`);
      return EXIT.badInput;
    }
    // A write the system refused before any run could record it (a full disk): what to do, never a stack.
    // Not a bug of Flowdeck's; exit 2, as for a store that cannot be used. A run it stopped ends Failed (exit 1) without coming here.
    const refused = refusedWrite(e, name);
    if (refused !== undefined) {
      write(io.stderr, `flowdeck ${name}: ${neutraliseTerminal(maskStoreSecrets(refused, io.env))}`);
      return EXIT.badInput;
    }
    // A file of the store in the way or out of reach (a folder where a file goes, a file of mode 000).
    const unusable = unusableStoreFile(e, io.env);
    if (unusable !== undefined) {
      write(io.stderr, `flowdeck ${name}: ${neutraliseTerminal(maskStoreSecrets(unusable, io.env))}`);
      return EXIT.badInput;
    }
    // A variable's file in the store that is not one (edited by hand): its message says to set it again.
    if (e instanceof VariableError) {
      write(io.stderr, `flowdeck ${name}: ${neutraliseTerminal(e.message)}`);
      return EXIT.badInput;
    }
    if (e instanceof InterruptedError) {
      write(io.stderr, `flowdeck: ${e.message}`);
      return EXIT.interrupted;
    }
    if (e instanceof UsageError) {
      // It can quote what was typed. A message that names the command itself (`flowdeck runs takes no
      // arguments`) is not prefixed with it again.
      // Masked: what was typed may be a secret given in the wrong place (`runs --limit $GITHUB_TOKEN`).
      const message = maskStoreSecrets(e.message, io.env);
      write(io.stderr, neutraliseTerminal(message.startsWith(`flowdeck ${name}`) ? message : `flowdeck ${name}: ${message}`));
      return EXIT.badInput;
    }
    write(io.stderr, `flowdeck ${name}: ${unexpected(e, io.env)}`);
    return EXIT.runFailed;
  }
}

/** Codes of a disk with no room left for the store. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT']);

/**
 * What to tell the user of a store write the system refused (StoreWriteError, or a bare file-system error
 * saying the disk is full), or undefined for any other error.
 */
function refusedWrite(e: unknown, command: string): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const isStoreWrite = e instanceof StoreWriteError;
  if (!isStoreWrite && !(code !== undefined && NO_ROOM.has(code))) return undefined;
  const path = isStoreWrite ? e.path : (e as NodeJS.ErrnoException).path;
  const where = path ? ` ${path}` : ' to the store';
  if (code !== undefined && NO_ROOM.has(code)) {
    const what = code === 'EDQUOT' ? 'The disk quota is used up' : 'The disk is full';
    // Deleting runs writes first what it removes, so it cannot free room on a disk that has none.
    const first = command === 'delete' || command === 'prune' ? ` \`flowdeck ${command}\` needs a little free space itself (it records what it removes before removing it), so free some first` : ' Free some space on that disk';
    return `${what}: Flowdeck could not write${where} (${reasonOf(code)}).${first}, then run the command again.`;
  }
  return `${(e as Error).message}. Once the store folder can be written, run the command again.`;
}

function maskStoreSecrets(text: string, env: NodeJS.ProcessEnv): string {
  return new SecretMasker(secretsFromEnv(env)).mask(text);
}

/** An error nobody expected, printed whole (stack and causes) for a bug report, but without the secrets. */
function unexpected(error: unknown, env: NodeJS.ProcessEnv): string {
  return neutraliseTerminal(maskError(new SecretMasker(secretsFromEnv(env)), error));
}

/**
 * A reader that stops early (`flowdeck runs | head -2`) closes the pipe: what is left to print goes
 * nowhere, so the command ends quietly, as Unix tools do, instead of dying with an EPIPE stack. A closed
 * stderr only stops the logs (a run still goes to its end and is recorded).
 */
function endQuietlyOnClosedPipes(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? EXIT.ok);
  });
  process.stderr.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.stderr.write = () => true;
  });
}

/**
 * Commands that have awaited all their work when they return: once what they printed is handed to the
 * system, the process ends at once. Left to end by itself, Node first tears down its heap and handles
 * (~5–15 ms measured for a one-task run), which the user waits for.
 */
const ENDS_WHEN_DONE = new Set(['run', 'resume']);

function commandOf(args: string[]): string | undefined {
  try {
    return takeStoreOption(args, {}).argv[0];
  } catch {
    return undefined;
  }
}

function endNow(code: number): void {
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
  // Something is still being written (a slow pipe): Node ends once it is out.
  process.exitCode = code;
}

/** This process's stdin, looked at only when a question may be asked (node:tty is not loaded before). */
function terminalInput(): TerminalInput {
  return {
    get isTTY(): boolean {
      return (require('node:tty') as typeof import('node:tty')).isatty(0);
    },
    open: () => process.stdin,
  };
}

/** Runs the command line this process was started with. */
export function runMain(): void {
  endQuietlyOnClosedPipes();
  const args = process.argv.slice(2);
  main(args, { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), stdin: terminalInput() }).then(
    (code) => {
      if (ENDS_WHEN_DONE.has(commandOf(args) ?? '')) endNow(code);
      else process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`flowdeck: ${unexpected(e, process.env)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runMain();
