/**
 * The names in a store folder, for a listing: a folder not made yet holds nothing, but one that is there and
 * cannot be read (a file where it goes, another user's folder) is said — naming it, with the system's code
 * and path, so the CLI says which store file to fix (exit 2) — rather than read as empty: an empty
 * `limits/` let every tagged task run unlimited, an empty `variables/` said none were set.
 */
import { readdir } from 'node:fs/promises';
import { reasonOf } from './storeErrors';

export async function folderNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw Object.assign(new Error(`Could not read the store folder ${dir}: ${reasonOf(code)}${code ? ` (${code})` : ''}`), { code, path: dir });
  }
}
