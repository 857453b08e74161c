/** "Disconnect YouTube Account": forgets the OAuth client and tokens kept in SecretStorage. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerDisconnectYouTube(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.disconnectYouTube', async () => {
      await flowdeck.youtube.disconnect();
      void vscode.window.showInformationMessage(
        'YouTube disconnected: Flowdeck forgot its tokens. To revoke its access too, remove it at https://myaccount.google.com/permissions.',
      );
    }),
  );
}
