/**
 * The first time github-repo-stats runs without a GitHub token (its worker warns that it reads anonymously,
 * at 60 requests an hour), a notification offers to sign in. Once: the choice is remembered either way.
 */
import * as vscode from 'vscode';
import type { FlowdeckHost } from '../host';

const OFFERED_KEY = 'flowdeck.github.signInOffered';
const SIGN_IN = 'Sign in to GitHub';

export function registerGitHubSignInHint(context: vscode.ExtensionContext, host: FlowdeckHost): void {
  let offered = context.globalState.get<boolean>(OFFERED_KEY, false);
  context.subscriptions.push(
    host.onDidLog((record) => {
      if (offered || record.level !== 'WARNING' || !record.message.startsWith('No GITHUB_TOKEN set')) return;
      offered = true;
      void context.globalState.update(OFFERED_KEY, true);
      void vscode.window
        .showInformationMessage('github-repo-stats read GitHub without a token: public repositories only, 60 requests an hour. Sign in to GitHub for 5,000 requests an hour.', SIGN_IN)
        .then((choice) => choice === SIGN_IN && vscode.commands.executeCommand('flowdeck.signInGitHub'));
    }),
  );
}
