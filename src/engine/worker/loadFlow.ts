/**
 * Loading a flow module in the worker, as Node would load it: an ES module with `import()`, CommonJS with
 * `require()`. The workspace's sources compile on the fly — on Node's loader thread for what is imported
 * (moduleHooks.ts), through the CommonJS loader's extension hooks for what is required — and 'flowdeck'
 * is this worker's own API object either way. The module's exports are then searched for the flow to run.
 */
import { readFileSync, realpathSync } from 'node:fs';
import Module, { register } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as api from '../api';
import { compileFile, type CompiledFile } from '../compileCache';
import { CompileError, transpiler, type OutputFormat } from '../compiler';
import { discoverFile } from '../flowDiscovery';
import { pathsEntryFor } from '../tsconfigPaths';
import { moduleFormat } from '../moduleFormat';
import type { LoadRejection } from '../protocol';
import { API_GLOBAL } from './apiModule';
import { apiModuleUrl, copyPath, keepCopy, keptCopy, relocatableModule } from './directImport';
import { importFile, importModule } from './moduleImport';
import { inThreadHooksAvailable, registerInThreadHooks } from './inThreadHooks';
import { checkLoaderThreadRoom } from './loaderThreadRoom';
import { COMPILE_ERROR_CODE, type HooksData } from './moduleHooks';
import { errorMessage } from './errors';
import { sharedTextBuffer, writeSharedText } from './sharedText';
import { isSystemLimit, limitAdvice } from '../systemLimits';
import { isParserOverflow, tooDeeplyNested } from '../tooDeeplyNested';
import { isDeclaredFlow } from './declaredFlows';

export type AnyFlow = api.Flow<Record<string, unknown>, unknown>;

const ownDir = __dirname;

export class LoadError extends Error {
  constructor(
    readonly reason: LoadRejection,
    message: string,
    /** The secret parameters given as `***` that refused the load (secretsNotKept). */
    readonly secretsNotKept?: string[],
  ) {
    super(message);
  }
}

/**
 * What this worker compiled, by format and file: the flow module is looked at before it is imported, and
 * compiling it again for the import would read and hash it twice. A worker loads one flow, once.
 */
const compiledHere = new Map<string, CompiledFile>();

function compiled(file: string, home: string, output: OutputFormat, source?: string): CompiledFile {
  const key = `${output}\0${file}`;
  let c = compiledHere.get(key);
  if (!c) {
    c = compileFile(file, home, output, source);
    compiledHere.set(key, c);
  }
  return c;
}

/** CommonJS code for a workspace file that is `require()`d: module syntax, if any, becomes require/exports. */
function compileForRequire(file: string, home: string): string {
  const preserved = compiled(file, home, 'preserve');
  return preserved.moduleSyntax ? compiled(file, home, 'cjs').code : preserved.code;
}

/** The store whose `compiled` folder the hooks compile into: the one of the load being served. */
let storeHome = '';
/**
 * The same, for the hooks on Node's loader thread (a path longer than this goes without the cache there):
 * made when those hooks are registered (Node 20), not where the hooks run on this thread.
 */
let hooksHome: SharedArrayBuffer | undefined;

function useStore(home: string): void {
  storeHome = home;
  if (hooksHome) writeSharedText(hooksHome, home);
}

let requireHooks = false;
let importHooks = false;

