/**
 * A flow module imported without Node's module hooks. Registering the hooks starts Node's loader thread
 * and waits for it — on Node 20 the largest part of a short run's start — and once they are registered
 * every import goes through that thread. A flow that is an ES module whose imports are only 'flowdeck'
 * and Node's built-ins needs none of what the hooks do: its compiled code, with 'flowdeck' pointing at a
 * module that exports this worker's API object, is written to the store's `compiled` folder and
 * imported from there. Anything else (relative imports, packages, `import()`, `import.meta.resolve`)
 * goes through the hooks, as before.
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
import { keepCompiledFile } from '../compileCache';
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

/**
 * The URL of a file under `<home>/compiled` holding `text`, written there unless it already is. Undefined
 * when the store cannot keep it (no store, read-only, full): the hooks load the module instead.
 */
export function moduleFile(home: string, text: string): string | undefined {
  if (!home) return undefined;
  const dir = join(home, 'compiled');
  const path = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 40)}.mjs`);
  return keepCompiledFile(dir, path, text) ? pathToFileURL(path).href : undefined;
}
