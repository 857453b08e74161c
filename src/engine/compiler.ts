/**
 * Turns flow sources (TypeScript or ESM JavaScript) into CommonJS for the worker, cached by content hash.
 * esbuild does the work wherever its native binary resolves (the CLI, development, workspaces that have
 * it); the VS Code package carries sucrase instead, because esbuild's binary alone is larger than the
 * whole package may be.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

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

export interface Transpiler {
  /** Name and version; part of the cache key. */
  readonly id: string;
  /** CommonJS for the worker, or ESM with types removed (`keepModules`) for static analysis. */
  transform(source: string, file: string, keepModules?: boolean): string;
}

interface EsbuildError {
  errors?: { text: string; location?: { line: number; column: number } | null }[];
}

function esbuildTranspiler(): Transpiler | undefined {
  if (process.env.FLOWDECK_COMPILER === 'sucrase') return undefined;
  // Flowdeck's own esbuild (next to the CLI's bundles), else the workspace's: the worker runs in the
  // flow's workspace folder. Its service starts only on the first transform, so a compile-cache hit
  // never pays for it.
  const esbuild = loadEsbuild();
  if (!esbuild) return undefined;
  return {
    id: `esbuild@${esbuild.version}`,
    transform(source, file, keepModules = false) {
      const loader = /\.[cm]?tsx?$/.test(file) ? (file.endsWith('x') ? 'tsx' : 'ts') : 'js';
      try {
        return esbuild.transformSync(source, {
          loader,
          format: keepModules ? 'esm' : 'cjs',
          platform: 'node',
          target: 'node20',
          sourcefile: file,
          sourcemap: keepModules ? false : 'inline',
        }).code;
      } catch (e) {
        const first = (e as EsbuildError).errors?.[0];
        if (first) throw new CompileError(file, first.location?.line ?? 1, (first.location?.column ?? 0) + 1, first.text);
        throw e;
      }
    },
  };
}

function loadEsbuild(): typeof import('esbuild') | undefined {
  const candidates: (() => unknown)[] = [() => require('esbuild'), () => createRequire(join(process.cwd(), 'package.json'))('esbuild')];
  for (const load of candidates) {
    try {
      const esbuild = load() as typeof import('esbuild');
      if (typeof esbuild.transformSync === 'function') return esbuild;
    } catch {
      // Not there: try the next place.
    }
  }
  return undefined;
}

function sucraseTranspiler(): Transpiler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sucrase = require('sucrase') as typeof import('sucrase');
  return {
    id: `sucrase@${sucrase.getVersion()}`,
    transform(source, file, keepModules = false) {
      const ts = /\.[cm]?tsx?$/.test(file);
      const transforms: ('typescript' | 'imports' | 'jsx')[] = [];
      if (ts) transforms.push('typescript');
      if (file.endsWith('x')) transforms.push('jsx');
      if (!keepModules) transforms.push('imports');
      try {
        const out = sucrase.transform(source, { transforms, filePath: file, sourceMapOptions: keepModules ? undefined : { compiledFilename: file } });
        if (keepModules || !out.sourceMap) return out.code;
        const map = Buffer.from(JSON.stringify({ ...out.sourceMap, sources: [file], sourcesContent: [source] })).toString('base64');
        return `${out.code}\n//# sourceMappingURL=data:application/json;base64,${map}\n`;
      } catch (e) {
        // sucrase says "Error transforming <file>: Unexpected token (3:13)"; keep only what went wrong.
        const text = (e as Error).message.replace(/^Error transforming .*?: /, '');
        const match = /\((\d+):(\d+)\)\s*$/.exec(text);
        if (match) throw new CompileError(file, Number(match[1]), Number(match[2]) + 1, text.replace(/\s*\(\d+:\d+\)\s*$/, ''));
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

/**
 * Compiles `file` to CommonJS, reusing `<home>/compiled/<hash>.js` when the same compiler has seen the
 * same content at the same path before.
 */
export function compileFile(file: string, home: string, source = readFileSync(file, 'utf8')): string {
  const t = transpiler();
  const hash = createHash('sha256').update(t.id).update('\0').update(file).update('\0').update(source).digest('hex').slice(0, 40);
  const dir = join(home, 'compiled');
  const cached = join(dir, `${hash}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // Not cached yet.
  }
  const code = t.transform(source, file);
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached);
  } catch {
    // A read-only or full store only costs a recompile next time.
  }
  return code;
}
