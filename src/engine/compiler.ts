/**
 * Turns flow sources (TypeScript or JavaScript) into JavaScript Node can load, with an inline source map.
 * esbuild does the work wherever its native binary resolves (the CLI, development, workspaces that have
 * it); the VS Code package carries sucrase instead, because esbuild's binary alone is larger than the
 * whole package may be. Both report a syntax error at the same 1-based line and column (UTF-16 units,
 * as editors count).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
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
 * `preserve` keeps `import`/`export` as written (an ES module stays one); `cjs` turns them into
 * `require`/`exports`, for a file that is `require()`d.
 */
export type OutputFormat = 'preserve' | 'cjs';

export interface Transpiler {
  /** Name and version; part of the cache key. */
  readonly id: string;
  /** Types removed, in `output` format; with an inline source map unless `sourceMap` is false. */
  transform(source: string, file: string, output: OutputFormat, sourceMap?: boolean): string;
  /** Stops what it keeps running between transforms (esbuild's worker thread); the next transform starts it again. */
  release?(): void;
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

interface EsbuildError {
  errors?: { text: string; location?: { line: number; column: number; lineText: string } | null }[];
}

function esbuildTranspiler(): Transpiler | undefined {
  if (process.env.FLOWDECK_COMPILER === 'sucrase') return undefined;
  // Flowdeck's own esbuild (next to the CLI's bundles), else the workspace's: the worker runs in the
  // flow's workspace folder. Only its version is read up front (it keys the compile cache); its code
  // loads and its service starts on the first transform, so a compile-cache hit pays for neither.
  const found = findEsbuild();
  if (!found) return undefined;
  let esbuild: typeof import('esbuild') | undefined;
  return {
    id: `esbuild@${found.version}`,
    transform(source, file, output, sourceMap = true) {
      esbuild ??= found.load();
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
        if (!first) throw e;
        const loc = first.location;
        // esbuild counts columns in UTF-8 bytes from 0.
        const column = loc ? Buffer.from(loc.lineText).subarray(0, loc.column).toString('utf8').length + 1 : 1;
        throw new CompileError(file, loc?.line ?? 1, column, first.text);
      }
    },
    release() {
      void esbuild?.stop();
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

/**
 * Lets go of the transpiler's running parts once a worker has loaded its flow: esbuild's worker thread
 * holds ~15 MB for the rest of a run that may never compile again (a module imported later starts it anew).
 */
export function releaseTranspiler(): void {
  chosen?.release?.();
}

/** sucrase keeps every line where it was, so positions found in its output are positions in the source. */
export function lineKeepingTranspiler(): Transpiler {
  lineKeeping ??= sucraseTranspiler();
  return lineKeeping;
}
