/** `flowdeck`: run flows headless, against the same store as the VS Code extension. */
import { join } from 'node:path';
import { SecretMasker, maskError, secretsFromEnv } from '../engine/secrets';
import { neutraliseTerminal } from '../engine/terminalText';
import { checkCommand } from './commands/check';
import { flowsCommand } from './commands/flows';
import { logsCommand } from './commands/logs';
import { resumeCommand } from './commands/resume';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { StoreHomeError, StoreUrlError } from '../engine/storeErrors';
import { workerCommand } from './commands/worker';
import { EXIT, UsageError, write, type CliIo } from './io';

const HELP = `Usage: flowdeck <command> [options]

Commands:
  run <file | built-in id>   run a flow (built-ins: github-repo-stats, youtube-channel-analytics)
  resume <run>               resume a failed or crashed run from its checkpoints (same run, new attempt)
  runs                       run history, newest first
  logs <run id or name>      the stored logs of a run
  flows [file or folder]     the flows in flow files, without running them
  check [file or folder...]  type-check flow files with the workspace's TypeScript
  auth youtube               connect a YouTube account (OAuth) for youtube-channel-analytics
  worker                     take runs queued on a Postgres store and run them (flowdeck worker --help)

Run \`flowdeck <command> --help\` for a command's options.
Every command takes --store URL: a postgres:// URL for a store several machines share (FLOWDECK_STORE).
Environment: FLOWDECK_HOME (store, default ~/.flowdeck), FLOWDECK_STORE, GITHUB_TOKEN, FLOWDECK_GITHUB_API_URL,
FLOWDECK_GOOGLE_API_URL, FLOWDECK_GOOGLE_TOKEN_URL, FLOWDECK_GOOGLE_CLIENT_ID,
FLOWDECK_GOOGLE_CLIENT_SECRET, FLOWDECK_YOUTUBE_REFRESH_TOKEN.`;

type Command = (argv: string[], io: CliIo) => Promise<number>;

async function auth(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'youtube') {
    // A bundle of its own (Google's OAuth client is large): loaded only by the command that needs it.
    const { authYoutubeCommand } = require(join(__dirname, 'cli-auth.js')) as typeof import('./commands/authYoutube');
    return authYoutubeCommand(argv.slice(1), io);
  }
  write(argv[0] === '--help' || argv[0] === '-h' ? io.stdout : io.stderr, 'Usage: flowdeck auth youtube --client-secret client_secret.json');
  return argv[0] === '--help' || argv[0] === '-h' ? EXIT.ok : EXIT.badInput;
}

const COMMANDS: Record<string, Command> = { run: runCommand, resume: resumeCommand, runs: runsCommand, logs: logsCommand, flows: flowsCommand, check: checkCommand, auth, worker: workerCommand };

/**
 * `--store URL` (or `--store=URL`) anywhere on the line: the store for every command, as FLOWDECK_STORE
 * (so runs mask its password like the variable's). Returns the arguments without it.
 */
function takeStoreOption(argv: string[], io: CliIo): { argv: string[]; io: CliIo } {
  const rest: string[] = [];
  let store: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--store') {
      if (i + 1 >= argv.length) throw new UsageError('--store needs a value: a postgres:// URL');
      store = argv[++i]!;
    } else if (a.startsWith('--store=')) store = a.slice('--store='.length);
    else rest.push(a);
  }
  return { argv: rest, io: store === undefined ? io : { ...io, env: { ...io.env, FLOWDECK_STORE: store } } };
}

export async function main(args: string[], cliIo: CliIo): Promise<number> {
  let argv: string[];
  let io: CliIo;
  try {
    ({ argv, io } = takeStoreOption(args, cliIo));
  } catch (e) {
    write(cliIo.stderr, `flowdeck: ${(e as Error).message}`);
    return EXIT.badInput;
  }
  const [name, ...rest] = argv;
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
    write(io.stderr, `flowdeck: unknown command '${name}'\n\n${HELP}`);
    return EXIT.badInput;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    // A store that cannot be used (an unusable folder, a URL that is not one, a database that refuses) is
    // bad input, and its message names what to fix — never the connection string's password.
    if (e instanceof StoreHomeError || e instanceof StoreUrlError || (e as Error).name === 'PostgresStoreError') {
      write(io.stderr, `flowdeck: ${neutraliseTerminal(maskStoreSecrets((e as Error).message, io.env))}`);
      return EXIT.badInput;
    }
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      write(io.stderr, `flowdeck ${name}: ${(e as Error).message}`);
      return EXIT.badInput;
    }
    write(io.stderr, `flowdeck ${name}: ${unexpected(e, io.env)}`);
    return EXIT.runFailed;
  }
}

function maskStoreSecrets(text: string, env: NodeJS.ProcessEnv): string {
  return new SecretMasker(secretsFromEnv(env)).mask(text);
}

/** An error nobody expected, printed whole (stack and causes) for a bug report, but without the secrets. */
function unexpected(error: unknown, env: NodeJS.ProcessEnv): string {
  return neutraliseTerminal(maskError(new SecretMasker(secretsFromEnv(env)), error));
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`flowdeck: ${unexpected(e, process.env)}\n`);
      process.exitCode = 1;
    },
  );
}
