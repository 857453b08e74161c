/** `flowdeck auth youtube`: connects a YouTube account and stores its tokens in the store's credentials file. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { credentialsPath, mergeCredentials } from '../../engine/credentials';
import { SecretMasker } from '../../engine/secrets';
import { defaultHome } from '../../engine/storeHome';
import { fetchChannel } from '../../flows/youtube/channel';
import { createYouTubeClients, endpointsFromEnv } from '../../flows/youtube/client';
import { YouTubeError } from '../../flows/youtube/errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, connectYouTube, readClientSecretFile } from '../../flows/youtube/oauth';
import { parseCommandArgs } from '../args';
import { decimalNumber } from '../decimalNumber';
import { EXIT, write, type TerminalInput } from '../io';
import { FROM_STDIN, secretFromStdin } from '../stdinSecret';

const HELP = `Usage: flowdeck auth youtube --client-secret client_secret.json [options]
       flowdeck auth youtube --client-id ID [--client-secret-value - | SECRET] [options]

Connects Flowdeck to your YouTube channel for the youtube-channel-analytics flow. Google's consent page
opens in your browser; afterwards the tokens are stored in <FLOWDECK_HOME>/credentials.json (mode 0600).

You need your own OAuth client: in Google Cloud Console enable "YouTube Analytics API" and "YouTube Data
API v3", create an OAuth client ID of type "Desktop app" and download its JSON.

Options:
  --client-secret FILE          the client's JSON from Google Cloud Console
  --client-id ID                the client ID, instead of a file (or FLOWDECK_GOOGLE_CLIENT_ID)
  --client-secret-value -       the client secret, with --client-id, read from stdin (its first line):
                                \`flowdeck auth youtube --client-id ID --client-secret-value - < secret.txt\`
  --client-secret-value SECRET  the client secret itself: visible to other users of this machine (\`ps\`),
                                as every command line is — prefer \`-\` or FLOWDECK_GOOGLE_CLIENT_SECRET
  --no-browser                  only print the sign-in link; open it in a browser on this machine
  --port N                      listen for Google's redirect on this port (default: a free one), e.g. to
                                forward it over SSH
  --timeout SECONDS             how long to wait for the sign-in (default ${DEFAULT_CONNECT_TIMEOUT_MS / 1000})
  -h, --help                    this text

Headless runs (CI) need no stored credentials: set FLOWDECK_GOOGLE_CLIENT_ID,
FLOWDECK_GOOGLE_CLIENT_SECRET and FLOWDECK_YOUTUBE_REFRESH_TOKEN instead.`;

export interface AuthYoutubeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Relative --client-secret paths start here; default the process's working directory. */
  cwd?: string;
  /** Where `--client-secret-value -` reads the secret. */
  stdin?: TerminalInput;
  /** Opens the consent page; default xdg-open / open / rundll32. Tests play the browser here. */
  openBrowser?: (url: string) => unknown;
}

/** What every other command's errors start with (`flowdeck auth: unknown service …` too). */
const PREFIX = 'flowdeck auth: ';

export async function authYoutubeCommand(argv: string[], io: AuthYoutubeIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    write(io.stderr, `${PREFIX}${(error as Error).message}\n\n${HELP}`);
    return EXIT.badInput;
  }
  if (args.help) {
    write(io.stdout, HELP);
    return EXIT.ok;
  }

  try {
    const client = await clientFrom(args, io);
    if (typeof client === 'string') {
      write(io.stderr, `${PREFIX}${client}\n\nRun \`flowdeck auth youtube --help\` for the options.`);
      return EXIT.badInput;
    }
    const endpoints = endpointsFromEnv(io.env);
    const opener = args.noBrowser ? () => undefined : (io.openBrowser ?? openInBrowser);
    const connectOptions: Parameters<typeof connectYouTube>[0] = {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      timeoutMs: args.timeoutMs,
      openBrowser: async (url) => {
        write(io.stdout, `Open this link to connect your YouTube account (waiting ${args.timeoutMs / 1000} s):\n\n  ${url}\n`);
        await opener(url);
      },
    };
    if (endpoints.authUrl !== undefined) connectOptions.authUrl = endpoints.authUrl;
    if (endpoints.tokenUrl !== undefined) connectOptions.tokenUrl = endpoints.tokenUrl;
    const redirectUri = args.port !== undefined ? `http://127.0.0.1:${args.port}/` : client.redirectUri;
    if (redirectUri !== undefined) connectOptions.redirectUri = redirectUri;

    const tokens = await connectYouTube(connectOptions);
    const home = defaultHome(io.env);
    mergeCredentials(home, 'youtube', {
      client_id: client.clientId,
      client_secret: client.clientSecret,
      ...tokens,
    });
    write(io.stdout, `Connected. Credentials saved to ${credentialsPath(home)}.`);

    // Proves the tokens work and names the channel, so a wrong Google account is noticed now.
    try {
      const clients = createYouTubeClients(
        { clientId: client.clientId, clientSecret: client.clientSecret, refreshToken: tokens.refresh_token, accessToken: tokens.access_token, ...(tokens.expiry_date === undefined ? {} : { expiryDate: tokens.expiry_date }) },
        endpoints,
        () => undefined,
      );
      const channel = await fetchChannel(clients.data, clients.secrets);
      write(io.stdout, `YouTube channel: ${channel.title} (${channel.id}).`);
    } catch (error) {
      const masker = new SecretMasker([client.clientSecret, tokens.access_token, tokens.refresh_token]);
      write(io.stderr, masker.mask(`Warning: the channel could not be read: ${(error as Error).message}`));
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof YouTubeError) {
      write(io.stderr, `${PREFIX}${error.message}`);
      // A client-secret file missing or not a client's JSON is bad input, like a missing --client-secret.
      return error.code === 'invalid-client-file' ? EXIT.badInput : EXIT.runFailed;
    }
    throw error;
  }
}

