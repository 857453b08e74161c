/** "Sign in to GitHub": the editor's GitHub account; runs of github-repo-stats then use its token. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerSignInGitHub(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.signInGitHub', async () => {
      try {
        const account = await flowdeck.github.signIn();
        void vscode.window.showInformationMessage(`Flowdeck uses GitHub as ${account}.`);
      } catch (e) {
        const choice = await vscode.window.showErrorMessage(
          `Could not sign in to GitHub: ${(e as Error).message}. You can paste a personal access token instead.`,
          'Set GitHub Token',
        );
        if (choice) await vscode.commands.executeCommand('flowdeck.setGitHubToken');
      }
    }),
  );
}
