/**
 * `flowdeck serve --notify-url URL`: each notice is POSTed as JSON `{ text, run }` — `text` reads as a
 * Slack or Mattermost incoming-webhook message — retried with exponential backoff (p-retry) while the
 * server is unreachable or answers 5xx, 408 or 429. Everything in it is masked like logs.
 */
import pRetry, { AbortError } from 'p-retry';
import type { FlowRunSummary } from '../records';
import type { SecretMasker } from '../secrets';

export interface WebhookBody {
  text: string;
  run: { id: string; name: string; flowName: string; state: string; startTime: string | null; endTime: string | null; message: string | null };
}

export function webhookBody(text: string, run: FlowRunSummary, masker: SecretMasker): WebhookBody {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return masker.maskValue({
    text,
    run: { id: run.id, name: run.name, flowName: run.flowName, state: run.state.name, startTime: iso(run.startTime), endTime: iso(run.endTime), message: run.state.message ?? null },
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
}

/** POSTs `body` to `url`, retrying what may pass on a later attempt; throws when it never did. */
export async function postWebhook(url: string, body: WebhookBody, options: PostOptions = {}): Promise<void> {
  await pRetry(
    async () => {
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout });
      await res.body?.cancel();
      if (res.ok) return;
      const error = new Error(`the server answered HTTP ${res.status}`);
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new AbortError(error);
      throw error;
    },
    {
      retries: options.retries ?? 5,
      minTimeout: options.minTimeoutMs ?? 1000,
      factor: 2,
      maxTimeout: 30_000,
      ...(options.signal ? { signal: options.signal } : {}),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0) options.onRetry?.(attemptNumber, error);
      },
    },
  );
}

/** Where notices go, for messages: the URL without its path and query (a webhook URL's path is its secret). */
export function webhookOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}
