/**
 * Runs marked Crashed (their host died: a `serve` killed, a window closed) that nobody watched — a
 * schedule's that had started, or one resumed by itself — and that are not resumed now (resumeOnCrash): their
 * end is told as their host would have told it, by whichever `serve` comes to it first. Not only by the
 * process that marked it: the editor or a CLI command (`flowdeck runs`) opening the store may mark it first,
 * and they tell no webhook. So every `serve` looks at each run it sees turn Crashed, and at those that did
 * lately as it starts, and tells of those nobody told of yet.
 *
 * At least once: a serve claims the telling (a claim in the store, taken over once its holder died — its
 * process gone, or on Postgres its lease lapsed) and marks the notice told only once its POST went through
 * (crashTold). A serve killed before that, even while retrying against a webhook that is down, leaves a
 * claim the next serve to start takes over and tells again; one that gives the notice up gives the claim
 * back (crashNotTold). A serve killed between the POST and the mark tells it twice, with the same notice id.
 */
import { readChangedRuns, type ChangedRuns } from '../changedRuns';
import type { FlowRunSummary } from '../records';
import { CRASHED_HOST_MESSAGE, type RunStore } from '../runStore';
import type { NoticeClaim } from './noticeMarks';

/**
 * How far back a starting `serve` looks for runs marked Crashed while no `serve` was there to tell of them
 * (another process marked them): a day of them, at most the newest CRASHED_LOOK_BACK_RUNS. Older ones are
 * left untold, as a history from before the marks were kept would otherwise be told all at once.
 */
export const CRASHED_LOOK_BACK_MS = 24 * 60 * 60_000;
export const CRASHED_LOOK_BACK_RUNS = 200;

/**
 * The mark saying a run's crash in `attempt` was told. Attempt 1's is the key a claim had before it was a
 * mark (`crash-notice:<id>`), so a crash told then is not told again.
 */
export function crashNoticeKey(runId: string, attempt: number): string {
  return attempt <= 1 ? `crash-notice:${runId}` : `crash-notice:${runId}:${attempt}`;
}

/**
 * The claim of telling a run's crash in `attempt`, held while its notice is on its way. Of the same
 * `<what>:<runId>:…` form as the mark, so it goes with the run when that is deleted.
 */
export function crashNoticeClaimKey(runId: string, attempt: number): string {
  return `crash-notice-claim:${runId}:${attempt}`;
}

/**
 * Of `runs` (those that changed, or were marked Crashed, read by their ids: readChangedRuns, not every Crashed
 * run in the store), those to tell of, each claimed by this process — so no other tells of it meanwhile. The
 * caller says how it went: crashTold once delivered, crashNotTold when given up.
 */
export async function crashedUnwatched(store: RunStore, runs: readonly FlowRunSummary[]): Promise<FlowRunSummary[]> {
  const unwatched = runs.filter(
    (r) =>
      !r.parentRunId &&
      r.state.type === 'CRASHED' &&
      r.startTime !== undefined &&
      // Its host died (markCrashed): a run whose worker died under a live host is told by that host.
      r.state.message === CRASHED_HOST_MESSAGE &&
      !r.resumeOnCrash &&
      (r.trigger?.kind === 'schedule' || r.trigger?.kind === 'resume'),
  );
  // Their marks read at once (up to CRASHED_LOOK_BACK_RUNS as a serve starts).
  const marked = await store.marked(unwatched.map((r) => crashNoticeKey(r.id, r.attempt)));
  const told: FlowRunSummary[] = [];
  for (const r of unwatched) {
    // Every serve sharing the store sees the run turn Crashed: the claim picks the one that tells. The mark is
    // looked at again once claimed: another may have told it between the look and the claim.
    const mark = crashNoticeKey(r.id, r.attempt);
    if (marked.has(mark)) continue;
    if (!(await store.claim(crashNoticeClaimKey(r.id, r.attempt)))) continue;
    if (await store.isMarked(mark)) continue;
    told.push(r);
  }
  return told;
}

/** The crash of `run` (claimed by crashedUnwatched) was told: marked so for good (none of a run deleted meanwhile: markOnce), and the claim given back. */
export async function crashTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  await store.markOnce(crashNoticeKey(run.id, run.attempt));
  await store.unclaim(crashNoticeClaimKey(run.id, run.attempt));
}

/** The crash of `run` could not be told (the webhook kept refusing it): the claim is given back, for the next serve to start. */
export async function crashNotTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  await store.unclaim(crashNoticeClaimKey(run.id, run.attempt));
}

/** The claim on `run`'s crash crashedUnwatched took, settled as its notice went or was given up. */
export function crashClaim(store: RunStore, run: FlowRunSummary): NoticeClaim {
  return { run, told: () => crashTold(store, run), notTold: () => crashNotTold(store, run) };
}

/** The runs marked Crashed lately (CRASHED_LOOK_BACK_MS), newest first: those a starting `serve` looks at. */
async function crashedLately(store: RunStore, now: number): Promise<FlowRunSummary[]> {
  const runs = await store.list({ stateTypes: ['CRASHED'], rootsOnly: true, limit: CRASHED_LOOK_BACK_RUNS });
  return runs.filter((r) => (r.endTime ?? r.state.timestamp) >= now - CRASHED_LOOK_BACK_MS);
}

/**
 * What a starting `serve` looks at to tell of: the runs it marked Crashed opening the store, and those marked
 * lately — as the listing gave them, not each read again by its id (200 runs: 200 queries on Postgres, one after
 * another). Only a run marked at open the listing left out (a subflow, one past the newest 200) is read by id.
 * A listing that failed is the error, the runs marked at open read all the same.
 */
export async function crashedAtStart(store: RunStore, markedAtOpen: readonly string[], now: number): Promise<ChangedRuns> {
  let lately: FlowRunSummary[] = [];
  let listError: Error | undefined;
  try {
    lately = await crashedLately(store, now);
  } catch (e) {
    listError = e instanceof Error ? e : new Error(String(e));
  }
  const listed = new Set(lately.map((r) => r.id));
  const atOpen = await readChangedRuns(store, markedAtOpen.filter((id) => !listed.has(id)));
  return { runs: [...atOpen.runs, ...lately], error: listError ?? atOpen.error };
}
