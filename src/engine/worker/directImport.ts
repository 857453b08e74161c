/**
 * A flow module imported without Node's module hooks. Registering the hooks starts Node's loader thread
 * and waits for it — on Node 20 the largest part of a short run's start — and once they are registered
 * every import goes through that thread. A flow that is an ES module whose imports are only 'flowdeck'
 * and Node's built-ins needs none of what the hooks do: its compiled code, with 'flowdeck' pointing at a
 * module that exports this worker's API object, is written to the store's `compiled` folder and loaded
 * from there (moduleImport.ts) — and found there again, by the flow file's content, by the next run of it.
 * Anything else (relative imports, packages, `import()`, `import.meta.resolve`) goes through the hooks.
 *
 * What the module sees is what it would see through the hooks: `import.meta.url`, `.filename` and
 * `.dirname` are its own file's (set on the first line, so no line moves), and with the inline source
 * map its stack frames name its own file and lines.
 */
import { createHash } from 'node:crypto';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as lexModule } from 'es-module-lexer';
import { writeCompiledFile } from '../compiledFile';
import { readTextFile } from '../readTextFile';
import { apiModuleSource } from './apiModule';

const META_PROPERTY = /^\s*\.\s*(url|filename|dirname)\b/;

/** The 'flowdeck' module as a URL any module can import, wherever it is. */
export function apiModuleUrl(apiExports: readonly string[]): string {
  return `data:text/javascript,${encodeURIComponent(apiModuleSource(apiExports))}`;
}

/**
 * `code` (an ES module compiled from `file`) made to load from elsewhere: 'flowdeck' imports point at
 * `apiUrl`, `import.meta` says `file`'s. Undefined when the module needs the hooks.
 */
export function relocatableModule(code: string, file: string, apiUrl: string): string | undefined {
  let imports: ReturnType<typeof lexModule>[0];
  try {
    [imports] = lexModule(code);
  } catch {
    return undefined; // Node's parser, through the hooks, says what is wrong.
  }
  let out = '';
  let at = 0;
  let meta = false;
  for (const i of imports) {
    if (i.type === 'import-meta') {
      if (!META_PROPERTY.test(code.slice(i.end, i.end + 40))) return undefined;
      meta = true;
      continue;
    }
    if (i.type !== 'static' && i.type !== 'reexport-star') return undefined;
    if (i.attributes !== null || i.phase !== null) return undefined;
    if (i.specifier === 'flowdeck') {
      if (code.slice(i.start, i.end) !== 'flowdeck') return undefined; // Written with escapes.
      out += code.slice(at, i.start) + apiUrl;
      at = i.end;
    } else if (!isBuiltin(i.specifier)) {
      return undefined;
    }
  }
  out += code.slice(at);
  if (!meta) return out;
  const url = pathToFileURL(file).href;
  // One line, so the source map's lines still hold: the first, or the second after a hashbang (which must come first).
  const prefix = `import.meta.url = ${JSON.stringify(url)}; import.meta.filename = ${JSON.stringify(file)}; import.meta.dirname = ${JSON.stringify(dirname(file))}; `;
  const hashbang = out.startsWith('#!') ? out.indexOf('\n') + 1 : 0;
  if (out.startsWith('#!') && hashbang === 0) return undefined;
  return out.slice(0, hashbang) + prefix + out.slice(hashbang);
}

/** What a kept copy ends with: the hash of everything before it, so a copy emptied, cut short or edited is made again. */
const SEAL = '\n// flowdeck-direct ';
const SEALED_HASH = /^[0-9a-f]{64}\n$/;

/**
 * Where the copy of the flow file `file` (its content `source`) is kept: named by all it is made from — the
 * copy's shape ('direct-1', bumped when relocatableModule changes what it makes), the compiler, the API
 * module it links to — so a run of an unchanged file finds it without compiling, lexing or comparing.
 */
export function copyPath(home: string, file: string, source: string, compilerId: string, apiUrl: string): string {
  const hash = createHash('sha256');
  for (const part of ['direct-1', compilerId, apiUrl, file, source]) hash.update(part).update('\0');
  return join(home, 'compiled', `${hash.digest('hex').slice(0, 40)}.mjs`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The URL of the copy at `path`, if it is there whole (one read); undefined otherwise. */
export function keptCopy(path: string): string | undefined {
  const text = readTextFile(path);
  if (text === undefined) return undefined;
  const at = text.lastIndexOf(SEAL);
  if (at === -1 || !SEALED_HASH.test(text.slice(at + SEAL.length))) return undefined;
  return sha256(text.slice(0, at)) === text.slice(at + SEAL.length, at + SEAL.length + 64) ? pathToFileURL(path).href : undefined;
}

/**
 * Keeps `text` as the copy at `path` (sealed with its hash, on a line of its own after it, so no line
 * of the module moves) and returns its URL. Undefined when the store cannot keep it (read-only, full):
 * the hooks load the module instead.
 */
export function keepCopy(path: string, text: string): string | undefined {
  return writeCompiledFile(dirname(path), path, `${text}${SEAL}${sha256(text)}\n`) ? pathToFileURL(path).href : undefined;
}
