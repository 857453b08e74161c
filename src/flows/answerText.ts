/**
 * How a value an API should not have sent is quoted in an error message, by both built-in flows' answer
 * checks: `the text "<html>Sign in…"` for a page, `null`, `-5`, `a list` — short and on one line, since
 * a proxy's page can be long and hold anything.
 */
const SHOWN_CHARS = 60;

export function describeAnswerValue(value: unknown): string {
  if (typeof value === 'string') {
    const flat = value.replace(/\s+/g, ' ').trim();
    if (flat === '') return 'empty';
    return `the text ${JSON.stringify(flat.length > SHOWN_CHARS ? `${flat.slice(0, SHOWN_CHARS)}…` : flat)}`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
