/**
 * Conditional requests: the ETag of each answer is kept in the run store with the (reduced) data it
 * vouches for. The next run sends it as If-None-Match; GitHub answers 304, which authenticated requests get
 * without spending rate limit, and the stored data is used as if the answer had come again.
 */
import type { GitHubLogger, KeyValueStore } from './options';
import { statusOf } from './errors';

export const ETAG_NAMESPACE = 'github-etags';

/** Bump when the shape of stored values changes, so old entries are ignored instead of misread. */
const ENTRY_VERSION = 1;

interface StoredEntry<T> {
  v: number;
  etag: string;
  value: T;
}

export interface ConditionalResponse {
  headers: { etag?: string };
}

export interface ConditionalGetOptions<R extends ConditionalResponse, T> {
  kv: KeyValueStore | undefined;
  /** Identifies the request: base URL, method, path, query and media type. */
  key: string;
  logger: GitHubLogger;
  /** Performs the request with the extra headers (If-None-Match when an ETag is stored). */
  request(headers: Record<string, string>): Promise<R>;
  /** Reduces a response to what is worth storing; only this survives to the next run. */
  extract(response: R): T;
}

export interface ConditionalResult<T> {
  value: T;
  /** True when GitHub answered 304 and the stored value was used. */
  notModified: boolean;
}

export async function conditionalGet<R extends ConditionalResponse, T>(options: ConditionalGetOptions<R, T>): Promise<ConditionalResult<T>> {
  const { kv, key, logger } = options;
  const stored = kv ? await readEntry<T>(kv, key, logger) : undefined;
  let response: R;
  try {
    // The ETag is sent exactly as received, quotes and W/ prefix included; GitHub compares it verbatim.
    response = await options.request(stored ? { 'if-none-match': stored.etag } : {});
  } catch (error) {
    // @octokit/request throws on 304 instead of returning it.
    if (stored && statusOf(error) === 304) return { value: stored.value, notModified: true };
    throw error;
  }
  const value = options.extract(response);
  const etag = response.headers.etag;
  if (kv && etag) {
    const entry: StoredEntry<T> = { v: ENTRY_VERSION, etag, value };
    try {
      await kv.set(ETAG_NAMESPACE, key, entry);
    } catch (error) {
      // Losing the ETag only costs a full request next time; the run itself has its data.
      logger.warning(`Could not store the ETag for ${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { value, notModified: false };
}

async function readEntry<T>(kv: KeyValueStore, key: string, logger: GitHubLogger): Promise<StoredEntry<T> | undefined> {
  try {
    const entry = await kv.get<StoredEntry<T>>(ETAG_NAMESPACE, key);
    if (entry && entry.v === ENTRY_VERSION && typeof entry.etag === 'string' && entry.value !== undefined) return entry;
  } catch (error) {
    logger.warning(`Could not read the stored ETag for ${key}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return undefined;
}
