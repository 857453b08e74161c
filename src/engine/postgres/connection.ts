/**
 * The Postgres connection string: what the store connects with (TLS options such as `sslmode`,
 * `sslrootcert` pass through to node-postgres untouched), and what it may show — the same URL with its
 * password taken out, for `location`, logs, errors and the editor.
 */
import { SecretMasker } from '../secrets';
import { shareErrorClass } from '../sharedErrorClass';

export const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && POSTGRES_URL.test(value.trim());
}

/** The URL without its password (`postgres://app@db:5432/flows?sslmode=require`); query passwords go too. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'postgres://(a connection string that does not parse as a URL)';
  }
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) {
    if (/^(password|pwd|sslpassword)$/i.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

/** The server a connection string names, `host:port` (5432 when it names none); undefined when it does not parse. */
export function serverOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.hostname ? `${parsed.hostname}:${parsed.port || '5432'}` : undefined;
  } catch {
    return undefined;
  }
}

/** The secret parts of a connection string (its password as written and decoded), to mask wherever text goes. */
export function connectionMasker(url: string): SecretMasker {
  const secrets: string[] = [];
  try {
    const parsed = new URL(url);
    // `user:password@` too, so even a password too short to mask on its own never shows inside the URL.
    if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password), `${parsed.username}:${parsed.password}@`);
    for (const [key, value] of parsed.searchParams) if (/^(password|pwd|sslpassword)$/i.test(key) && value) secrets.push(value);
  } catch {
    // Unparseable: nothing can be picked out; the URL itself is never shown.
  }
  return new SecretMasker(secrets.filter((s) => s.length > 0));
}

/** A database error a user can act on, with the store's location and never its password. */
export class PostgresStoreError extends Error {
  override readonly name = 'PostgresStoreError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }

  static from(e: unknown, location: string, masker: SecretMasker, doing: string): PostgresStoreError {
    if (e instanceof PostgresStoreError) return e;
    const err = e as { message?: string; code?: string };
    const message = masker.mask(String(err.message ?? e));
    const hint = HINTS[err.code ?? ''] ?? (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|timeout/i.test(message) ? 'is the server running and reachable from this machine?' : undefined);
    return new PostgresStoreError(`Could not ${doing} in the Postgres store ${location}: ${message}${hint ? ` (${hint})` : ''}`, err.code);
  }
}
shareErrorClass(PostgresStoreError, 'PostgresStoreError');

/**
 * Whether `e` says the server could not be reached or the connection was lost — refused, reset, timed out,
 * shutting down or starting up (SQLSTATE classes 08 and 57P), or with no free connection for one more
 * (53300 too many connections, 53400; what freeSlotWait.ts waited for in vain) — rather than that it
 * refused a statement or this user: tried again later, as the database may answer then.
 */
export function isUnreachable(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (/^(08|57P0|53[34]00$)/.test(code) || /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(code)) return true;
  return /Connection terminated|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(String(err?.message ?? ''));
}

const HINTS: Record<string, string> = {
  '28P01': 'check the user and password in FLOWDECK_STORE',
  '28000': 'the server does not accept this user from this machine (pg_hba.conf)',
  '3D000': 'create the database first: createdb NAME',
  '42501': 'the user needs CREATE on the database for the store\'s schema',
  ECONNREFUSED: 'is the server running and listening on that host and port?',
};
