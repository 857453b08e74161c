/**
 * `import()` for the worker's own calls (the flow module, the 'flowdeck' module, the warm-up). On Node 20 a
 * script compiled from V8's code cache has lost its `import()` callback ("A dynamic import callback was
 * not specified"), and the worker's bundle is such a script (bundleCodeCache.ts): its entry, which Node
 * compiles itself, gives it its own `import()`. The entry is in the same folder, so specifiers resolve alike.
 */
type Importer = (specifier: string) => Promise<unknown>;

let importer: Importer = (specifier) => import(specifier);

export function useImport(entryImport: Importer): void {
  importer = entryImport;
}

export function importModule(specifier: string): Promise<unknown> {
  return importer(specifier);
}
