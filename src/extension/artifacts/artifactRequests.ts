/**
 * The host's side of the artifact messages (src/webview/artifactMessages.ts), one for every panel that
 * shows artifacts: a table's next page, a link to open, a chart or table to save or copy (a table whole,
 * however many pages it has). The panel says
 * where its tables' rows come from and how to post; what the editor does (dialogs, clipboard, browser) is
 * passed in (../dashboard/exports.ts), so this module needs no `vscode` and is tested on its own.
 * Messages reach it parsed; links are checked again before they are opened.
 */
import type { ArtifactToHost, ArtifactToWebview, ExportToHost } from '../../webview/artifactMessages';
import { artifactCsvTable, exportName, toCsv } from '../../webview/csv';
import { tablePage, type TableData } from '../dashboard/artifactSections';

/** What a request came to, for the webview's reply. */
export interface Outcome {
  ok: boolean;
  message: string;
}

export type Reply = { type: 'reply'; req: number } & Outcome;

/** What the editor does for a webview: write files the user picks, copy, open links. */
export interface ExportActions {
  saveFile(format: 'png' | 'csv', name: string, data: string): Promise<Outcome>;
  copyText(text: string, what: string): Promise<Outcome>;
  /** Throws, saying why, when the link is refused or cannot be opened. */
  openLink(url: string): Promise<void>;
}

export interface ArtifactPanel {
  /** A table artifact the panel shows; undefined when it no longer has that table. */
  readTable(runId: string, key: string): Promise<TableData | undefined>;
  post(message: ArtifactToWebview | Reply): void;
}

/** Posts the one reply a request gets, whatever became of it. */
export async function answer(req: number, outcome: Promise<Outcome>, post: (reply: Reply) => void): Promise<void> {
  let result: Outcome;
  try {
    result = await outcome;
  } catch (e) {
    result = { ok: false, message: (e as Error).message };
  }
  post({ type: 'reply', req, ...result });
}

export async function handleArtifactMessage(message: ArtifactToHost | ExportToHost, panel: ArtifactPanel, actions: ExportActions): Promise<void> {
  const notice = (text: string): void => panel.post({ type: 'notice', level: 'error', message: text });
  switch (message.type) {
    case 'saveFile':
      return answer(message.req, actions.saveFile(message.format, message.name, message.data), (r) => panel.post(r));
    case 'copyText':
      return answer(message.req, actions.copyText(message.text, 'the data as CSV'), (r) => panel.post(r));
    case 'openLink':
      return actions.openLink(message.url).catch((e: unknown) => notice((e as Error).message));
    case 'exportTable': {
      const { runId, key, to } = message;
      const csv = panel.readTable(runId, key).then((table) => {
        if (!table) throw new Error(`The table '${key}' is no longer stored.`);
        return toCsv(artifactCsvTable(table.columns, table.rows));
      });
      const done = csv.then((text) => (to === 'file' ? actions.saveFile('csv', exportName(key, 'csv'), text) : actions.copyText(text, `the table ${key} as CSV`)));
      return answer(message.req, done, (r) => panel.post(r));
    }
    case 'tableRows': {
      const { runId, key, offset } = message;
      try {
        const table = await panel.readTable(runId, key);
        if (table) panel.post({ type: 'tableRows', runId, key, offset, ...tablePage(table, offset) });
        else notice(`The table '${key}' is no longer stored.`);
      } catch (e) {
        notice(`Could not read the table '${key}': ${(e as Error).message}`);
      }
    }
  }
}
