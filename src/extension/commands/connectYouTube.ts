/**
 * "Connect YouTube Account": Google's OAuth flow for installed apps (src/flows/youtube/oauth.ts). The
 * consent page opens with openExternal, the answer comes back to a listener on 127.0.0.1, and the client
 * and tokens go to SecretStorage. The OAuth code (Google's client library) is loaded only here.
 */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { loadYouTubeConnect, type YouTubeConnectModule } from '../lazyBundles';

interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUri?: string;
}

function envValue(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/** The OAuth client: from FLOWDECK_GOOGLE_CLIENT_ID/SECRET when the host sets them (they win), else a client_secret.json. */
async function chooseClient(oauth: YouTubeConnectModule): Promise<OAuthClient | undefined> {
  const clientId = envValue('FLOWDECK_GOOGLE_CLIENT_ID');
  const clientSecret = envValue('FLOWDECK_GOOGLE_CLIENT_SECRET');
  if (clientId && clientSecret) return { clientId, clientSecret };
  const picked = await vscode.window.showOpenDialog({
    title: 'Choose the OAuth client file (client_secret….json) from Google Cloud Console',
    openLabel: 'Use This Client',
    canSelectMany: false,
    filters: { 'OAuth client JSON': ['json'] },
  });
  if (!picked?.[0]) return undefined;
  const config = await oauth.readClientSecretFile(picked[0].fsPath);
  return { clientId: config.clientId, clientSecret: config.clientSecret, ...(config.loopbackRedirectUri ? { redirectUri: config.loopbackRedirectUri } : {}) };
}

export function registerConnectYouTube(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.connectYouTube', () => connectYouTube(flowdeck)),
  );
}

async function connectYouTube(flowdeck: Flowdeck): Promise<void> {
  const oauth = loadYouTubeConnect();
  const { YouTubeError } = oauth;
  try {
    const client = await chooseClient(oauth);
    if (!client) return;
    const tokens = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Connecting YouTube', cancellable: true },
      (progress, cancel) => {
        progress.report({ message: 'finish signing in in the browser page that opened…' });
        const abort = new AbortController();
        cancel.onCancellationRequested(() => abort.abort());
        return oauth.connectYouTube({
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          openBrowser: async (url) => {
            // As the CLI prints it: the link still works when no browser can be opened from here (a remote
            // editor, a sandbox), and it holds nothing secret (PKCE keeps the verifier in this process).
            flowdeck.output.note(`Opening Google's sign-in page. If no browser page opened, open this link: ${url}`);
            if (!(await vscode.env.openExternal(vscode.Uri.parse(url)))) {
              throw new YouTubeError('authorization-failed', 'The sign-in page was not opened, so connecting stopped. Connect again and allow opening the link.');
            }
          },
          authUrl: envValue('FLOWDECK_GOOGLE_AUTH_URL'),
          tokenUrl: envValue('FLOWDECK_GOOGLE_TOKEN_URL'),
          redirectUri: client.redirectUri,
          signal: abort.signal,
        });
      },
    );
    await flowdeck.youtube.save({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token: tokens.refresh_token,
      access_token: tokens.access_token,
      ...(tokens.expiry_date === undefined ? {} : { expiry_date: tokens.expiry_date }),
    });
    void vscode.window.showInformationMessage('YouTube connected. Run youtube-channel-analytics from the Flows view.');
  } catch (e) {
    // Cancelling the progress notification is the user's own choice, not an error.
    if (e instanceof YouTubeError && e.code === 'cancelled') return;
    void vscode.window.showErrorMessage(`Could not connect YouTube: ${(e as Error).message}`);
  }
}
