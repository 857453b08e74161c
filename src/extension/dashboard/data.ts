/**
 * Every read the dashboard makes of the run store, behind asynchronous functions: the store's own API
 * is becoming asynchronous, and these are the only places to re-point when it does. Until then each
 * read runs on a turn of the event loop of its own (after `setImmediate`), so a model that needs many
 * runs' results never holds the extension host for more than one file's parse at a time.
 *
 * Results of finished runs never change, so they are cached: whole results (with star histories) in a
 * small most-recently-used cache, the few counts the metrics over time need for every run they were read of.
 */
import type { FlowRunSummary, LogRecord } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { isTerminal } from '../../engine/states';
import { runsOfRepository as runsOfRepositoryIn } from './repositories';
import { readGithubSnapshot, ResultShapeError, type RepoSnapshot } from './results';

/** Whole results kept: the charted runs and the compared repositories' latest runs fit. */
const RESULT_CACHE_SIZE = 24;
/** Snapshots are a few numbers each; this bounds them if the history grows past what the store keeps. */
const SNAPSHOT_CACHE_SIZE = 10_000;

export interface DashboardData {
  /** Every run, newest first. */
  listRuns(): Promise<FlowRunSummary[]>;
  /** A run's result; undefined when the run has none (yet) or is no longer stored. */
  readResult(runId: string): Promise<unknown>;
  /** The counts a github-repo-stats run recorded; undefined when it has no readable result. */
  readSnapshot(runId: string): Promise<RepoSnapshot | undefined>;
  readLogs(runId: string): Promise<LogRecord[]>;
  /** github-repo-stats runs (any state) asked for `repo`, newest first. */
  runsOfRepository(repo: string): Promise<FlowRunSummary[]>;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function createDashboardData(store: () => RunStore): DashboardData {
  const results = new Map<string, unknown>();
  const snapshots = new Map<string, RepoSnapshot | undefined>();

  const remember = <V>(cache: Map<string, V>, limit: number, id: string, value: V): V => {
    cache.delete(id);
    cache.set(id, value);
    if (cache.size > limit) cache.delete(cache.keys().next().value!);
    return value;
  };

  /** The result and whether it is final (the run finished), read on a turn of its own. */
  const readFinal = async (runId: string): Promise<{ value: unknown; final: boolean }> => {
    await nextTurn();
    const detail = store().readRun(runId);
    return { value: detail?.result, final: detail !== undefined && isTerminal(detail.state.type) };
  };

  return {
    listRuns: async () => store().list(),
    readResult: async (runId) => {
      if (results.has(runId)) return remember(results, RESULT_CACHE_SIZE, runId, results.get(runId));
      const { value, final } = await readFinal(runId);
      return final ? remember(results, RESULT_CACHE_SIZE, runId, value) : value;
    },
    readSnapshot: async (runId) => {
      if (snapshots.has(runId)) return snapshots.get(runId);
      const { value, final } = await readFinal(runId);
      let snapshot: RepoSnapshot | undefined;
      try {
        snapshot = value === undefined ? undefined : readGithubSnapshot(value);
      } catch (error) {
        // An unreadable result only leaves a point out of the history.
        if (!(error instanceof ResultShapeError)) throw error;
      }
      return final ? remember(snapshots, SNAPSHOT_CACHE_SIZE, runId, snapshot) : snapshot;
    },
    readLogs: async (runId) => {
      await nextTurn();
      return store().readLogs(runId);
    },
    runsOfRepository: async (repo) => runsOfRepositoryIn(store().list(), repo),
  };
}
