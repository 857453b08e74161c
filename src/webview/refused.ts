/**
 * The host's answer to a message from a webview it refused as invalid (wrong types, too long: the protocol's
 * checks, protocolFields.ts): what was wrong, with the request's number when the message carried a usable
 * one. A webview awaiting that request settles it as failed and says why, instead of waiting for ever for a
 * reply that was never coming. Both panels' protocols carry it.
 */
import type { ProtocolError } from './protocolFields';

export interface RefusedToWebview {
  type: 'refused';
  /** The refused request's number; absent when the message had none the webview could have sent. */
  req?: number;
  message: string;
}

export function refusedOf(raw: unknown, error: ProtocolError): RefusedToWebview {
  const req = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).req : undefined;
  const usable = typeof req === 'number' && Number.isSafeInteger(req) && req >= 0;
  return { type: 'refused', ...(usable ? { req } : {}), message: `Flowdeck did not accept that request (${error.message}); it was not carried out. Reload the panel if this goes on.` };
}

/** The webview's check of a `refused` it was sent (the webview trusts no message's shape either). */
export function isRefusedFields(m: Record<string, unknown>): boolean {
  return typeof m.message === 'string' && (m.req === undefined || typeof m.req === 'number');
}
