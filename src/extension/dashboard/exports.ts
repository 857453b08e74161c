/**
 * What the dashboard hands the editor to keep: charts as PNG files, their data as CSV (saved or on the
 * clipboard), a run's log as a .log file, and YouTube videos opened in the browser. The webview's
 * messages were checked by parseWebviewMessage (sizes, the data: URL prefix, the watch URL); what is
 * decoded here is checked again before it is written.
 */
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { LogRecord } from '../../engine/records';
import { formatLogLine } from '../../webview/logStore';
import { logFileName } from '../logs/logFileName';
import { urlProblem } from '../../engine/artifacts';
import { PNG_DATA_URL_PREFIX, YOUTUBE_WATCH_URL } from '../../webview/protocol';
import type { ExportActions, Outcome } from '../artifacts/artifactRequests';

export type { Outcome };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The bytes of a PNG data: URL, or an error saying why they are not a PNG. */
export function decodePngDataUrl(dataUrl: string): Uint8Array {
  if (!dataUrl.startsWith(PNG_DATA_URL_PREFIX)) throw new Error(`the image is not a ${PNG_DATA_URL_PREFIX} URL`);
  const bytes = Buffer.from(dataUrl.slice(PNG_DATA_URL_PREFIX.length), 'base64');
  if (bytes.length < PNG_SIGNATURE.length || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('the image data is not a PNG');
  return bytes;
}

const FILTERS: Record<'png' | 'csv' | 'log', Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  csv: { 'CSV (comma-separated values)': ['csv'] },
  log: { Log: ['log'] },
};

/** Asks where to save (starting in the first workspace folder) and writes the bytes. */
async function saveAs(name: string, format: 'png' | 'csv' | 'log', bytes: Uint8Array): Promise<Outcome> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(folder, name), filters: FILTERS[format], saveLabel: 'Save' });
  if (!target) return { ok: false, message: 'Not saved.' };
  try {
    await vscode.workspace.fs.writeFile(target, bytes);
  } catch (error) {
    return { ok: false, message: `Could not save ${target.fsPath}: ${(error as Error).message}. Pick another folder and try again.` };
  }
  return { ok: true, message: `Saved ${target.fsPath}.` };
}

export async function saveChartFile(format: 'png' | 'csv', name: string, data: string): Promise<Outcome> {
  let bytes: Uint8Array;
  try {
    bytes = format === 'png' ? decodePngDataUrl(data) : Buffer.from(data, 'utf8');
  } catch (error) {
    return { ok: false, message: `Could not save the chart: ${(error as Error).message}.` };
  }
  return saveAs(name, format, bytes);
}

/**
 * Saves a run's log, its lines read a batch at a time by `read` and kept as bytes: one string of them all
 * can be longer than a string may be (600 lines of a megabyte: 'Invalid string length').
 */
export async function saveLogFile(runName: string, read: (onLogs: (records: LogRecord[]) => void) => Promise<void>): Promise<Outcome> {
  const chunks: Buffer[] = [];
  await read((records) => {
    if (records.length > 0) chunks.push(Buffer.from(`${records.map((r) => formatLogLine(r)).join('\n')}\n`, 'utf8'));
  });
  if (chunks.length === 0) return { ok: false, message: `Run ${runName} has no log lines to save.` };
  return saveAs(logFileName(runName), 'log', Buffer.concat(chunks));
}

export async function copyText(text: string, what: string): Promise<Outcome> {
  await vscode.env.clipboard.writeText(text);
  return { ok: true, message: `Copied ${what} to the clipboard.` };
}

/** Opens a video's watch page; nothing but `https://www.youtube.com/watch?v=<id>` is opened. */
export async function openVideo(url: string): Promise<void> {
  if (!YOUTUBE_WATCH_URL.test(url)) throw new Error(`Refusing to open ${url.slice(0, 80)}: not a YouTube watch URL.`);
  const uri = vscode.Uri.parse(url, true);
  if (uri.scheme !== 'https' || uri.authority !== 'www.youtube.com' || uri.path !== '/watch') throw new Error(`Refusing to open ${url.slice(0, 80)}.`);
  await vscode.env.openExternal(uri);
}

/** Opens a link of an artifact in the browser: http and https only, checked again here. */
export async function openLink(url: string): Promise<void> {
  const problem = urlProblem(url);
  if (problem) throw new Error(`Refusing to open the link: ${problem}.`);
  const uri = vscode.Uri.parse(url, true);
  if (uri.scheme !== 'https' && uri.scheme !== 'http') throw new Error(`Refusing to open ${url.slice(0, 80)}: only http and https links open.`);
  await vscode.env.openExternal(uri);
}

/** What every panel showing charts and artifacts has the editor do. */
export const editorExports: ExportActions = { saveFile: saveChartFile, copyText, openLink };
