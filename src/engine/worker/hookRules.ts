/**
 * What the worker's module hooks decide, whichever kind runs them: Node's loader thread (`module.register`,
 * moduleHooks.ts) or the worker's own thread (`module.registerHooks`, inThreadHooks.ts). 'flowdeck' is the
 * worker's API module; the workspace's TypeScript and JavaScript are compiled; TypeScript-style relative
 * specifiers (`./lib`, or `./lib.js` for `lib.ts`) resolve; a JSON file imports without its attribute.
 */
import { moduleFormat } from '../moduleFormat';
import { apiModuleSource } from './apiModule';

export const API_URL = 'flowdeck:api';

/** The files the hooks compile (a workspace file of another kind loads as Node loads it). */
export const COMPILED = /\.[cm]?[jt]sx?$/;

/** A file of the workspace: neither a package nor Flowdeck's own, whose bundles load as they are. */
export function isWorkspaceFile(url: string, ownDirUrl: string): boolean {
  return url.startsWith('file:') && !/\/node_modules\//.test(url) && !url.startsWith(ownDirUrl);
}

/**
 * What TypeScript accepts for a relative import that Node does not: no extension, or `.js` for `.ts`. A dot in
 * the last name that is no module's extension is part of the name, as TypeScript reads it: `./lib/child.flow`
 * is `child.flow.ts` (a flow imported from another flow file), `./date.utils` is `date.utils.ts`.
 */
function typescriptCandidates(specifier: string): string[] {
  const withJsExtension = /\.([cm]?)js(x?)$/.exec(specifier);
  if (withJsExtension) return [`${specifier.slice(0, -withJsExtension[0].length)}.${withJsExtension[1]}ts${withJsExtension[2]}`];
  if (/\.(?:[cm]?tsx?|json|node|wasm)$/i.test(specifier)) return [];
  return ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'].map((ext) => specifier + ext);
}

/**
 * The specifiers to try after Node could not resolve `specifier` (its error `e`): TypeScript's, for a
 * relative import from a workspace file that Node found nothing for; none otherwise (the error stands).
 */
export function candidatesAfter(e: unknown, specifier: string, parentURL: string | undefined, ownDirUrl: string): string[] {
  const code = (e as NodeJS.ErrnoException).code;
  if (!/^\.{0,2}\//.test(specifier) || !parentURL || !isWorkspaceFile(parentURL, ownDirUrl)) return [];
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT' ? typescriptCandidates(specifier) : [];
}

/** The API module, as a load hook gives it. */
export function apiModule(apiExports: readonly string[]): { format: 'module'; source: string; shortCircuit: true } {
  return { format: 'module', source: apiModuleSource(apiExports), shortCircuit: true };
}

/** Whether `file` (imported with `attributes`) is JSON imported the way TypeScript allows: without `with { type: 'json' }`. */
export function isBareJsonImport(file: string, attributes: Record<string, string | undefined> | undefined): boolean {
  return file.endsWith('.json') && attributes?.type !== 'json';
}

/** A JSON file as an ES module whose default export is its value (`text` is checked to parse first). */
export function jsonModule(text: string): { format: 'module'; source: string; shortCircuit: true } {
  JSON.parse(text);
  return { format: 'module', source: `export default JSON.parse(${JSON.stringify(text)});\n`, shortCircuit: true };
}

/**
 * A workspace file, compiled with its module syntax preserved, as a load hook gives it: an ES module's code,
 * or CommonJS left to Node's CommonJS loader (whose require() the worker hooks).
 */
export function compiledModule(file: string, compiled: { code: string; moduleSyntax: boolean }): { format: 'module' | 'commonjs'; source?: string; shortCircuit: true } {
  return moduleFormat(file, compiled.moduleSyntax) === 'commonjs' ? { format: 'commonjs', shortCircuit: true } : { format: 'module', source: compiled.code, shortCircuit: true };
}
