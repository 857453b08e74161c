/**
 * A webview panel as the `vscode` stub (vscodeStub.ts) leaves it to a test: messages from the webview are
 * fired by the test, messages to it are kept in `posted`.
 */
import { EventEmitter } from './vscodeStub';

export interface PanelStub {
  panel: unknown;
  /** What the webview would send (raw: the host parses it). */
  messages: EventEmitter<unknown>;
  posted: unknown[];
}

export function panelStub(): PanelStub {
  const messages = new EventEmitter<unknown>();
  const posted: unknown[] = [];
  const never = () => ({ dispose() {} });
  const disposed = new EventEmitter<void>();
  const panel = {
    title: '',
    visible: true,
    webview: { options: {}, html: '', cspSource: 'csp', asWebviewUri: (u: unknown) => u, onDidReceiveMessage: messages.event, postMessage: async (m: unknown) => posted.push(m) },
    onDidChangeViewState: never,
    onDidDispose: disposed.event,
    reveal() {},
    dispose: () => disposed.fire(),
  };
  return { panel, messages, posted };
}
