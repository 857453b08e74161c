/**
 * Source nested thousands deep (`[[[[…]]]]`, `((((…))))`) overflows the stack of a recursive parser —
 * sucrase's and acorn's as discovery lists flows, V8's as a run imports the file — which says only
 * `Maximum call stack size exceeded`, as if the flow's code had recursed. This tells that overflow apart and
 * says what is wrong instead.
 */

/** What is wrong with such a file (`what`: the file, or which), and what to do about it. */
export function tooDeeplyNested(what = 'the file'): string {
  return `${what} nests too deeply for the parser to read (brackets, braces or parentheses nested thousands deep); simplify it: split the nested expression into parts, or build deeply nested data at run time`;
}

/** A stack overflow: V8's RangeError, whatever recursed (sucrase puts `Error transforming <file>: ` before its message). */
export function isStackOverflow(e: unknown): e is RangeError {
  return e instanceof RangeError && e.message.endsWith('Maximum call stack size exceeded');
}

/**
 * A stack overflow while V8 compiled a module, not while its code ran: every frame is Node's own (its
 * module loader's), none the file's — code that recurses as it is imported fills the stack with its own frames.
 */
export function isParserOverflow(e: unknown): boolean {
  if (!isStackOverflow(e)) return false;
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  return frames.length > 0 && frames.every((l) => /(?:\(|at (?:async )?)node:/.test(l));
}