interface Args {
  help: boolean;
  clientSecretFile?: string;
  clientId?: string;
  clientSecretValue?: string;
  noBrowser: boolean;
  port?: number;
  timeoutMs: number;
}

function parse(argv: string[]): Args {
  const { values, positionals } = parseCommandArgs('auth youtube', argv, {
    help: { type: 'boolean', short: 'h', default: false },
    'client-secret': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-value': { type: 'string' },
    'no-browser': { type: 'boolean', default: false },
    port: { type: 'string' },
    timeout: { type: 'string' },
  });
  if (positionals.length > 0) throw new Error(`Unexpected argument: ${positionals[0]}`);
  const args: Args = { help: values.help === true, noBrowser: values['no-browser'] === true, timeoutMs: DEFAULT_CONNECT_TIMEOUT_MS };
  if (values['client-secret'] !== undefined) args.clientSecretFile = values['client-secret'];
  if (values['client-id'] !== undefined) args.clientId = values['client-id'];
  if (values['client-secret-value'] !== undefined) args.clientSecretValue = values['client-secret-value'];
  if (values.port !== undefined) {
    const port = decimalNumber(values.port);
    if (port === undefined || port < 1 || port > 65535) throw new Error(`--port must be a port number (got ${values.port})`);
    args.port = port;
  }
  if (values.timeout !== undefined) {
    const seconds = decimalNumber(values.timeout, { fraction: true });
    if (seconds === undefined || seconds <= 0) throw new Error(`--timeout must be a number of seconds (got ${values.timeout})`);
    args.timeoutMs = seconds * 1000;
  }
  if (args.clientSecretFile !== undefined && (args.clientId !== undefined || args.clientSecretValue !== undefined)) {
    throw new Error('Give either --client-secret FILE or --client-id (with --client-secret-value), not both');
  }
  return args;
}

interface Client {
  clientId: string;
  clientSecret: string;
  redirectUri?: string;
}

/** The OAuth client to connect with, or a usage message saying what is missing. */
async function clientFrom(args: Args, io: AuthYoutubeIo): Promise<Client | string> {
  if (args.clientSecretFile !== undefined) {
    const file = await readClientSecretFile(resolve(io.cwd ?? process.cwd(), args.clientSecretFile));
    return file.loopbackRedirectUri === undefined
      ? { clientId: file.clientId, clientSecret: file.clientSecret }
      : { clientId: file.clientId, clientSecret: file.clientSecret, redirectUri: file.loopbackRedirectUri };
  }
  const clientId = args.clientId ?? nonEmpty(io.env.FLOWDECK_GOOGLE_CLIENT_ID);
  if (clientId === undefined) return 'Give --client-secret client_secret.json (or --client-id ID).';
  if (args.clientSecretValue === FROM_STDIN) {
    const read = nonEmpty(await secretFromStdin(io.stdin));
    return read === undefined ? `--client-secret-value ${FROM_STDIN}: stdin held no client secret (give it on stdin's first line, or set FLOWDECK_GOOGLE_CLIENT_SECRET)` : { clientId, clientSecret: read };
  }
  const clientSecret = args.clientSecretValue ?? nonEmpty(io.env.FLOWDECK_GOOGLE_CLIENT_SECRET);
  if (clientSecret === undefined) return 'Give the client secret with FLOWDECK_GOOGLE_CLIENT_SECRET or --client-secret-value - (read from stdin).';
  return { clientId, clientSecret };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Best effort: without a desktop (SSH, containers) the printed link is the way. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? // rundll32 takes the URL as one argument; `start` would split it at each '&'.
          ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // The link is printed; opening it is a convenience.
  }
}
