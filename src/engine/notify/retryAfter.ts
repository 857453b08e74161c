/**
 * A webhook's `Retry-After` (RFC 9110 §10.2.3), sent with 429 Too Many Requests or 503: how long it asks to
 * be left alone before the next try — whole seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`).
 */

/** The longest wait a Retry-After is heeded for: a server asking for more is tried again after this. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * The wait `value` asks for, in ms from `now`, at most MAX_RETRY_AFTER_MS; 0 for a date gone by, undefined for
 * no header or one that is neither form (the backoff alone then decides).
 */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // A date has letters (a day's and month's names): a number of another form (`1.5`, `-3`) is not one.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}
