/**
 * Runs do not apply a tsconfig.json's `paths` (README, Limits): an import that only such an entry maps fails
 * as a module not found. This finds the entry, so that the error says so rather than "install the package".
 * Only the nearest tsconfig.json (or jsconfig.json) up from the importing file is read, as JSON with
 * comments and trailing commas; its `extends` is not followed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The `paths` pattern of the nearest config above `fromDir` that maps `specifier`, and that config's path. */
export function pathsEntryFor(specifier: string, fromDir: string): { pattern: string; config: string } | undefined {
  for (let dir = fromDir, depth = 0; depth < 64; depth++) {
    for (const name of ['tsconfig.json', 'jsconfig.json']) {
      const config = join(dir, name);
      let text: string;
      try {
        text = readFileSync(config, 'utf8');
      } catch {
        continue;
      }
      const paths = pathsOf(text);
      const pattern = paths === undefined ? undefined : Object.keys(paths).find((p) => matches(p, specifier));
      return pattern === undefined ? undefined : { pattern, config };
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

function matches(pattern: string, specifier: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === specifier;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return specifier.length >= head.length + tail.length && specifier.startsWith(head) && specifier.endsWith(tail);
}

/** `compilerOptions.paths` of a config's text (JSON with comments), or undefined. */
function pathsOf(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(withoutComments(text).replace(/,(\s*[}\]])/g, '$1')) as { compilerOptions?: { paths?: unknown } };
    const paths = parsed?.compilerOptions?.paths;
    return paths !== null && typeof paths === 'object' && !Array.isArray(paths) ? (paths as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `text` without `//` and `/* *\/` comments, strings (which may hold `/*`, as `"src/*"` does) left whole. */
function withoutComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else out += c;
  }
  return out;
}
