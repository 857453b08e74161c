/** "Set GitHub Token": a personal access token kept in SecretStorage, used when there is no GitHub sign-in. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { askText } from '../util/stayOpenInput';

export function registerSetGitHubToken(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.setGitHubToken', () => setGitHubToken(flowdeck)),
  );
}

async function setGitHubToken(flowdeck: Flowdeck): Promise<void> {
  const token = await askText({
    title: 'GitHub Token',
    prompt: 'A GitHub personal access token (fine-grained, read-only access is enough). Kept in the editor\'s secret storage.',
    password: true,
    validateInput: (v) => (v.trim() === '' ? 'Paste a token, or press Escape' : /\s/.test(v.trim()) ? 'A token has no spaces' : undefined),
  });
  if (token === undefined) return;
  await flowdeck.github.setToken(token.trim());
  void vscode.window.showInformationMessage('GitHub token saved. Runs use it when the editor is not signed in to GitHub.');
}
