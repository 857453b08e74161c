/**
 * `flowdeck serve --notify-url URL`: each notice is POSTed as JSON `{ id, text, run }` — `text` reads as a
 * Slack or Mattermost incoming-webhook message, `id` is the same each time a notice is told — retried with exponential backoff (p-retry) while the
 * server is unreachable or answers 5xx, 408 or 429; the next try waits at least what a 429's or 503's
 * `Retry-After` asks (retryAfter.ts). A redirect is not followed: it fails the notice, saying so.
 * Everything in it is masked like logs.
 */
import { setTimeout as delay } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';
import { systemClock, type Clock } from '../clock';
import { requestDeadline } from '../requestDeadline';
import { SecretMasker } from '../secrets';
import { noticeId, type Notice, type NoticeSummary, type SummedRun } from './notices';
import { retryAfterMs } from './retryAfter';

export interface WebhookBody {
  /** The notice's id (noticeId): the same each time the notice is told, for a receiver to drop one told again. */
  id: string;
  text: string;
  /** The run told of; a summary's latest. */
  run: { id: string; name: string; flowName: string; state: string; startTime: string | null; endTime: string | null; message: string | null };
  /** A summary's runs, in the order they ended: the first SUMMARY_RUNS_LISTED. */
  runs?: SummedRun[];
  /** A summary's runs past those listed. */
  moreRuns?: number;
}

export function webhookBody(notice: Notice | NoticeSummary, masker: SecretMasker): WebhookBody {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const run = 'run' in notice ? notice.run : notice.latest;
  return masker.maskValue({
    id: noticeId(notice),
    text: notice.text,
    run: { id: run.id, name: run.name, flowName: run.flowName, state: run.state.name, startTime: iso(run.startTime), endTime: iso(run.endTime), message: run.state.message ?? null },
    ...('runs' in notice ? { runs: notice.runs, moreRuns: notice.runIds.length - notice.runs.length } : {}),
  });
}

export interface PostOptions {
  /** Attempts after the first (default 5: about a minute of trying). */
  retries?: number;
  /** The first wait between attempts, doubled each time. */
  minTimeoutMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** An attempt failed and another comes (not called for the last one: the post then throws). */
  onRetry?: (attempt: number, error: Error) => void;
  /** What an HTTP-date `Retry-After` is read against. */
  clock?: Clock;
  /**
   * Waits `ms`, or until `signal` aborts: the part of a `Retry-After` wait the backoff's own does not cover
   * (it follows). Tests pass their own, to see what was asked without waiting it.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

/** An answer another attempt may pass, with the wait its `Retry-After` asks for, if any. */
class RefusedError extends Error {
  constructor(
    status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`the server answered HTTP ${status}${retryAfterMs ? `, asking to retry after ${Math.ceil(retryAfterMs / 1000)} s` : ''}`);
  }
}

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined);

/** POSTs `body` to `url`, retrying what may pass on a later attempt; throws when it never did. */
export async function postWebhook(url: string, body: WebhookBody, options: PostOptions = {}): Promise<void> {
  const minTimeout = options.minTimeoutMs ?? 1000;
  await pRetry(
    async () => {
      // Not AbortSignal.any with AbortSignal.timeout: on Node 20 that joined bound can be dropped by a garbage
      // collection and never fire (requestDeadline.ts); here it was kept only by this frame's local variable.
      const timeoutMs = options.timeoutMs ?? 10_000;
      const deadline = requestDeadline(timeoutMs, options.signal, () => new DOMException(`No answer within ${timeoutMs / 1000} s`, 'TimeoutError'));
      let res: Response;
      try {
        // Not followed: fetch turns a POST sent on by a 301, 302 or 303 into a GET without the notice, which
        // the server may well answer 200 — a notice lost while it looked delivered.
        res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), redirect: 'manual', signal: deadline.signal });
        await res.body?.cancel();
      } finally {
        deadline.done();
      }
      if (res.ok) return;
      if (res.status >= 300 && res.status < 400) throw new AbortError(new Error(redirectText(url, res.status, res.headers.get('location'))));
      const asked = res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get('retry-after'), (options.clock ?? systemClock).now()) : undefined;
      const error = new RefusedError(res.status, asked);
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new AbortError(error);
      throw error;
    },
    {
      retries: options.retries ?? 5,
      minTimeout,
      factor: 2,
      maxTimeout: MAX_BACKOFF_MS,
      ...(options.signal ? { signal: options.signal } : {}),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retriesConsumed }) => {
        // An attempt cut short by the signal is the end: no other follows, whatever retries are left.
        if (retriesLeft <= 0 || options.signal?.aborted) return;
        options.onRetry?.(attemptNumber, error);
        // p-retry's backoff comes next (minTimeout doubled per retry, at most MAX_BACKOFF_MS): the server's
        // Retry-After is heeded by waiting what it asks beyond that first, within the same number of retries.
        const asked = error instanceof RefusedError ? (error.retryAfterMs ?? 0) : 0;
        const backoff = Math.min(minTimeout * 2 ** retriesConsumed, MAX_BACKOFF_MS);
        if (asked > backoff) await (options.sleep ?? realSleep)(asked - backoff, options.signal);
      },
    },
  );
}

