/**
 * The dashboard's artifact sections: one per flow whose runs created artifacts, the latest of each key.
 * Pure (the artifacts are read by ./data), so what is shown, in what order and how much of a table goes
 * in the model is testable on its own.
 */
import type { Artifact, ArtifactData, TableCell } from '../../engine/artifacts';
import type { FlowRunSummary } from '../../engine/records';
import { TABLE_PAGE_ROWS, type ArtifactView, type FlowArtifactsView } from '../../webview/protocol';

/** Flows with artifact sections at most: those whose runs are newest. */
export const MAX_ARTIFACT_FLOWS = 10;
/** Keys per flow the dashboard reads and shows at most. */
export const MAX_ARTIFACT_KEYS_SHOWN = 24;

export interface FlowArtifacts {
  flowName: string;
  /** The latest artifact of each key (see latestArtifacts in the engine). */
  artifacts: readonly Artifact[];
}

/** Flows whose runs have artifacts, the one with the newest such run first (runs newest first). */
export function flowsWithArtifacts(runs: readonly FlowRunSummary[], limit = MAX_ARTIFACT_FLOWS): string[] {
  const names: string[] = [];
  for (const run of runs) {
    if (!run.artifactKeys?.length || names.includes(run.flowName)) continue;
    names.push(run.flowName);
    if (names.length >= limit) break;
  }
  return names;
}

/** A table artifact's data: its columns, if named, and every row. */
export type TableData = Extract<ArtifactData, { kind: 'table' }>;

/** The table an artifact holds; undefined when it is not a table. */
export function tableOf(artifact: Artifact | undefined): TableData | undefined {
  return artifact?.data.kind === 'table' ? artifact.data : undefined;
}

/** One page of a table's rows, from `offset`. */
export function tablePage(table: TableData, offset: number): { rows: TableCell[][]; total: number } {
  return { rows: table.rows.slice(offset, offset + TABLE_PAGE_ROWS), total: table.rows.length };
}

/** An artifact as a webview gets it: a table with its first page of rows and how many it has. */
export function artifactView(a: Artifact, runName: string): ArtifactView {
  const view: ArtifactView = { key: a.key, runId: a.runId, runName, ts: a.ts, data: a.data };
  if (a.data.kind === 'table') {
    view.data = { ...a.data, rows: a.data.rows.slice(0, TABLE_PAGE_ROWS) };
    view.totalRows = a.data.rows.length;
  }
  return view;
}

/** Sections in the order of their newest artifact; artifacts of runs no longer stored are left out. */
export function artifactSections(flows: readonly FlowArtifacts[], runs: readonly Pick<FlowRunSummary, 'id' | 'name'>[]): FlowArtifactsView[] {
  const names = new Map(runs.map((r) => [r.id, r.name]));
  const sections: FlowArtifactsView[] = [];
  for (const flow of flows) {
    const artifacts = flow.artifacts
      .filter((a) => names.has(a.runId))
      .sort((a, b) => b.ts - a.ts || (a.key < b.key ? -1 : 1))
      .slice(0, MAX_ARTIFACT_KEYS_SHOWN)
      .map((a) => artifactView(a, names.get(a.runId)!));
    if (artifacts.length > 0) sections.push({ flowName: flow.flowName, artifacts });
  }
  return sections.sort((a, b) => b.artifacts[0]!.ts - a.artifacts[0]!.ts);
}
