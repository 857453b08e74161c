/**
 * An API's answer read up to a bound. The built-in flows' clients (Octokit, googleapis/gaxios) read a body
 * whole into memory: without a bound a proxy's endless body grew until the task timed out (8 GB in 120 s).
 * Past the bound the body's stream errors — with what `tooLarge` makes — and the connection is closed.
 */

/** The most of one answer read: GitHub's and Google's largest answers are a few MB. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/**
 * `response` with its body cut off past MAX_ANSWER_BYTES, the stream erroring with `tooLarge()`. `onEnd` hears
 * that the body was read to its end (at once for an answer without one).
 */
export function limitedAnswer(response: Response, tooLarge: () => Error, onEnd?: () => void): Response {
  if (response.body === null) {
    onEnd?.();
    return response;
  }
  let seen = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > MAX_ANSWER_BYTES) {
          controller.error(tooLarge());
          return;
        }
        controller.enqueue(chunk);
      },
      flush() {
        onEnd?.();
      },
    }),
  );
  const limited = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(limited, 'url', { value: response.url });
  return limited;
}
