/**
 * Keeps the flowdeck.d.ts copies that "Create a Flow" made (`<folder>/flows/flowdeck.d.ts`) at this
 * Flowdeck's version (Create a Flow does; as the extension starts, it offers to): a copy that begins with the generated header (typesCopy.ts) and differs from the one
 * this version ships is replaced, so the editor sees the API of the Flowdeck that runs the flows. A file
 * without that header (the user's own) is left alone. Through a small file-system interface, so that tests
 * need no editor.
 */
import { isGeneratedTypes } from '../../engine/typesCopy';

export interface TypesFs {
  /** The file's text, or undefined when there is none. */
  read(path: string): Promise<string | undefined>;
  write(path: string, text: string): Promise<void>;
}

/** Those of `copies` that are another version's generated flowdeck.d.ts than `own` (read only). */
export async function staleTypesCopies(own: string, copies: readonly string[], fs: Pick<TypesFs, 'read'>): Promise<string[]> {
  const stale: string[] = [];
  for (const path of copies) {
    const text = await fs.read(path).catch(() => undefined);
    if (text !== undefined && isGeneratedTypes(text) && text !== own) stale.push(path);
  }
  return stale;
}

/** Replaces each of `copies` that is another version's generated flowdeck.d.ts with `own`; returns those replaced. */
export async function refreshTypesCopies(own: string, copies: readonly string[], fs: TypesFs): Promise<string[]> {
  const replaced = await staleTypesCopies(own, copies, fs);
  for (const path of replaced) await fs.write(path, own);
  return replaced;
}
