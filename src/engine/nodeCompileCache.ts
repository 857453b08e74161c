/**
 * Node 22.1+'s compile cache (`module.enableCompileCache`) for Flowdeck's bundles and the flow modules a
 * worker loads, kept in the store's private `compiled/node` folder — never Node's default, a folder in the
 * shared temporary directory that other users can read. Node 20 has no such cache; with no store folder yet
 * (a first command), none is kept either, and this never creates the store.
 */
import { statSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { makeDirsSync } from './makeDirs';

export function enableNodeCompileCache(home: string | undefined): void {
  const enable = (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!enable || !home) return;
  try {
    if (!statSync(home).isDirectory()) return;
    const dir = join(home, 'compiled', 'node');
    makeDirsSync(dir, 0o700);
    enable(dir);
  } catch {
    // No cache: everything is compiled as usual.
  }
}
