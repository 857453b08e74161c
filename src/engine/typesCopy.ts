/**
 * The flowdeck.d.ts that "Create a Flow" copies into a workspace is generated (scripts/build.mjs), and its
 * first line says so: a copy that begins with it and differs from this Flowdeck's is another version's —
 * `flowdeck check` checks with its own instead, and the editor replaces it (refreshTypesCopies).
 */
import { readFileSync } from 'node:fs';

/** How the generated flowdeck.d.ts begins (scripts/build.mjs writes it). */
export const TYPES_HEADER = "// Types of the 'flowdeck' module for flow files, generated from Flowdeck's source.";

/** Whether `text` is a flowdeck.d.ts Flowdeck generated (of any version). */
export function isGeneratedTypes(text: string): boolean {
  return text.startsWith(TYPES_HEADER);
}

/** Whether the file at `path` is a generated flowdeck.d.ts other than `own` (this version's text); false if it cannot be read. */
export function isStaleTypesCopy(path: string, own: string): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false;
  }
  return isGeneratedTypes(text) && text !== own;
}
