/**
 * "Disconnect GitHub": forgets the stored token and stops using the editor's GitHub sign-in for runs.
 * The sign-in itself belongs to the editor (Accounts menu), so it stays.
 */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerDisconnectGitHub(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.disconnectGitHub', async () => {
      await flowdeck.github.disconnect();
      void vscode.window.showInformationMessage(
        'Flowdeck no longer sends a GitHub token with its runs. "Sign in to GitHub" connects again; the editor\'s own sign-in is managed in the Accounts menu.',
      );
    }),
  );
}