/** A redirect's answer, for the log: where it points by its origin only (its path may be a secret too). */
function redirectText(url: string, status: number, location: string | null): string {
  let to = '';
  try {
    if (location !== null) {
      const target = new URL(location, url);
      to = target.origin === new URL(url).origin ? ' to another path of the same server' : ` to ${target.origin}`;
    }
  } catch {
    // A Location that does not parse: the status says enough.
  }
  return `the server answered HTTP ${status}, a redirect${to}, which a notice does not follow (a POST sent on may arrive as a GET without it): use the URL it redirects to`;
}

/** Where notices go, for messages: the URL without its path and query (a webhook URL's path is its secret). */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

/**
 * What makes `url` unusable as a webhook, said without quoting any of it but its scheme; undefined when it
 * will do. A URL with a user name or password (`user:password@host`) is refused: fetch cannot send it.
 */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL: it must be an http:// or https:// URL';
  }
  if (!/^https?:$/.test(parsed.protocol)) return `must be an http:// or https:// URL, got a ${parsed.protocol.slice(0, 16)} URL`;
  if (parsed.username !== '' || parsed.password !== '') {
    return `holds a user name${parsed.password !== '' ? ' and password' : ''} ('user:password@' before the host), which a webhook POST cannot send: remove it, and use the URL your service gives for its incoming webhook (its token goes in the path or query)`;
  }
  return undefined;
}

/**
 * An error of a notice's POST, for the log: the URL, wherever quoted (fetch's TypeError quotes it whole),
 * is shown as its origin, and any piece of its user name, password, path or query left is masked.
 */
export function webhookErrorText(url: string, error: unknown): string {
  const text = errorText(error);
  const wholes = [url];
  const parts: string[] = [];
  try {
    const u = new URL(url);
    wholes.push(u.href);
    parts.push(u.username, u.password, u.pathname + u.search + u.hash, u.pathname, u.search, u.hash);
    for (const segment of u.pathname.split('/')) parts.push(segment);
    for (const value of u.searchParams.values()) parts.push(value);
  } catch {
    // Not a URL: the text as given is all there is to hide.
  }
  // A URL holds no NUL: the whole URL is set aside under one while its parts are masked, then reads as its origin.
  const HOLE = '\0\0';
  let out = text;
  for (const whole of wholes.sort((a, b) => b.length - a.length)) out = out.split(whole).join(HOLE);
  out = new SecretMasker([...parts, ...parts.map(decodeURIComponentSafe)].filter((p) => p !== '/')).mask(out);
  return out.split(HOLE).join(webhookOrigin(url));
}

/**
 * An error's message with its cause's: fetch says only `fetch failed`, its cause what failed (`connect
 * ECONNREFUSED 127.0.0.1:8080`, `getaddrinfo ENOTFOUND hooks.example`, `other side closed`, `bad port`).
 */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  const why = cause instanceof Error ? (cause.message.trim() || (cause as NodeJS.ErrnoException).code || '') : '';
  return why === '' || error.message.includes(why) ? error.message : `${error.message}: ${why.split('\n')[0]}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
