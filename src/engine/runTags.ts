/**
 * A flow run's tags (Prefect's flow run tags): labels to find runs by — `flowdeck runs --tag nightly` — from
 * the flow's own `tags` option and those a run is started with (`flowdeck run --tag`); a subflow run carries
 * its parent's too. Kept on the run (its first record, the index), checked where they are given.
 */

/** A tag: what a command line carries without quoting, as a limit's tag is (limitStore.ts's LIMIT_TAG). */
export const RUN_TAG = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/** Tags on one run, at most. */
export const MAX_RUN_TAGS = 20;

/** The problem with `tags` as a run's tags, or undefined when they are a list of tags. */
export function runTagsProblem(tags: unknown): string | undefined {
  if (!Array.isArray(tags)) return 'must be a list of tags';
  if (tags.length > MAX_RUN_TAGS) return `holds ${tags.length} tags; at most ${MAX_RUN_TAGS}`;
  const bad = tags.find((t) => typeof t !== 'string' || !RUN_TAG.test(t));
  if (bad !== undefined) return `holds ${typeof bad === 'string' ? shownTag(bad) : `a ${typeof bad}`}: a tag is 1 to 64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit`;
  return undefined;
}

/** A tag quoted in a message is quoted whole; a longer one is not quoted: a token given as a tag, cut short, would not be masked. */
const QUOTED_TAG_CHARS = 40;

function shownTag(tag: string): string {
  return tag.length > QUOTED_TAG_CHARS ? `a tag of ${tag.length} characters` : `'${tag}'`;
}

/** Tags from several places, each once, in the order first given; at most MAX_RUN_TAGS. */
export function mergedTags(...lists: (readonly string[] | undefined)[]): string[] | undefined {
  const out = [...new Set(lists.flatMap((l) => l ?? []))].slice(0, MAX_RUN_TAGS);
  return out.length > 0 ? out : undefined;
}

/** `{ tags }` when there are any, to spread into a new run; `{}` when there are none. */
export function tagsField(tags: readonly string[] | undefined): { tags?: string[] } {
  return tags !== undefined && tags.length > 0 ? { tags: [...tags] } : {};
}

/** Tags read back from a record: a list of tags, or undefined (anything else is not kept). */
export function tagsOf(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 && runTagsProblem(v) === undefined ? (v as string[]) : undefined;
}
