/**
 * The result files a run's records name: its flow's result and its task runs' (every attempt's). A file in
 * its results folder that none of them names was written by an attempt whose host died before its record.
 */
import type { FlowRunDetail } from './records';

export function recordedResultFiles(detail: Pick<FlowRunDetail, 'resultRef' | 'taskRuns'>): Set<string> {
  const named = new Set<string>();
  if (detail.resultRef) named.add(detail.resultRef.file);
  for (const t of detail.taskRuns) if (t.resultRef) named.add(t.resultRef.file);
  return named;
}
