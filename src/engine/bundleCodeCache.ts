/**
 * Flowdeck's own bundles (the CLI's dist/cli-main.js, the worker's dist/worker-main.js) loaded with V8's
 * code cache where Node has no compile cache of its own (`module.enableCompileCache`, Node 22.1+): what V8
 * compiled of a bundle in one process — its top level and every function that ran — is kept in the store's
 * private `compiled/v8` folder and given to V8 at the next start, which then parses and compiles none of
 * it again. Every CLI command and every worker starts by loading one of these bundles.
 *
 * A cache file is used only when it is whole and was made from this bundle's exact content by this Node:
 * its header holds a hash of both, and a hash of the data after it (V8 itself checks only the source's
 * length, its own version and its flags, and would run a cache made for other code of the same length).
 * Anything else — missing, truncated, edited, of another build, too big, or refused by V8 — loads the
 * bundle as usual, and a new cache is written when the process exits. One file per bundle and Node
 * version; with no store folder yet (a first command), none is kept, and this never creates the store.
 *
 * Not a library: v8-compile-cache and its fork hook every `require()` of the process (in the worker, the
 * flow's own modules), replace Node's `require` with their own, and keep their cache in the shared
 * temporary folder.
 */
import { readFileSync, statSync } from 'node:fs';
import Module, * as nodeModule from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script, constants as vmConstants } from 'node:vm';
import type { writeCompiledFile as WriteCompiledFile } from './compiledFile';

const MAGIC = 'flowdeck-v8-code-cache 1\n';
/** Magic, the hash of bundle and Node, the hash of the data: then the data. */
const HEADER_BYTES = MAGIC.length + 65 + 65;
/** A cache bigger than this is not read: V8's cache of a 250 KB bundle is ~150 KB. */
const MAX_CACHE_BYTES = 8 * 1024 * 1024;
/** Node's CommonJS wrapper, on a line of its own so that the bundle's lines and columns stay as they are. */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {\n';

function sha256(...parts: (string | Uint8Array)[]): string {
  // Required here: the CLI's entry forks the worker before loading anything it can do without.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hash = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');
  for (const p of parts) hash.update(p).update('\0');
  return hash.digest('hex');
}

/** `<home>/compiled/v8`, or undefined: Node keeps its own cache, or there is no store yet. */
export function codeCacheDir(home: string | undefined): string | undefined {
  if ((nodeModule as { enableCompileCache?: unknown }).enableCompileCache !== undefined || !home) return undefined;
  try {
    return statSync(home).isDirectory() ? join(home, 'compiled', 'v8') : undefined;
  } catch {
    return undefined;
  }
}

/** The cache file of `bundle` for this Node. */
export function codeCacheFile(dir: string, bundle: string): string {
  return join(dir, `${basename(bundle, '.js')}-${process.version}-${process.arch}.v8cache`);
}

/** The cache's data when the file at `path` is whole and was made for `key`; else undefined. */
function readCache(path: string, key: string): Buffer | undefined {
  let all: Buffer;
  try {
    const size = statSync(path).size;
    if (size <= HEADER_BYTES || size > MAX_CACHE_BYTES) return undefined;
    all = readFileSync(path);
  } catch {
    return undefined;
  }
  const header = all.toString('latin1', 0, HEADER_BYTES);
  if (!header.startsWith(`${MAGIC}${key}\n`) || !header.endsWith('\n')) return undefined;
  const data = all.subarray(HEADER_BYTES);
  return sha256(data) === header.slice(MAGIC.length + 65, HEADER_BYTES - 1) ? data : undefined;
}

/**
 * Loads the CommonJS bundle `file` as `require()` would (module, exports, require, __filename and
 * __dirname as Node gives them; `import()` through Node's own loader), with its code cache in the store
 * `home`. Without a cache folder, it is `require()`d.
 */
export function requireBundle(file: string, home: string | undefined): unknown {
  const dir = codeCacheDir(home);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (dir === undefined) return require(file);
  const source = readFileSync(file);
  const key = sha256(process.version, process.arch, source);
  const path = codeCacheFile(dir, file);
  const cachedData = readCache(path, key);
  const script = new Script(`${WRAPPER_START}${source.toString('utf8')}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData,
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = new Module(file, module);
  mod.filename = file;
  (Module as unknown as { _cache: Record<string, Module> })._cache[file] = mod;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected === true) {
    // At exit, after the bundle's own exit handlers: the cache then holds what ran, compiled.
    process.once('exit', () => {
      try {
        const data = script.createCachedData();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { writeCompiledFile } = require('./compiledFile') as { writeCompiledFile: typeof WriteCompiledFile };
        writeCompiledFile(dir, path, Buffer.concat([Buffer.from(`${MAGIC}${key}\n${sha256(data)}\n`, 'latin1'), data]));
      } catch {
        // No cache: the next start compiles the bundle as this one did.
      }
    });
  }
  return mod.exports;
}
