/**
 * How a value an API should not have sent is quoted in an error message, by both built-in flows' answer
 * checks: `the text "<html>Sign in…"` for a page, `null`, `-5`, `a list` — short and on one line, since
 * a proxy's page can be long and hold anything.
 */
const SHOWN_CHARS = 60;

/**
 * What ends a word of a quoted page. A token, and a secret as URLs, forms, base64 or JSON encode it, is one
 * word: it holds none of these.
 */
const WORD_END = /[\s<>"'&,;()[\]{}|`]/;

export function describeAnswerValue(value: unknown): string {
  if (typeof value === 'string') {
    const flat = value.replace(/\s+/g, ' ').trim();
    if (flat === '') return 'empty';
    return `the text ${JSON.stringify(flat.length > SHOWN_CHARS ? `${wholeWordsHead(flat)}…` : flat)}`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * The first SHOWN_CHARS characters, without the word the limit cuts: a page that echoes the request (a
 * proxy's error page quoting its `Authorization` header or form body) holds the flow's tokens, and a token
 * cut short is no longer found by the masking of secrets the message goes through, so its first part would
 * show. A whole token before the cut is masked there.
 */
function wholeWordsHead(flat: string): string {
  let cut = SHOWN_CHARS;
  if (!WORD_END.test(flat[cut]!)) while (cut > 0 && !WORD_END.test(flat[cut - 1]!)) cut--;
  return flat.slice(0, cut);
}
