/**
 * "Create a Flow": writes flows/hello.flow.ts (or the next free name) and, next to it, Flowdeck's
 * flowdeck.d.ts and a tsconfig.json whose `paths` entry types `import { flow, task } from 'flowdeck'`
 * with it. Existing files are never overwritten (a folder with its own tsconfig.json or jsconfig.json
 * keeps it), but a flowdeck.d.ts another Flowdeck version generated is brought up to this one's here, and
 * offered to be as the extension starts (typesRefresh.ts): a copy may be committed, and a file in the
 * user's repository is not rewritten unasked.
 */
import * as vscode from 'vscode';
import { CONFIG_FILE, flowsConfigSource, freeFlowName, helloFlowSource, TYPES_FILE } from '../scaffold/helloFlow';
import { refreshTypesCopies, staleTypesCopies, type TypesFs } from '../scaffold/typesRefresh';
import { uriExists } from '../util/uriExists';

const typesFs: TypesFs = {
  async read(path) {
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.parse(path)));
    } catch {
      return undefined;
    }
  },
  async write(path, text) {
    await vscode.workspace.fs.writeFile(vscode.Uri.parse(path), new TextEncoder().encode(text));
  },
};

/**
 * Brings the flowdeck.d.ts that Create a Flow copied into `folders` (their `flows` folder) up to this
 * version's, saying so in `note`; a failure leaves them as they are (the editor then shows the old API).
 */
export async function refreshFlowTypes(extensionUri: vscode.Uri, folders: readonly vscode.Uri[], note: (message: string) => void): Promise<void> {
  if (folders.length === 0) return;
  try {
    const own = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'dist', TYPES_FILE)));
    const copies = folders.map((f) => vscode.Uri.joinPath(f, 'flows', TYPES_FILE).toString());
    for (const replaced of await refreshTypesCopies(own, copies, typesFs)) {
      note(`Updated ${vscode.workspace.asRelativePath(vscode.Uri.parse(replaced))} to this Flowdeck version's types (it was another version's copy)`);
    }
  } catch {
    // Left as it is.
  }
}

/**
 * As the extension starts (or folders are added, or trusted): a flowdeck.d.ts of another version in `folders`
 * is offered to be brought up to this version's — one notification, nothing written unless asked.
 */
async function offerFlowTypes(extensionUri: vscode.Uri, folders: readonly vscode.Uri[], note: (message: string) => void): Promise<void> {
  if (folders.length === 0) return;
  try {
    const own = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'dist', TYPES_FILE)));
    const stale = await staleTypesCopies(own, folders.map((f) => vscode.Uri.joinPath(f, 'flows', TYPES_FILE).toString()), typesFs);
    if (stale.length === 0) return;
    const which = stale.map((p) => vscode.workspace.asRelativePath(vscode.Uri.parse(p))).join(', ');
    const choice = await vscode.window.showInformationMessage(`${which} holds another Flowdeck version's types, so the editor shows that version's API for flows. Update it to this version's?`, 'Update');
    if (choice === 'Update') await refreshFlowTypes(extensionUri, folders, note);
  } catch {
    // Left as it is.
  }
}

async function chooseFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Where should the flow go?' });
}

export function registerCreateFlow(context: vscode.ExtensionContext, note: (message: string) => void): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.createFlow', () => createFlow(context, note)),
    vscode.workspace.onDidChangeWorkspaceFolders((e) => {
      if (vscode.workspace.isTrusted) void offerFlowTypes(context.extensionUri, e.added.map((f) => f.uri), note);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void offerFlowTypes(context.extensionUri, allFolders(), note)),
  );
  // Offered only in a trusted workspace: Restricted Mode writes nothing into it.
  if (vscode.workspace.isTrusted) void offerFlowTypes(context.extensionUri, allFolders(), note);
}

function allFolders(): vscode.Uri[] {
  return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri);
}

async function createFlow(context: vscode.ExtensionContext, note: (message: string) => void): Promise<void> {
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
  await refreshFlowTypes(context.extensionUri, [folder.uri], note);
  if (!(await uriExists(types))) {
    await vscode.workspace.fs.copy(vscode.Uri.joinPath(context.extensionUri, 'dist', TYPES_FILE), types);
  }
  if (!taken.has(CONFIG_FILE) && !taken.has('jsconfig.json')) {
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, CONFIG_FILE), new TextEncoder().encode(flowsConfigSource()));
  }
  await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(helloFlowSource(flowName)));
  await vscode.window.showTextDocument(file);
}