function installRequireHooks(): void {
  if (requireHooks) return;
  requireHooks = true;
  const proto = Module.prototype as unknown as { require(id: string): unknown };
  const originalRequire = proto.require;
  proto.require = function (this: unknown, id: string) {
    return id === 'flowdeck' ? api : originalRequire.call(this, id);
  };
  type Loader = (m: { _compile(code: string, file: string): void }, file: string) => void;
  const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
  const jsLoader = extensions['.js']!;
  // Node's own loader for .mjs: its own entry where Node has one, else the .js one (which knows .mjs).
  const mjsLoader = extensions['.mjs'] ?? jsLoader;
  const compileHook: Loader = (m, file) => m._compile(compileForRequire(file, storeHome), file);
  for (const ext of ['.ts', '.mts', '.cts', '.tsx', '.mjs']) extensions[ext] = compileHook;
  // A flow's direct-import copy (directImport.ts) is an ES module as it is: Node loads it itself (moduleImport.ts).
  extensions['.mjs'] = (m, file) => (isKeptCopy(file) ? mjsLoader(m, file) : compileHook(m, file));
  // Packages and Flowdeck's own bundles load as they are.
  extensions['.js'] = (m, file) => (file.includes(`${'/'}node_modules${'/'}`) || file.startsWith(ownDir) ? jsLoader(m, file) : compileHook(m, file));
}

/** The store's `compiled` folder as Node names the files it requires from there: by its real path. */
let keptCopies: { home: string; dir: string } | undefined;

/**
 * Whether `file` (a path Node resolved: absolute, links followed) is a direct-import copy in the store's
 * `compiled` folder. FLOWDECK_HOME may be relative or a link: compared as given, the copy was compiled
 * again as CommonJS and its import of the API's `data:` URL failed ("Cannot find module 'data:…'").
 */
function isKeptCopy(file: string): boolean {
  if (storeHome === '') return false;
  if (keptCopies?.home !== storeHome) {
    const dir = join(storeHome, 'compiled');
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      real = resolve(dir);
    }
    keptCopies = { home: storeHome, dir: join(real, '/') };
  }
  return file.startsWith(keptCopies.dir);
}

let apiShared = false;

let hooksNeeded = true;

/** Whether the flow loaded last needed Node's module hooks (whether or not they were registered ahead). */
export function neededModuleHooks(): boolean {
  return hooksNeeded;
}

/** Leaves the API object where the 'flowdeck' module, however it is loaded, finds it. */
function shareApi(): void {
  if (apiShared) return;
  apiShared = true;
  Object.defineProperty(globalThis, Symbol.for(API_GLOBAL), { value: api });
}

/**
 * The hooks for what is imported: on this thread where Node has `module.registerHooks` (inThreadHooks.ts),
 * else on Node's loader thread (moduleHooks.ts), whose start takes time: only an ES module flow that needs
 * the hooks pays for it.
 */
function installImportHooks(): void {
  if (importHooks) return;
  if (!inThreadHooksAvailable) checkLoaderThreadRoom();
  importHooks = true;
  shareApi();
  const ownDirUrl = pathToFileURL(ownDir).href;
  if (inThreadHooksAvailable) {
    registerInThreadHooks({ apiExports: Object.keys(api), ownDirUrl, compile: (file) => compiled(file, storeHome, 'preserve') });
    return;
  }
  hooksHome = sharedTextBuffer(16 * 1024);
  writeSharedText(hooksHome, storeHome);
  const data: HooksData = { apiExports: Object.keys(api), ownDirUrl, home: hooksHome };
  register(pathToFileURL(join(ownDir, 'module-hooks.js')), { data });
}

/**
 * A worker started ahead of time readies what its run's load will need while it waits: the compiler is
 * found and, with `hooks` (a standby in a long-lived host), Node's loader thread is started and its resolve
 * and load paths run once; without (the CLI's worker, for a flow file that imports only 'flowdeck' and
 * built-ins), the import lexer and ES module loading run once instead — registering the hooks would put
 * their thread's start on the run's path, and send the flow through it.
 */
export function prewarm(hooks: boolean): void {
  installRequireHooks();
  transpiler();
  if (hooks) {
    try {
      installImportHooks();
    } catch {
      // Too few file descriptors for the loader thread: the run's load tries again, and says so.
      return;
    }
    const api = 'flowdeck';
    void importModule(api).catch(() => undefined);
  } else {
    shareApi();
    relocatableModule('export {};', '', apiUrl());
    void importModule(apiUrl())
      .then(() => importModule(pathToFileURL(join(ownDir, 'warm-up.mjs')).href))
      .catch(() => undefined);
  }
}

