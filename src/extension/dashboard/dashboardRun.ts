import type { FlowRunSummary } from '../../engine/records';

/**
 * A run as the dashboard sees it: the history's summary plus its parameters (which repository, which
 * date range), read once per run from its journal's first record by ./data.
 */
export type DashboardRun = FlowRunSummary & { parameters: Record<string, unknown> };
