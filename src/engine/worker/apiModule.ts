/**
 * The 'flowdeck' module a flow imports: this worker's own API object, which the worker leaves on the
 * global, with its names as the module's exports — whether the module hooks load it or a flow imports it
 * without them (directImport.ts).
 */

/** Where the worker leaves its API object for the 'flowdeck' module to export. */
export const API_GLOBAL = 'flowdeck.api';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The module's source, given the names the API exports (so that `import { flow } from 'flowdeck'` links). */
export function apiModuleSource(apiExports: readonly string[]): string {
  const names = apiExports.filter((n) => n !== 'default' && IDENTIFIER.test(n));
  return `const api = globalThis[Symbol.for(${JSON.stringify(API_GLOBAL)})];\nexport default api;\nexport const { ${names.join(', ')} } = api;\n`;
}
