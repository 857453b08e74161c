/**
 * Node's module customization hooks for the worker (`module.register`), run on Node's loader thread for
 * everything loaded with `import`: 'flowdeck' is the worker's own API object, the workspace's TypeScript
 * and JavaScript are compiled, and TypeScript-style specifiers (`./lib`, or `./lib.js` for `lib.ts`)
 * resolve. An ES module stays one; a CommonJS file goes back to Node's CommonJS loader, whose require()
 * the worker hooks itself.
 *
 * The hooks compile here, on the loader thread, through the store's compile cache (a file compiled before
 * is read back, the compiler never loaded). They never wait for the worker's main thread: from Node 24 the
 * main thread waits for this one while it imports, so a hook that asked it for anything would wait
 * forever — the run stuck in Pending with its flow half loaded (measured on Node 24.22: every flow that
 * needs the hooks did, and a standby's rehearsal too). The store's folder comes through shared memory
 * (sharedText.ts), set by the main thread before each load.
 */
import { readFile } from 'node:fs/promises';
import type { InitializeHook, LoadHook, ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compileFile } from '../compileCache';
import { CompileError, releaseTranspiler } from '../compiler';
import { moduleFormat } from '../moduleFormat';
import { apiModuleSource } from './apiModule';
import { readSharedText } from './sharedText';

export interface HooksData {
  /** The names the API exports, so that `import { flow } from 'flowdeck'` links. */
  apiExports: string[];
  /** URL of Flowdeck's own folder: its bundles load as they are. */
  ownDirUrl: string;
  /** The store whose `compiled` folder caches compiled sources (sharedText.ts; '' for none). */
  home: SharedArrayBuffer;
}

/** The `code` of an error that is a compile error of a flow source (errors cross threads as plain Errors). */
export const COMPILE_ERROR_CODE = 'FLOWDECK_COMPILE_ERROR';

const API_URL = 'flowdeck:api';
const COMPILED = /\.[cm]?[jt]sx?$/;

let data: HooksData | undefined;

export const initialize: InitializeHook<HooksData> = (d) => {
  data = d;
};

/** Compiles going on: the compiler's running parts (esbuild's service) are let go once none is. */
let compiling = 0;

function compileForImport(file: string): { format: 'module' | 'commonjs'; code: string } {
  compiling++;
  try {
    const c = compileFile(file, readSharedText(data!.home), 'preserve');
    return { format: moduleFormat(file, c.moduleSyntax), code: c.code };
  } catch (e) {
    // The main thread tells a compile error by its code: what crosses threads is a plain Error.
    throw Object.assign(new Error((e as Error).message), e instanceof CompileError ? { code: COMPILE_ERROR_CODE } : {});
  } finally {
    // A module's imports are loaded together: one compiler serves them all, let go once they are done.
    setImmediate(() => {
      if (--compiling === 0) releaseTranspiler();
    });
  }
}

function workspaceFile(url: string): boolean {
  return url.startsWith('file:') && !/\/node_modules\//.test(url) && !url.startsWith(data!.ownDirUrl);
}

/** What TypeScript accepts for a relative import that Node does not: no extension, or `.js` for `.ts`. */
function typescriptCandidates(specifier: string): string[] {
  const withJsExtension = /\.([cm]?)js(x?)$/.exec(specifier);
  if (withJsExtension) return [`${specifier.slice(0, -withJsExtension[0].length)}.${withJsExtension[1]}ts${withJsExtension[2]}`];
  if (/\.[a-z]+$/i.test(specifier)) return [];
  return ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'].map((ext) => specifier + ext);
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (specifier === 'flowdeck') return { url: API_URL, shortCircuit: true };
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const relative = /^\.{0,2}\//.test(specifier);
    if (!relative || !context.parentURL || !workspaceFile(context.parentURL) || (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT')) throw e;
    for (const candidate of typescriptCandidates(specifier)) {
      try {
        return await nextResolve(candidate, context);
      } catch {
        // Not this one either.
      }
    }
    throw e;
  }
};

export const load: LoadHook = async (url, context, nextLoad) => {
  if (url === API_URL) return { format: 'module', source: apiModuleSource(data!.apiExports), shortCircuit: true };
  if (!workspaceFile(url)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  if (COMPILED.test(file)) {
    const compiled = compileForImport(file);
    // Without a source, Node loads a CommonJS module with its CommonJS loader, where require() is hooked.
    return compiled.format === 'commonjs' ? { format: 'commonjs', shortCircuit: true } : { format: 'module', source: compiled.code, shortCircuit: true };
  }
  if (file.endsWith('.json') && context.importAttributes.type !== 'json') {
    // TypeScript lets `import data from './data.json'` go without `with { type: 'json' }`; so do flows.
    const text = await readFile(file, 'utf8');
    JSON.parse(text);
    return { format: 'module', source: `export default JSON.parse(${JSON.stringify(text)});\n`, shortCircuit: true };
  }
  return nextLoad(url, context);
};
