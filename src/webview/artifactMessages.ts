/**
 * The messages about artifacts that every webview showing them (the dashboard, a run's details) exchanges
 * with the host, in one shape: the artifact views, a table's further pages, a link to open, and the
 * exports every chart and table offers (Save as PNG / CSV, Copy as CSV). Each webview's protocol takes
 * these into its own unions and leaves their checking to parseArtifactMessage.
 */
import { ARTIFACT_KEY_PATTERN, urlProblem, type ArtifactData, type TableCell } from '../engine/artifacts';
import { describe, onlyKeys, ProtocolError, requestId, runId, type Fields } from './protocolFields';

/** Rows of a table artifact a view carries; the webview asks for other pages with `tableRows`. */
export const TABLE_PAGE_ROWS = 50;
/** Bounds of what the webview may hand the host to save or copy. */
export const MAX_EXPORT_CHARS = 12 * 1024 * 1024;
export const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';
const FILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,99}\.(png|csv)$/;

/** An artifact as a webview shows it; a table's `data.rows` is its first page. */
export interface ArtifactView {
  key: string;
  runId: string;
  /** The run (or task run) that created it. */
  runName: string;
  /** Epoch ms when it was created. */
  ts: number;
  data: ArtifactData;
  /** For a table: how many rows it has in all. */
  totalRows?: number;
}

/** Host → webview. */
export type ArtifactToWebview =
  /** A page of a table artifact's rows, asked for with `tableRows`. */
  | { type: 'tableRows'; runId: string; key: string; offset: number; rows: TableCell[][]; total: number }
  /** Feedback the host gives by itself, e.g. a message it could not read or a link it would not open. */
  | { type: 'notice'; level: 'info' | 'error'; message: string };

/** Webview → host, answered by a `tableRows` (or a `notice` when it cannot be). */
export type ArtifactToHost =
  /** A page of a table artifact: TABLE_PAGE_ROWS rows from `offset`. */
  | { type: 'tableRows'; runId: string; key: string; offset: number }
  /** A link artifact (or a link in a markdown artifact): http and https only. */
  | { type: 'openLink'; url: string };

/** Webview → host requests, each answered by a `reply` with its `req`. */
export type ExportToHost =
  /** Save a chart (`png`: a data: URL) or its data (`csv`: text) where the user picks. */
  | { type: 'saveFile'; req: number; format: 'png' | 'csv'; name: string; data: string }
  | { type: 'copyText'; req: number; text: string }
  /** A table artifact, every row of it, as CSV: saved where the user picks, or copied. The webview holds only a page. */
  | { type: 'exportTable'; req: number; runId: string; key: string; to: 'file' | 'clipboard' };

export const ARTIFACT_MESSAGE_TYPES = ['tableRows', 'openLink', 'saveFile', 'copyText', 'exportTable'] as const;

export function isArtifactMessageType(type: string): type is (typeof ARTIFACT_MESSAGE_TYPES)[number] {
  return (ARTIFACT_MESSAGE_TYPES as readonly string[]).includes(type);
}

/** Whether a parsed message of a webview is one of these, for the host's shared handler. */
export function isArtifactMessage<M extends { type: string }>(message: M): message is Extract<M, ArtifactToHost | ExportToHost> {
  return isArtifactMessageType(message.type);
}

function boundedText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ProtocolError(`${what} must be a string, got ${describe(value)}`);
  if (value.length > MAX_EXPORT_CHARS) throw new ProtocolError(`${what} is ${value.length} characters, more than the ${MAX_EXPORT_CHARS} accepted`);
  return value;
}

/** Checks a message whose type isArtifactMessageType; throws ProtocolError saying what is wrong. */
export function parseArtifactMessage(fields: Fields, type: (typeof ARTIFACT_MESSAGE_TYPES)[number]): ArtifactToHost | ExportToHost {
  switch (type) {
    case 'saveFile': {
      onlyKeys(fields, ['type', 'req', 'format', 'name', 'data'], type);
      const format = fields.format;
      if (format !== 'png' && format !== 'csv') throw new ProtocolError(`saveFile.format must be png or csv, got ${describe(format)}`);
      const name = fields.name;
      if (typeof name !== 'string' || !FILE_NAME_PATTERN.test(name) || !name.endsWith(`.${format}`)) {
        throw new ProtocolError(`saveFile.name must be a plain file name ending in .${format}, got ${describe(name)}`);
      }
      const data = boundedText(fields.data, 'saveFile.data');
      if (format === 'png' && !(data.startsWith(PNG_DATA_URL_PREFIX) && /^[A-Za-z0-9+/]*={0,2}$/.test(data.slice(PNG_DATA_URL_PREFIX.length)))) {
        throw new ProtocolError(`saveFile.data must be a ${PNG_DATA_URL_PREFIX}… URL`);
      }
      return { type, req: requestId(fields.req, 'saveFile.req'), format, name, data };
    }
    case 'copyText': {
      onlyKeys(fields, ['type', 'req', 'text'], type);
      return { type, req: requestId(fields.req, `${type}.req`), text: boundedText(fields.text, `${type}.text`) };
    }
    case 'exportTable': {
      onlyKeys(fields, ['type', 'req', 'runId', 'key', 'to'], type);
      const { key, to } = fields;
      if (typeof key !== 'string' || !ARTIFACT_KEY_PATTERN.test(key)) throw new ProtocolError(`exportTable.key must be an artifact key, got ${describe(key)}`);
      if (to !== 'file' && to !== 'clipboard') throw new ProtocolError(`exportTable.to must be file or clipboard, got ${describe(to)}`);
      return { type, req: requestId(fields.req, 'exportTable.req'), runId: runId(fields.runId, 'exportTable.runId'), key, to };
    }
    case 'tableRows': {
      onlyKeys(fields, ['type', 'runId', 'key', 'offset'], type);
      const { key, offset } = fields;
      if (typeof key !== 'string' || !ARTIFACT_KEY_PATTERN.test(key)) throw new ProtocolError(`tableRows.key must be an artifact key, got ${describe(key)}`);
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new ProtocolError(`tableRows.offset must be a row number, got ${describe(offset)}`);
      return { type, runId: runId(fields.runId, 'tableRows.runId'), key, offset };
    }
    case 'openLink': {
      onlyKeys(fields, ['type', 'url'], type);
      const url = fields.url;
      const problem = typeof url === 'string' ? urlProblem(url) : 'it is not a string';
      if (problem !== undefined || typeof url !== 'string') throw new ProtocolError(`openLink.url must be an http or https URL: ${problem}`);
      return { type, url };
    }
  }
}
