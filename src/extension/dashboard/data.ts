/**
 * Every read the dashboard makes of the run store. The store is asynchronous and reads journals in
 * chunks, so a model that needs many runs' results never holds the extension host for long.
 *
 * Results of finished runs never change, so they are cached: whole results (with star histories) in a
 * small most-recently-used cache, the few counts the metrics over time need for every run they were read of.
 */
import type { Artifact } from '../../engine/artifacts';
import { latestHolders } from '../../engine/latestArtifacts';
import type { LogRecord } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { storedJsonView, textJsonView } from '../../engine/serializer';
import { isTerminal } from '../../engine/states';
import { flowsWithArtifacts, MAX_ARTIFACT_KEYS_SHOWN, tableOf, type FlowArtifacts, type TableData } from './artifactSections';
import type { DashboardRun } from './dashboardRun';
import { runsOfRepository as runsOfRepositoryIn } from './repositories';
import { readGithubSnapshot, ResultShapeError, type RepoSnapshot } from './results';

/** Whole results kept: the charted runs and the compared repositories' latest runs fit. */
const RESULT_CACHE_SIZE = 24;
/** Artifacts of finished runs kept: the sections' holders fit. */
const ARTIFACT_CACHE_SIZE = 64;
/** Snapshots are a few numbers each; this bounds them if the history grows past what the store keeps. */
const SNAPSHOT_CACHE_SIZE = 10_000;

export interface DashboardData {
  /** Every run, newest first. */
  listRuns(): Promise<DashboardRun[]>;
  /** A run's result; undefined when the run has none (yet) or is no longer stored. */
  readResult(runId: string): Promise<unknown>;
  /** The counts a github-repo-stats run recorded; undefined when it has no readable result. */
  readSnapshot(runId: string): Promise<RepoSnapshot | undefined>;
  readLogs(runId: string): Promise<LogRecord[]>;
  /** A run's log lines a batch at a time, as the store reads them: none of them held here. */
  readLogBatches(runId: string, onLogs: (logs: LogRecord[]) => void): Promise<void>;
  /** github-repo-stats runs (any state) asked for `repo`, newest first. */
  runsOfRepository(repo: string): Promise<DashboardRun[]>;
  /** The latest artifact of each key of the flows that have artifacts; only the journals holding them are read. */
  readFlowArtifacts(runs: readonly DashboardRun[]): Promise<FlowArtifacts[]>;
  /** A table artifact; undefined when the run or the table is gone. */
  readTable(runId: string, key: string): Promise<TableData | undefined>;
}

/** Results the charts draw are small; one kept in a file of its own is read only up to this size. */
const MAX_CHART_RESULT_BYTES = 32 * 1024 * 1024;

export function createDashboardData(store: () => Promise<RunStore>): DashboardData {
  const results = new Map<string, unknown>();
  const snapshots = new Map<string, RepoSnapshot | undefined>();
  /** Parameters never change: each run's are read once, from its journal's first record. */
  const parameters = new Map<string, Record<string, unknown>>();
  /** Read artifacts by run, with whether the run had finished and how many keys it had then. */
  const artifacts = new Map<string, { list: Artifact[]; final: boolean; keys: number }>();

  const remember = <V>(cache: Map<string, V>, limit: number, id: string, value: V): V => {
    cache.delete(id);
    cache.set(id, value);
    if (cache.size > limit) cache.delete(cache.keys().next().value!);
    return value;
  };

  /** The result and whether it is final (the run finished), read on a turn of its own. */
  const readFinal = async (runId: string): Promise<{ value: unknown; final: boolean }> => {
    const s = await store();
    const detail = await s.readRun(runId);
    let value: unknown;
    if (detail?.result) value = storedJsonView(detail.result.dv);
    else if (detail?.resultRef && detail.resultRef.bytes <= MAX_CHART_RESULT_BYTES) value = textJsonView(await s.readResultText(runId, detail.resultRef));
    return { value, final: detail !== undefined && isTerminal(detail.state.type) };
  };

  /** Every run, with the parameters of the built-in flows' runs (the charts group by them). */
  const listRuns = async (): Promise<DashboardRun[]> => {
    const s = await store();
    const runs = await s.list();
    const out: DashboardRun[] = [];
    for (const r of runs) {
      let p = parameters.get(r.id);
      if (!p && r.source.startsWith('builtin:')) {
        p = (await s.parametersOf(r.id)) ?? {};
        parameters.set(r.id, p);
      }
      out.push({ ...r, parameters: p ?? {} });
    }
    return out;
  };

  /**
   * A run's artifacts. A finished run's never change, so they are read once; a running one's journal is
   * read again only when the index lists a new key (an artifact replaced under the same key mid-run shows
   * when the run ends), not on every model push while it logs.
   */
  const artifactsOf = async (runId: string): Promise<Artifact[]> => {
    const s = await store();
    const run = await s.get(runId);
    const final = run !== undefined && isTerminal(run.state.type);
    const keys = run?.artifactKeys?.length ?? 0;
    const cached = artifacts.get(runId);
    if (cached && (cached.final || (!final && cached.keys === keys))) return remember(artifacts, ARTIFACT_CACHE_SIZE, runId, cached).list;
    const list = (await s.readArtifacts(runId)) ?? [];
    return remember(artifacts, ARTIFACT_CACHE_SIZE, runId, { list, final, keys }).list;
  };

  return {
    listRuns,
    readFlowArtifacts: async (runs) => {
      const out: FlowArtifacts[] = [];
      for (const flowName of flowsWithArtifacts(runs)) {
        const found: Artifact[] = [];
        for (const [runId, keys] of latestHolders(runs.filter((r) => r.flowName === flowName), MAX_ARTIFACT_KEYS_SHOWN)) {
          const wanted = new Set(keys);
          found.push(...(await artifactsOf(runId)).filter((a) => wanted.has(a.key)));
        }
        out.push({ flowName, artifacts: found });
      }
      return out;
    },
    readTable: async (runId, key) => tableOf((await artifactsOf(runId)).find((a) => a.key === key)),
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
      const records: LogRecord[] = [];
      await (await store()).readLogs(runId, (logs) => void records.push(...logs));
      return records;
    },
    readLogBatches: async (runId, onLogs) => {
      await (await store()).readLogs(runId, onLogs);
    },
    runsOfRepository: async (repo) => runsOfRepositoryIn(await listRuns(), repo),
  };
}
