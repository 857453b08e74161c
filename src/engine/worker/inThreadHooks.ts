/**
 * The worker's module hooks on its own thread (`module.registerHooks`), wherever Node has them (22.15+,
 * 23.5+, 24, 26; Node 26 deprecates `module.register`, DEP0205, at runtime). They decide as the loader
 * thread's hooks do (hookRules.ts), for what is loaded with `import`; what is `require()`d goes on to
 * Node's CommonJS loader, whose extensions the worker hooks itself (loadFlow.ts), as under
 * `module.register`. No thread to start and no shared memory: registering them and a first import took
 * ~1–3 ms here against 80–130 ms for `module.register` on Node 26.12 (a busy machine), and a compile error
 * arrives as the CompileError it is.
 */
import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { API_URL, COMPILED, apiModule, candidatesAfter, compiledModule, isBareJsonImport, isWorkspaceFile, jsonModule } from './hookRules';

type RegisterHooks = (hooks: {
  resolve?: (specifier: string, context: { conditions?: string[]; parentURL?: string }, next: (specifier: string, context?: unknown) => unknown) => unknown;
  load?: (url: string, context: { conditions?: string[]; importAttributes?: Record<string, string | undefined> }, next: (url: string, context?: unknown) => unknown) => unknown;
}) => unknown;

const registerHooks = (nodeModule as unknown as { registerHooks?: RegisterHooks }).registerHooks;

/** Node 20 (and 22 before 22.15) keeps the loader thread's hooks (moduleHooks.ts). */
export const inThreadHooksAvailable = typeof registerHooks === 'function';

export interface InThreadHooksOptions {
  apiExports: string[];
  ownDirUrl: string;
  /** Compiles a workspace file for `import`, its module syntax preserved (throws CompileError). */
  compile(file: string): { code: string; moduleSyntax: boolean };
}

const imported = (context: { conditions?: string[] }): boolean => context.conditions?.includes('require') !== true;

export function registerInThreadHooks(options: InThreadHooksOptions): void {
  const { apiExports, ownDirUrl, compile } = options;
  registerHooks!({
    resolve(specifier, context, next) {
      if (specifier === 'flowdeck' && imported(context)) return { url: API_URL, shortCircuit: true };
      try {
        return next(specifier, context);
      } catch (e) {
        for (const candidate of imported(context) ? candidatesAfter(e, specifier, context.parentURL, ownDirUrl) : []) {
          try {
            return next(candidate, context);
          } catch {
            // Not this one either.
          }
        }
        throw e;
      }
    },
    load(url, context, next) {
      if (url === API_URL) return apiModule(apiExports);
      if (!imported(context) || !isWorkspaceFile(url, ownDirUrl)) return next(url, context);
      const file = fileURLToPath(url);
      if (COMPILED.test(file)) return compiledModule(file, compile(file));
      if (isBareJsonImport(file, context.importAttributes)) return jsonModule(readFileSync(file, 'utf8'));
      return next(url, context);
    },
  });
}
