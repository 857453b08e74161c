/**
 * How often a host signs that it is alive while it has runs going, however quiet they are (a long task
 * writes nothing): the embedded store touches each run's journal (one utimes call, nothing written or
 * synced), a Postgres host stamps its lease's row (one update for all its runs).
 * A run whose host died is found to have ended at most about this long before it did (twice this just
 * after a write), however much later it is found: its duration is true to a second or two. At 15 s (the
 * embedded store's touch) or 5 s (a Postgres heartbeat) a `flowdeck run` killed 3–4 s into a long task
 * showed a duration of 0–1 ms.
 */
export const LIFE_SIGN_MS = 1_000;
