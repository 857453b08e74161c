/**
 * The marks and claims of a notice (notify/noticeMarks.ts, notify/crashedUnwatched.ts) go with their run when
 * it is deleted, and none is set for a run gone (RunStore.markOnce). Some outlived their run all the same: a told
 * mark set by a version before that refusal, after a prune had taken its run (`serve --keep-runs` prunes a moment
 * after runs end, and a notice goes up to a minute after); and a notice's claim made for a run deleted between the
 * notice's mark and its claim by a serve then killed before it gave the claim back. Nothing names their runs any
 * more, so nothing ever removed them: each delete (a prune) of either store sweeps those it finds, a bounded number.
 */

/** The kinds of key (`<kind>:<runId>:…`) a notice sets: only ever of a run that was in the store. */
export const NOTICE_KEY_KINDS: ReadonlySet<string> = new Set([
  'end-notice',
  'end-notice-claim',
  'end-notice-told',
  'pause-notice',
  'pause-notice-claim',
  'pause-notice-told',
  'crash-notice',
  'crash-notice-claim',
]);

/**
 * How many a delete sweeps at most: a store upgraded with a long history of them is swept over a few prunes,
 * none of them held up long.
 */
export const ORPHAN_MARKS_AT_ONCE = 1000;
