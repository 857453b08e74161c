/** A small file's text, read at once; undefined when it cannot be read (not there yet, gone, unreadable). */
import { readFileSync } from 'node:fs';

export function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
