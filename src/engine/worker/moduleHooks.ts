/**
 * Node's module customization hooks for the worker where Node has no `module.registerHooks` (Node 20, and
 * 22 before 22.15; elsewhere inThreadHooks.ts): `module.register`, run on Node's loader thread for
 * everything loaded with `import`, as hookRules.ts decides: 'flowdeck' is the worker's own API object, the
 * workspace's TypeScript and JavaScript are compiled, and TypeScript-style specifiers (`./lib`, or
 * `./lib.js` for `lib.ts`) resolve. An ES module stays one; a CommonJS file goes back to Node's CommonJS
 * loader, whose require() the worker hooks itself.
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
import { compileFile, type CompiledFile } from '../compileCache';
import { CompileError, CompilerFailure } from '../compiler';
import { API_URL, COMPILED, apiModule, candidatesAfter, compiledModule, isBareJsonImport, isWorkspaceFile, jsonModule } from './hookRules';
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

let data: HooksData | undefined;

export const initialize: InitializeHook<HooksData> = (d) => {
  data = d;
};

function compileForImport(file: string): CompiledFile {
  try {
    return compileFile(file, readSharedText(data!.home), 'preserve');
  } catch (e) {
    // The main thread tells a compile error, or a limit the compiler hit (EMFILE), by its code: what crosses threads is a plain Error.
    const code = e instanceof CompileError ? COMPILE_ERROR_CODE : e instanceof CompilerFailure ? e.code : undefined;
    throw Object.assign(new Error((e as Error).message), code !== undefined ? { code } : {});
  }
}

function workspaceFile(url: string): boolean {
  return isWorkspaceFile(url, data!.ownDirUrl);
}

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  if (specifier === 'flowdeck') return { url: API_URL, shortCircuit: true };
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    for (const candidate of candidatesAfter(e, specifier, context.parentURL, data!.ownDirUrl)) {
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
  if (url === API_URL) return apiModule(data!.apiExports);
  if (!workspaceFile(url)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  if (COMPILED.test(file)) return compiledModule(file, compileForImport(file));
  if (isBareJsonImport(file, context.importAttributes)) return jsonModule(await readFile(file, 'utf8'));
  return nextLoad(url, context);
};
