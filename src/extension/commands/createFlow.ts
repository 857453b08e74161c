/**
 * "Create a Flow": writes flows/hello.flow.ts (or the next free name) and, next to it, Flowdeck's
 * flowdeck.d.ts and a tsconfig.json whose `paths` entry types `import { flow, task } from 'flowdeck'`
 * with it. Existing files are never overwritten (a folder with its own tsconfig.json or jsconfig.json
 * keeps it).
 */
import * as vscode from 'vscode';
import { CONFIG_FILE, flowsConfigSource, freeFlowName, helloFlowSource, TYPES_FILE } from '../scaffold/helloFlow';
import { uriExists } from '../util/uriExists';

async function chooseFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Where should the flow go?' });
}

export function registerCreateFlow(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.createFlow', () => createFlow(context)),
  );
}

async function createFlow(context: vscode.ExtensionContext): Promise<void> {
  if (!vscode.workspace.workspaceFolders?.length) {
    const choice = await vscode.window.showErrorMessage('Open a folder first: Flowdeck creates the flow in the workspace.', 'Open Folder');
    if (choice === 'Open Folder') await vscode.commands.executeCommand('workbench.action.files.openFolder');
    return;
  }
  const folder = await chooseFolder();
  if (!folder) return;
  const dir = vscode.Uri.joinPath(folder.uri, 'flows');
  await vscode.workspace.fs.createDirectory(dir);
  const taken = new Set((await vscode.workspace.fs.readDirectory(dir)).map(([name]) => name));
  const { fileName, flowName } = freeFlowName((name) => taken.has(name));
  const file = vscode.Uri.joinPath(dir, fileName);
  const types = vscode.Uri.joinPath(dir, TYPES_FILE);
  if (!(await uriExists(types))) {
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(context.extensionUri, 'dist', TYPES_FILE), types);
  }
  if (!taken.has(CONFIG_FILE) && !taken.has('jsconfig.json')) {
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, CONFIG_FILE), new TextEncoder().encode(flowsConfigSource()));
  }
  await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(helloFlowSource(flowName)));
  await vscode.window.showTextDocument(file);
}
