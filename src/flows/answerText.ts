/**
 * How a value an API should not have sent is quoted in an error message, by both built-in flows' answer
 * checks: `the text "<html>Sign in…"` for a page, `null`, `-5`, `a list` — short and on one line, since
 * a proxy's page can be long and hold anything.
 */
import { MASK, type SecretMasker } from '../engine/secrets';

const SHOWN_CHARS = 60;

/**
 * `secrets`: what the flow knows to be secret (its tokens, the environment's). A page that echoes the
 * request (a proxy's error page quoting its `Authorization` header or form body) holds the flow's tokens,
 * and a token cut by the limit is no longer found by the masking the message goes through later, so its
 * first part would show: the page is masked first (as it came, before its spaces are folded), then cut.
 */
export function describeAnswerValue(value: unknown, secrets: SecretMasker): string {
  if (typeof value === 'string') {
    const flat = secrets.mask(value).replace(/\s+/g, ' ').trim();
    if (flat === '') return 'empty';
    return `the text ${JSON.stringify(flat.length > SHOWN_CHARS ? `${flat.slice(0, cutAfterMasks(flat))}…` : flat)}`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** SHOWN_CHARS, or past a mask the limit falls inside: `***`, not `**`, says a secret was there. */
function cutAfterMasks(masked: string): number {
  const mask = masked.lastIndexOf(MASK, SHOWN_CHARS - 1);
  return mask !== -1 && mask + MASK.length > SHOWN_CHARS ? mask + MASK.length : SHOWN_CHARS;
}
