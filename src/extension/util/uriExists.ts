import * as vscode from 'vscode';

/** Whether something is at `uri` (through VS Code's file system, so remote workspaces too). */
export async function uriExists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
