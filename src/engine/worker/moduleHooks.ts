/**
 * Node's module customization hooks for the worker (`module.register`), run on Node's loader thread for
 * everything loaded with `import`: 'flowdeck' is the worker's own API object, the workspace's TypeScript
 * and JavaScript are compiled (by the worker's main thread, asked over a port: it has the compiler
 * loaded already, and this thread starts faster without it), and TypeScript-style specifiers (`./lib`,
 * or `./lib.js` for `lib.ts`) resolve. An ES module stays one; a CommonJS file goes back to Node's
 * CommonJS loader, whose require() the worker hooks itself.
 */
import { readFile } from 'node:fs/promises';
import type { InitializeHook, LoadHook, ResolveHook } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import type { ModuleFormat } from '../moduleFormat';
import { apiModuleSource } from './apiModule';

export interface HooksData {
  /** The names the API exports, so that `import { flow } from 'flowdeck'` links. */
  apiExports: string[];
  /** URL of Flowdeck's own folder: its bundles load as they are. */
  ownDirUrl: string;
  /** Where compile requests go; the main thread answers each with a CompileReply. */
  port: MessagePort;
}

export interface CompileRequest {
  id: number;
  file: string;
}

export type CompileReply = { id: number; format: ModuleFormat; code: string } | { id: number; error: string; compileError: boolean };

/** The `code` of an error that is a compile error of a flow source (errors cross threads as plain Errors). */
export const COMPILE_ERROR_CODE = 'FLOWDECK_COMPILE_ERROR';

const API_URL = 'flowdeck:api';
const COMPILED = /\.[cm]?[jt]sx?$/;

let data: HooksData | undefined;
let nextId = 1;
const waiting = new Map<number, (reply: CompileReply) => void>();

export const initialize: InitializeHook<HooksData> = (d) => {
  data = d;
  d.port.on('message', (reply: CompileReply) => {
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  });
};

function compile(file: string): Promise<CompileReply> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    data!.port.postMessage({ id, file } satisfies CompileRequest);
  });
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
    const reply = await compile(file);
    if ('error' in reply) throw Object.assign(new Error(reply.error), reply.compileError ? { code: COMPILE_ERROR_CODE } : {});
    // Without a source, Node loads a CommonJS module with its CommonJS loader, where require() is hooked.
    return reply.format === 'commonjs' ? { format: 'commonjs', shortCircuit: true } : { format: 'module', source: reply.code, shortCircuit: true };
  }
  if (file.endsWith('.json') && context.importAttributes.type !== 'json') {
    // TypeScript lets `import data from './data.json'` go without `with { type: 'json' }`; so do flows.
    const text = await readFile(file, 'utf8');
    JSON.parse(text);
    return { format: 'module', source: `export default JSON.parse(${JSON.stringify(text)});\n`, shortCircuit: true };
  }
  return nextLoad(url, context);
};
