/**
 * The latest artifact of each key per flow: what the dashboard shows. The run index lists the keys each
 * run created (`FlowRunSummary.artifacts`), so the newest run holding each key is found in memory, and
 * only those runs' journals are read — never the whole history's.
 */
import type { Artifact } from './artifacts';
import type { FlowRunSummary } from './records';
import type { RunStore } from './runStore';

/** Keys per flow the dashboard shows at most; the newest win. */
export const MAX_FLOW_ARTIFACT_KEYS = 50;

/** Which run holds the latest artifact of each key, newest runs first (runs must be sorted newest first). */
export function latestHolders(runs: readonly FlowRunSummary[], maxKeys = MAX_FLOW_ARTIFACT_KEYS): Map<string, string[]> {
  const byRun = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const run of runs) {
    for (const key of run.artifactKeys ?? []) {
      if (seen.has(key) || seen.size >= maxKeys) continue;
      seen.add(key);
      let keys = byRun.get(run.id);
      if (!keys) byRun.set(run.id, (keys = []));
      keys.push(key);
    }
  }
  return byRun;
}

/** The latest artifact of each key of a flow's runs, newest first. */
export async function latestArtifacts(store: RunStore, flowName: string, maxKeys = MAX_FLOW_ARTIFACT_KEYS): Promise<Artifact[]> {
  const runs = await store.list({ flowNames: [flowName] });
  const out: Artifact[] = [];
  for (const [runId, keys] of latestHolders(runs, maxKeys)) {
    const wanted = new Set(keys);
    for (const a of (await store.readArtifacts(runId)) ?? []) if (wanted.has(a.key)) out.push(a);
  }
  return out.sort((a, b) => b.ts - a.ts || (a.key < b.key ? -1 : 1));
}
