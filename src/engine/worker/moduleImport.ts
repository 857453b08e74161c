/**
 * `import()` for the worker's own calls (the flow module, the 'flowdeck' module, the warm-up). On Node 20 a
 * script compiled from V8's code cache has lost its `import()` callback ("A dynamic import callback was
 * not specified"), and the worker's bundle is such a script (bundleCodeCache.ts): its entry, which Node
 * compiles itself, gives it its own `import()`. The entry is in the same folder, so specifiers resolve alike.
 */
import Module from 'node:module';
import { fileURLToPath } from 'node:url';

type Importer = (specifier: string) => Promise<unknown>;

let importer: Importer = (specifier) => import(specifier);

export function useImport(entryImport: Importer): void {
  importer = entryImport;
}

export function importModule(specifier: string): Promise<unknown> {
  return importer(specifier);
}

const requireHere = Module.createRequire(__filename);

/**
 * An ES module file (`file:` URL) loaded at once where Node can: `require()` of an ES module (Node
 * 20.19+, 22.12+) reads the file in one call and links and evaluates it without a promise turn, where
 * `import()` reads it in four thread-pool round trips (a fresh process's first load of a small module
 * measured here: ~5 ms against ~13). Whatever `require()` refuses — a module graph with top-level await, a
 * Node without it — goes through `import()`, which evaluates the module at most once (`require()` refuses
 * before evaluating); any other error is the module's own, and is thrown. Its namespace is the one
 * `import()` gives (one module map).
 */
export function importFile(url: string): unknown {
  try {
    return requireHere(fileURLToPath(url));
  } catch (e) {
    // Anything else — a module that does not link (an import of a name its module lacks), or whose
    // evaluation threw — is the module's own error: import() after it would meet the module half-loaded
    // (Node 20.19+: "Unexpected status of a module that is imported again after being required").
    // A value that is no Error (`throw null` in the module) is the module's own too.
    if (!(e instanceof Error) || !REQUIRE_REFUSALS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    return importModule(url);
  }
}

/** How require() says it will not load an ES module that import() will: top-level await, a cycle, a Node without require(esm). */
const REQUIRE_REFUSALS = new Set(['ERR_REQUIRE_ASYNC_MODULE', 'ERR_REQUIRE_CYCLE_MODULE', 'ERR_REQUIRE_ESM']);