let apiModule: string | undefined;
function apiUrl(): string {
  apiModule ??= apiModuleUrl(Object.keys(api));
  return apiModule;
}

/** `name: '...'` values, as written: two flows can share a name only if one of these repeats. */
const LITERAL_NAME = /(?:\bname|(['"])name\1)\s*:\s*(['"`])((?:\\.|(?!\2)[^\\\n])*)\2/g;

/** Just before a `name:` in `task({ ... name: ...`: a task's name, which may equal its flow's. */
const IN_TASK_OPTIONS = /\btask\s*\(\s*\{[^{}()]*$/;

function repeatsALiteralName(source: string): boolean {
  const seen = new Set<string>();
  for (const m of source.matchAll(LITERAL_NAME)) {
    if (IN_TASK_OPTIONS.test(source.slice(Math.max(0, m.index - 400), m.index))) continue;
    if (seen.has(m[3]!)) return true;
    seen.add(m[3]!);
  }
  return false;
}

/**
 * A file that names two flows alike is refused before any of its code runs, with discovery's message.
 * The parser runs only when a literal name repeats, which in most flow files none does.
 */
function refuseDuplicateNames(modulePath: string, source: string, where: string): void {
  if (!repeatsALiteralName(source)) return;
  const { error } = discoverFile(modulePath);
  if (error?.kind === 'duplicate') throw new LoadError('no-flow', `${where}:${error.line}:${error.column}: ${error.message}`);
}

/**
 * The flow module's exports. `running` is called just before the file's own code runs (its top level):
 * what comes before is the worker's doing, bounded by its host; what the file does is not.
 */
async function loadModule(modulePath: string, home: string, where: string, running: () => void): Promise<unknown> {
  const run = importer(modulePath, home, where);
  running();
  return run();
}

/** How to import a workspace flow file, read once: for the duplicate names, the copy kept for it, the compiler. */
function importer(modulePath: string, home: string, where: string): () => unknown {
  const required = (): unknown => Module.createRequire(`${dirname(modulePath)}/`)(modulePath);
  // A built-in flow is a bundle of Flowdeck's own; a CommonJS flow may import() workspace files later on.
  hooksNeeded = !modulePath.startsWith(ownDir);
  if (!hooksNeeded) return required;
  const source = readFileSync(modulePath, 'utf8');
  refuseDuplicateNames(modulePath, source, where);
  // Once registered (by a standby, ahead of its flow), the hooks see every import: the flow goes through them.
  const copy = importHooks || !home ? undefined : copyPath(home, modulePath, source, transpiler().id, apiUrl());
  const kept = copy === undefined ? undefined : keptCopy(copy);
  if (kept !== undefined) {
    hooksNeeded = false;
    shareApi();
    return () => importFile(kept);
  }
  const { code, moduleSyntax } = compiled(modulePath, home, 'preserve', source);
  if (moduleFormat(modulePath, moduleSyntax) === 'commonjs') return required;
  const relocated = relocatableModule(code, modulePath, apiUrl());
  hooksNeeded = relocated === undefined;
  // Not for a file that is an ES module only by its package.json: a copy found by content alone would outlive a change there.
  const url = relocated === undefined || copy === undefined || !moduleSyntax ? undefined : keepCopy(copy, relocated);
  if (url) {
    shareApi();
    return () => importFile(url);
  }
  installImportHooks();
  return () => importModule(pathToFileURL(modulePath).href);
}

function loadFailure(e: unknown, modulePath: string, where: string): LoadError {
  // What the file threw may be no Error (`throw 'no config'`, `throw null`) or one whose fields throw when read.
  if (!(e instanceof Error)) return new LoadError('module', `Loading ${where} failed: it threw ${typeof e === 'string' ? JSON.stringify(e) : errorMessage(e)} (${e === null ? 'null' : typeof e === 'object' ? 'an object' : `a ${typeof e}`}, not an Error) as it was imported`);
  try {
    return describedFailure(e, modulePath, where);
  } catch {
    return new LoadError('module', `Loading ${where} failed: ${errorMessage(e)}`);
  }
}

function describedFailure(e: Error, modulePath: string, where: string): LoadError {
  if (e instanceof CompileError) return new LoadError('compile', e.message);
  const err = e as NodeJS.ErrnoException;
  if (err.code === COMPILE_ERROR_CODE) return new LoadError('compile', err.message);
  // Out of file descriptors (or processes) as it loaded — the compiler's process refused, or a file it read: not the file's fault.
  if (isSystemLimit(err.code)) return new LoadError('system-limit', `Loading ${where} failed: ${err.message}${limitAdvice(err.code)}`);
  // V8's parser overflowed its stack on the file, or on a module it imports (the stack does not say which).
  if (isParserOverflow(e)) return new LoadError('compile', `Loading ${where} failed: ${tooDeeplyNested('it, or a module it imports,')}`);
  // Node lists the requiring file in every "Cannot find module" message: only the first line says what is missing.
  const firstLine = err.message.split('\n')[0] ?? '';
  if (err.code === 'MODULE_NOT_FOUND' && firstLine.includes(`'${modulePath}'`)) return new LoadError('module', `Cannot find flow file ${where}`);
  const missing = /^Cannot find (?:module|package) '([^']+)'(?: imported from (.+))?/.exec(firstLine);
  if (missing && (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND')) {
    const from = missing[2] && missing[2] !== modulePath ? ` (imported from ${missing[2]})` : '';
    // A path (`./lib`, resolved: `/ws/lib`) is a file that is not there: no package install finds it.
    const file = /^(?:\.{1,2}\/|\/|[A-Za-z]:[\\/]|file:)/.test(missing[1]!);
    const importer = missing[2] !== undefined ? (missing[2].startsWith('file:') ? fileURLToPath(missing[2]) : missing[2]) : modulePath;
    const aliased = file ? undefined : pathsEntryFor(missing[1]!, dirname(importer));
    const todo = file
      ? 'There is no such file: fix the import path.'
      : aliased !== undefined
        ? `It matches '${aliased.pattern}' of the \`paths\` in ${aliased.config}, which runs do not apply (\`flowdeck check\` and the editor do): import it by a relative path, or make it a package of the workspace.`
        : 'Install the package in the workspace (npm install) or fix the import path.';
    return new LoadError('module', `Loading ${where} failed: Cannot find module '${missing[1]}'${from}. ${todo}`);
  }
  if (err.code === 'ERR_REQUIRE_ASYNC_MODULE') return awaitInCommonJs(err.message, modulePath, where);
  const frame = err.stack?.split('\n').find((l) => /^\s+at /.test(l) && (l.includes(modulePath) || l.includes(where)));
  return new LoadError('module', `Loading ${where} failed: ${apiNamed(err.message)}${frame ? ` (${frame.trim()})` : ''}`);
}

/**
 * A module with top-level `await` that is `require()`d — a CommonJS flow file (`.cts`, or `.ts` without
 * import/export) or a module it requires. Node's message names a `noop.js` that is not there (the path
 * Flowdeck requires the flow from) and says to use import(); what to do is to make it an ES module.
 */
function awaitInCommonJs(message: string, modulePath: string, where: string): LoadError {
  const required = /Requiring (\S+)/.exec(message)?.[1];
  const what = required === undefined || required === modulePath ? 'it' : required;
  return new LoadError(
    'module',
    `Loading ${where} failed: ${what === 'it' ? 'it uses' : `${what}, which it requires, uses`} top-level await, which only an ES module may: ${where} loads as CommonJS. Write it with import/export (or name it .mts), or move the await into the flow`,
  );
}

/**
 * Node's message about the 'flowdeck' module, named as the flow names it (a flow loaded without the hooks
 * imports it by a long `data:` URL), with what it does export when the flow asked for a name it lacks.
 */
function apiNamed(message: string): string {
  const named = apiModule === undefined ? message : message.split(apiModule).join('flowdeck');
  const missing = /^The requested module 'flowdeck' does not provide an export named '([^']*)'$/.exec(named);
  return missing ? `${named}; it exports ${Object.keys(api).filter((k) => k !== 'default').sort().join(', ')}` : named;
}

/** A JavaScript name for a flow's export: `daily-report` → `dailyReport`. */
function exportNameFor(flowName: string): string {
  const words = flowName.split(/[^A-Za-z0-9_$]+/).filter(Boolean);
  const name = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z_$]/.test(name) ? name : `flow${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

function pickFlow(exports: unknown, where: string, flowName: string | undefined): { flow: AnyFlow; exportName: string } {
  const found: { flow: AnyFlow; exportName: string }[] = [];
  const seen = new Set<unknown>();
  // `module.exports = flow(...)` is the module's default export, as Node's interop has it.
  const named = (exports !== null && (typeof exports === 'object' || typeof exports === 'function') ? exports : {}) as Record<string, unknown>;
  const candidates: [string, unknown][] = [['default', api.isFlow(exports) ? exports : named.default], ...Object.entries(named).filter(([k]) => k !== 'default')];
  for (const [exportName, value] of candidates) {
    if (api.isFlow(value) && !seen.has(value)) {
      seen.add(value);
      found.push({ flow: value, exportName });
    }
  }
  if (found.length === 0) throw new LoadError('no-flow', `${where} exports no flow; export one with \`export default flow({ name: '...' }, async () => { ... })\``);
  for (const f of found) {
    const twin = found.find((g) => g !== f && g.flow.options.name === f.flow.options.name);
    if (twin) throw new LoadError('no-flow', `${where} exports two flows named '${f.flow.options.name}' (exports '${f.exportName}' and '${twin.exportName}'); give each flow a name of its own`);
  }
  if (flowName !== undefined) {
    const match = found.find((f) => f.flow.options.name === flowName);
    if (!match) {
      const exported = found.map((f) => f.flow.options.name).join(', ');
      if (isDeclaredFlow(flowName)) {
        throw new LoadError('no-flow', `${where} does not export flow '${flowName}': it runs only as a subflow of the flows that call it. Export it (\`export const ${exportNameFor(flowName)} = flow(...)\`) to run it on its own; the file exports: ${exported}`);
      }
      throw new LoadError('no-flow', `${where} has no flow named '${flowName}'; it has: ${exported}`);
    }
    return match;
  }
  if (found.length === 1) return found[0]!;
  const byDefault = found.find((f) => f.exportName === 'default');
  if (byDefault) return byDefault;
  throw new LoadError('no-flow', `${where} has ${found.length} flows (${found.map((f) => f.flow.options.name).join(', ')}); pick one with --flow NAME`);
}

/**
 * Loads the flow module at `modulePath` and picks the flow to run: `flowName`, else the only or the
 * default-exported one. `where` names the module in messages; `home` is the store, whose `compiled`
 * folder caches compiled sources; `running` is called just before the file's own code runs. Throws LoadError.
 */
export async function loadFlow(modulePath: string, where: string, flowName: string | undefined, home: string, running: () => void = () => undefined): Promise<{ flow: AnyFlow; exportName: string }> {
  useStore(home);
  installRequireHooks();
  let exports: unknown;
  try {
    exports = await loadModule(modulePath, home, where, running);
  } catch (e) {
    if (e instanceof LoadError) throw e;
    throw loadFailure(e, modulePath, where);
  }
  return pickFlow(exports, where, flowName);
}
