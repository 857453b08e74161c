/**
 * A webhook notice told at least once, through the store: before it goes it is marked to be told and its
 * telling claimed (by the `serve` that tells it); once the webhook took it, marked told and the claim given
 * back; given up (the webhook kept refusing it, or serve stopping), the claim alone given back. A `serve`
 * killed before the mark — while retrying against a webhook that is down, or holding the notice within its
 * flow's minute — leaves a claim of a dead process: the next `serve` to start takes it over and tells the
 * notice again (untold). One killed between the POST and the mark tells it twice, with the same notice id.
 * The ends of runs (endNotices.ts) and their pauses (pauseNotices.ts) are told so.
 */
import type { FlowRunSummary } from '../records';
import type { RunStore } from '../runStore';

/** The store's keys of one notice: of the `<what>:<runId>:…` form, so they go with the run when it is deleted. */
export interface NoticeMarks {
  /** The run the notice is about. */
  runId: string;
  toTell: string;
  claim: string;
  told: string;
}

/** A notice's telling claimed by this process, about `run`: settled once it went through (told) or was given up (notTold). */
export interface NoticeClaim {
  run: FlowRunSummary;
  told(): Promise<void>;
  notTold(): Promise<void>;
}

/** The keys of the notice of `what` (`end`, `pause`) about run `runId`, `at` telling which (`<attempt>[:…]`). */
export function noticeMarks(what: 'end' | 'pause', runId: string, at: string): NoticeMarks {
  const key = `${runId}:${at}`;
  return { runId, toTell: `${what}-notice:${key}`, claim: `${what}-notice-claim:${key}`, told: `${what}-notice-told:${key}` };
}

/** The notice is to be told by this process: marked so and claimed, before it goes. */
export async function noticeToTell(store: RunStore, marks: NoticeMarks): Promise<void> {
  await store.markOnce(marks.toTell);
  await store.claim(marks.claim);
}

/**
 * The notice went through: marked told for good, and the claim given back. Its run may have been deleted (pruned)
 * meanwhile — a notice is told up to a minute after its run ended, or longer against a webhook that is down — by
 * this process or another: the store then sets no mark (markOnce), which would outlive the run for good.
 */
export async function noticeTold(store: RunStore, marks: NoticeMarks): Promise<void> {
  await store.markOnce(marks.told);
  await store.unclaim(marks.claim);
}

/** The notice was given up (the webhook kept refusing it): the claim is given back, for the next serve to start. */
export async function noticeNotTold(store: RunStore, marks: NoticeMarks): Promise<void> {
  await store.unclaim(marks.claim);
}

/**
 * Of `items`, those whose notice (`marksOf`) was to be told and was not, by a process that died or gave it up:
 * each claimed by this process, to be told again.
 */
export async function untold<T>(store: RunStore, items: readonly T[], marksOf: (item: T) => NoticeMarks): Promise<T[]> {
  // The marks of them all read at once (hundreds of runs as a serve starts); those left, one by one.
  const set = await store.marked(items.flatMap((item) => [marksOf(item).toTell, marksOf(item).told]));
  const out: T[] = [];
  for (const item of items) {
    const m = marksOf(item);
    if (!set.has(m.toTell) || set.has(m.told)) continue;
    // Held by a live process, it is on its way; the mark is looked at again once claimed (told meanwhile).
    if (!(await store.claim(m.claim)) || (await store.isMarked(m.told))) continue;
    out.push(item);
  }
  return out;
}
