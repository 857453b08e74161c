/**
 * Turns flow sources (TypeScript or JavaScript) into JavaScript Node can load, with an inline source map.
 * esbuild does the work wherever its native binary resolves (the CLI, development, workspaces that have
 * it); the VS Code package carries sucrase instead, because esbuild's binary alone is larger than the
 * whole package may be. Both report a syntax error at the same 1-based line and column (UTF-16 units,
 * as editors count).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { reasonOf } from './storeErrors';
import { isStackOverflow, tooDeeplyNested } from './tooDeeplyNested';

export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
  }
}

/**
 * esbuild could not compile a file, through no fault of the source: the system would not start its process
 * (too many open files, too many processes), or it died. `code` says which limit, if one.
 */
export class CompilerFailure extends Error {
  override readonly name = 'CompilerFailure';
  readonly code: string | undefined;
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(`esbuild could not compile ${file}: ${code ? `${reasonOf(code)} (${code})` : (cause as Error | undefined)?.message ?? String(cause)}`);
    this.code = code;
  }
}

/**
 * `preserve` keeps `import`/`export` as written (an ES module stays one); `cjs` turns them into
 * `require`/`exports`, for a file that is `require()`d.
 */
export type OutputFormat = 'preserve' | 'cjs';

export interface Transpiler {
  /** Name and version; part of the cache key. */
  readonly id: string;
  /** Types removed, in `output` format; with an inline source map unless `sourceMap` is false. */
  transform(source: string, file: string, output: OutputFormat, sourceMap?: boolean): string;
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

interface EsbuildError {
  errors?: { text: string; location?: { line: number; column: number; lineText: string } | null }[];
}

/** esbuild, loaded to run each synchronous call as a process of its own (it reads this as it loads). */
function loadWithoutThreads(load: () => typeof import('esbuild')): typeof import('esbuild') {
  const before = process.env.ESBUILD_WORKER_THREADS;
  process.env.ESBUILD_WORKER_THREADS = '0';
  try {
    return load();
  } finally {
    if (before === undefined) delete process.env.ESBUILD_WORKER_THREADS;
    else process.env.ESBUILD_WORKER_THREADS = before;
  }
}

function esbuildTranspiler(): Transpiler | undefined {
  if (process.env.FLOWDECK_COMPILER === 'sucrase') return undefined;
  // Flowdeck's own esbuild (next to the CLI's bundles), else the workspace's: the worker runs in the
  // flow's workspace folder. Only its version is read up front (it keys the compile cache); its code
  // loads on the first transform, so a compile-cache hit pays for none of it.
  const found = findEsbuild();
  if (!found) return undefined;
  let esbuild: typeof import('esbuild') | undefined;
  return {
    id: `esbuild@${found.version}`,
    transform(source, file, output, sourceMap = true) {
      // Each synchronous call runs esbuild as a process of its own (execFileSync), which fails there and then
      // when the system will not start it. esbuild's default, a worker thread the caller waits for in
      // Atomics.wait, waited for ever when that thread died starting esbuild (`ulimit -n 30`: EMFILE), and
      // costs a thread's start (~50–150 ms) against ~10 ms a call: a flow compiles a few files, once (cached).
      esbuild ??= loadWithoutThreads(found.load);
      const loader = TYPESCRIPT.test(file) ? (file.endsWith('x') ? 'tsx' : 'ts') : file.endsWith('x') ? 'jsx' : 'js';
      try {
        return esbuild.transformSync(source, {
          loader,
          // No format keeps the module syntax as written.
          format: output === 'cjs' ? 'cjs' : undefined,
          platform: 'node',
          target: 'node20',
          sourcefile: file,
          sourcemap: sourceMap ? 'inline' : false,
        }).code;
      } catch (e) {
        const first = (e as EsbuildError).errors?.[0];
        if (!first) throw new CompilerFailure(file, e);
        const loc = first.location;
        // esbuild counts columns in UTF-8 bytes from 0.
        const column = loc ? Buffer.from(loc.lineText).subarray(0, loc.column).toString('utf8').length + 1 : 1;
        throw new CompileError(file, loc?.line ?? 1, column, first.text);
      }
    },
  };
}

/** Where esbuild resolves: its version and how to load it. Its native binary must be there too. */
function findEsbuild(): { version: string; load: () => typeof import('esbuild') } | undefined {
  const requirers: NodeRequire[] = [require, createRequire(join(process.cwd(), 'package.json'))];
  for (const req of requirers) {
    try {
      const main = req.resolve('esbuild');
      const { version } = req('esbuild/package.json') as { version?: unknown };
      if (typeof version !== 'string') continue;
      return { version, load: () => req(main) as typeof import('esbuild') };
    } catch {
      // Not there: try the next place.
    }
  }
  return undefined;
}

/** sucrase's version, known without loading sucrase: the build writes it in; from source, its package.json says. */
declare const FLOWDECK_SUCRASE_VERSION: string | undefined;
function sucraseVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return typeof FLOWDECK_SUCRASE_VERSION === 'string' ? FLOWDECK_SUCRASE_VERSION : (require('sucrase/package.json') as { version: string }).version;
}

function sucraseTranspiler(): Transpiler {
  let sucrase: typeof import('sucrase') | undefined;
  return {
    id: `sucrase@${sucraseVersion()}`,
    transform(source, file, output, sourceMap = true) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      sucrase ??= require('sucrase') as typeof import('sucrase');
      const transforms: ('typescript' | 'imports' | 'jsx')[] = [];
      if (TYPESCRIPT.test(file)) transforms.push('typescript');
      if (file.endsWith('x')) transforms.push('jsx');
      if (output === 'cjs') transforms.push('imports');
      try {
        const out = sucrase.transform(source, { transforms, filePath: file, sourceMapOptions: sourceMap ? { compiledFilename: file } : undefined });
        if (!out.sourceMap) return out.code;
        const map = Buffer.from(JSON.stringify({ ...out.sourceMap, sources: [file], sourcesContent: [source] })).toString('base64');
        return `${out.code}\n//# sourceMappingURL=data:application/json;base64,${map}\n`;
      } catch (e) {
        if (isStackOverflow(e)) throw new CompileError(file, 1, 1, tooDeeplyNested());
        // sucrase says "Error transforming <file>: Unexpected token (3:13)", its column already 1-based.
        const text = (e as Error).message.replace(/^Error transforming .*?: /, '');
        const match = /\((\d+):(\d+)\)\s*$/.exec(text);
        if (match) throw new CompileError(file, Number(match[1]), Number(match[2]), text.replace(/\s*\(\d+:\d+\)\s*$/, ''));
        throw new CompileError(file, 1, 1, text);
      }
    },
  };
}

let chosen: Transpiler | undefined;
let lineKeeping: Transpiler | undefined;

export function transpiler(): Transpiler {
  chosen ??= esbuildTranspiler() ?? sucraseTranspiler();
  return chosen;
}

/** sucrase keeps every line where it was, so positions found in its output are positions in the source. */
export function lineKeepingTranspiler(): Transpiler {
  lineKeeping ??= sucraseTranspiler();
  return lineKeeping;
}
