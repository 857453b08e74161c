/**
 * How many connections a process keeps to the Postgres store at most, each a slot of the server's
 * `max_connections` and of the role's `CONNECTION LIMIT` (besides the one LISTEN connection of changeFeed.ts),
 * and how long it keeps one that sits idle.
 *
 * A long-lived process — a `flowdeck worker` running runs side by side, `flowdeck serve`, the editor — keeps
 * the pool of 8 it always had, a connection idle 10 s (pg-pool's default) closed. A one-off command
 * (`flowdeck run`, `runs`, `logs`, …) asks for a connection a few at a time: its lease's heartbeat, its run's
 * journal writes and a read or two (2 at most, measured for a run of 50 tasks at once and a subflow). A burst
 * of them started at once (a cron of twenty jobs) took up to 8 + 1 slots each, and against a role allowed 12
 * most were refused. They now take at most 3 + 1, and give back a connection idle 1 s: one waiting for
 * another slot (slotWaitingPool.ts) holds no idle one meanwhile that another process could finish with.
 *
 * Except one: a store that holds a lease (one that writes) keeps its last connection however long idle
 * (pg-pool's `min: 1`, set in pgStore.ts). Its heartbeat, every 5 s, otherwise found its connection closed
 * and opened one each time: on a server kept full for most of the lease, a long `flowdeck run` then lost
 * its lease — its run ended Crashed — though it had held a connection all along before. Kept, the heartbeat
 * needs no new slot; a checkout that waits for a second one finds it free again as soon as it is given back.
 * It steps aside only while the LISTEN connection waits for a slot (slotWaitingPool.ts's idleGivesWay).
 * Kept for the store's life rather than only while a run goes: a command that writes ends within moments
 * unless it runs a run, and one connection is the least any store's work takes.
 */
export type PoolUse = 'oneOff' | 'longLived';

export const POOL_SIZE: Record<PoolUse, { max: number; idleTimeoutMillis: number }> = {
  oneOff: { max: 3, idleTimeoutMillis: 1000 },
  longLived: { max: 8, idleTimeoutMillis: 10_000 },
};
