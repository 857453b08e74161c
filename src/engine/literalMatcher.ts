/**
 * Finding any of many fixed strings in a text, for masking secrets in every log line. Two ways, picked by
 * how many strings there are, after measuring both (100-character log lines, random tokens and their
 * encodings; microseconds per line on a shared 2-core machine):
 *
 * | strings            |  18 |  60 | 180 | 600 | 1,800 |
 * | one RegExp         | 0.8 | 0.9 | 1.3 |  72 |    74 |
 * | 3-character index  | 6.7 | 6.9 | 4.2 | 7.5 |   9.6 |
 *
 * V8 scans an alternation of a few hundred literals fast and falls off a cliff past that (and compiling
 * 10,000 took seconds); an index of each string's first three characters costs a lookup per position
 * whatever the number of strings.
 */

/** Up to this many strings, one RegExp; past it, the index. */
const REGEXP_LIMIT = 300;

/** The index keys on this many leading characters; every string must be at least this long. */
const KEY_LENGTH = 3;

/**
 * Strings are added one at a time (a flow registers tokens as it gets them): the RegExp is rebuilt on the
 * next search, and past the limit each string goes straight into the index.
 */
export class LiteralMatcher {
  private readonly literals = new Set<string>();
  private shortest = Number.POSITIVE_INFINITY;
  private pattern: RegExp | undefined;
  private index: Map<number, string[]> | undefined;

  constructor(literals: Iterable<string> = []) {
    for (const literal of literals) this.add(literal);
  }

  add(literal: string): void {
    if (literal.length < KEY_LENGTH) throw new RangeError(`LiteralMatcher needs strings of ${KEY_LENGTH} characters or more, got ${JSON.stringify(literal)}`);
    if (this.literals.has(literal)) return;
    this.literals.add(literal);
    this.shortest = Math.min(this.shortest, literal.length);
    if (this.index !== undefined) {
      addToIndex(this.index, literal);
    } else if (this.literals.size > REGEXP_LIMIT) {
      this.index = new Map();
      for (const l of this.literals) addToIndex(this.index, l);
      this.pattern = undefined;
    } else {
      this.pattern = undefined;
    }
  }

  /**
   * Where the strings occur in `text`, as [start, end) offset pairs in a flat array: at each position where
   * any of them starts, the longest one, positions in increasing order (so occurrences may overlap).
   * `undefined` when none occurs, which allocates nothing.
   */
  find(text: string): number[] | undefined {
    if (text.length < this.shortest) return undefined;
    return this.index === undefined ? this.findByPattern(text) : findByIndex(this.index, text);
  }

  private findByPattern(text: string): number[] | undefined {
    // Alternatives are tried in order, so with the longest first, the longest string starting at a position wins.
    this.pattern ??= new RegExp([...this.literals].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    const pattern = this.pattern;
    let found: number[] | undefined;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      (found ??= []).push(match.index, match.index + match[0].length);
      // One position on, not past the match: another string may start inside this one.
      pattern.lastIndex = match.index + 1;
    }
    return found;
  }
}

/** Buckets keep their strings longest first, so the first one that matches is the longest. */
function addToIndex(index: Map<number, string[]>, literal: string): void {
  const key = keyAt(literal, 0);
  const bucket = index.get(key);
  if (bucket === undefined) {
    index.set(key, [literal]);
    return;
  }
  const at = bucket.findIndex((l) => l.length < literal.length);
  bucket.splice(at === -1 ? bucket.length : at, 0, literal);
}

function findByIndex(index: Map<number, string[]>, text: string): number[] | undefined {
  let found: number[] | undefined;
  for (let at = 0; at + KEY_LENGTH <= text.length; at++) {
    const bucket = index.get(keyAt(text, at));
    if (bucket === undefined) continue;
    const literal = bucket.find((l) => text.startsWith(l, at));
    if (literal !== undefined) (found ??= []).push(at, at + literal.length);
  }
  return found;
}

/** Three UTF-16 code units packed into one number (48 bits: exact in a double), so a lookup allocates nothing. */
function keyAt(text: string, at: number): number {
  return text.charCodeAt(at) * 0x1_0000_0000 + text.charCodeAt(at + 1) * 0x1_0000 + text.charCodeAt(at + 2);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
