/**
 * Checks of the fields of a message a webview sent: every protocol between a webview and the host reads
 * untrusted objects with these, so they all refuse the same way and say what was wrong the same way.
 */
/** Run ids reach file paths on the host, so anything outside this alphabet is refused. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export type Fields = Record<string, unknown>;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string '${truncate(value)}'`;
  return typeof value;
}

export function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what} must be an object, got ${describe(value)}`);
  }
  return value as Fields;
}

export function onlyKeys(fields: Fields, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) throw new ProtocolError(`${what} has an unexpected field '${truncate(key)}'`);
  }
}

export function requestId(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ProtocolError(`${what} must be a request number, got ${describe(value)}`);
  return value;
}

export function runId(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ProtocolError(`${what} must be a string, got ${describe(value)}`);
  if (!RUN_ID_PATTERN.test(value)) {
    throw new ProtocolError(`${what} '${truncate(value)}' is not a run id (1-64 of A-Z a-z 0-9 _ -)`);
  }
  return value;
}
