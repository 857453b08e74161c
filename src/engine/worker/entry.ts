/**
 * The worker's entry point (dist/worker.js): loads the worker (dist/worker-main.js, main.ts) with the
 * compiled code kept from earlier starts — Node's compile cache (22.1+) or V8's code cache of the bundle —
 * in the store's private folder.
 */
import { join } from 'node:path';
import { requireBundle } from '../bundleCodeCache';
import { enableNodeCompileCache } from '../nodeCompileCache';

// Node's cache also keeps the flow modules the worker compiles.
enableNodeCompileCache(process.env.FLOWDECK_HOME);
const worker = requireBundle(join(__dirname, 'worker-main.js'), process.env.FLOWDECK_HOME) as typeof import('./main');
// Before any load: the bundle's own import() may be lost with its code cache (moduleImport.ts).
worker.useImport((specifier) => import(specifier));
