/**
 * The GitHub token runs get: the editor's GitHub sign-in, else a token the user pasted into "Set GitHub
 * Token" (kept in SecretStorage). Runs ask for the session silently, so a run never waits on a prompt.
 */
import * as vscode from 'vscode';

/** `repo` lets the built-in flow read private repositories the account can see. */
export const GITHUB_SCOPES: readonly string[] = ['repo'];
const TOKEN_SECRET = 'flowdeck.github.token';
/** Set by "Disconnect GitHub": the editor's session stays signed in, but runs stop using it. */
const SESSION_OFF = 'flowdeck.github.sessionOff';
/** A provider that is missing or slow must not hold up a run. */
const SILENT_LOOKUP_MS = 2000;

export class GitHubAccount {
  constructor(private readonly context: vscode.ExtensionContext) {}

  /** Signs in with the editor's GitHub account (prompting); returns the account's label. */
  async signIn(): Promise<string> {
    const session = await vscode.authentication.getSession('github', [...GITHUB_SCOPES], { createIfNone: true });
    await this.context.globalState.update(SESSION_OFF, undefined);
    return session.account.label;
  }

  async setToken(token: string): Promise<void> {
    await this.context.secrets.store(TOKEN_SECRET, token);
  }

  async disconnect(): Promise<void> {
    await this.context.secrets.delete(TOKEN_SECRET);
    await this.context.globalState.update(SESSION_OFF, true);
  }

  /** The token for a run, without prompting; undefined runs unauthenticated (GitHub's lower rate limit). */
  async tokenForRun(): Promise<string | undefined> {
    if (!this.context.globalState.get<boolean>(SESSION_OFF)) {
      const session = await silentSession();
      if (session) return session.accessToken;
    }
    return this.context.secrets.get(TOKEN_SECRET);
  }
}

async function silentSession(): Promise<vscode.AuthenticationSession | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SILENT_LOOKUP_MS)));
  try {
    return await Promise.race([vscode.authentication.getSession('github', [...GITHUB_SCOPES], { silent: true }), timeout]);
  } catch {
    // No GitHub provider in this editor (some builds lack it): the stored token is the fallback.
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
