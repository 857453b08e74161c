/**
 * "Run Flow" and "Run with Parameters…" above each `flow(` call in a flow file. Lenses come from the
 * editor's text (unsaved edits included), parsed by the discovery worker like the Flows view.
 */
import * as vscode from 'vscode';
import { MAX_SCAN_BYTES } from '../../engine/scanLimit';
import { readFlowGlob } from '../settings';
import type { OnFirstUse } from '../util/onFirstUse';
import type { DiscoveryClient } from './discoveryClient';
import type { FlowIndex } from './flowIndex';
import { fileFlowRef } from './flowRef';

class FlowCodeLensProvider implements vscode.CodeLensProvider {
  constructor(private readonly discovery: OnFirstUse<DiscoveryClient>) {}

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    // The length without building the text: a document too large to scan gets no lenses.
    if (document.offsetAt(new vscode.Position(document.lineCount, 0)) > MAX_SCAN_BYTES) return [];
    const found = await this.discovery.value.text(document.uri.fsPath, document.getText());
    // A file that does not parse has no lenses; the Flows view says what is wrong with it.
    if (token.isCancellationRequested || found.error) return [];
    return found.flows.flatMap((flow) => {
      const range = new vscode.Range(flow.line - 1, 0, flow.line - 1, 0);
      const ref = fileFlowRef(document.uri.fsPath, flow);
      return [
        new vscode.CodeLens(range, { title: '$(play) Run Flow', command: 'flowdeck.runFlow', arguments: [ref] }),
        new vscode.CodeLens(range, { title: 'Run with Parameters…', command: 'flowdeck.runFlowWithParameters', arguments: [ref] }),
      ];
    });
  }
}

/** Registers the provider for files matching `flowdeck.flowGlob`, again whenever the setting changes. */
export function registerFlowCodeLens(context: vscode.ExtensionContext, index: FlowIndex): void {
  const provider = new FlowCodeLensProvider(index.discovery);
  let registration: vscode.Disposable | undefined;
  const register = (): void => {
    registration?.dispose();
    registration = vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: readFlowGlob() }, provider);
  };
  register();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('flowdeck.flowGlob') && register()),
    { dispose: () => registration?.dispose() },
  );
}
