/** How a run started, as the CLI (`flowdeck inspect`) and the run details panel say it. Engine module: no vscode import. */
import type { FlowRunDetail, RunTrigger } from './records';

export function triggerLabel(trigger: RunTrigger | undefined): string {
  if (!trigger || trigger.kind === 'manual') return 'manual';
  if (trigger.kind === 'schedule') return `schedule ${trigger.id}`;
  return 'resume';
}

/** Its trigger, then what it was started with: `manual, refreshing the cache, idempotency key 'release-42'`. */
export function runTriggerText(run: Pick<FlowRunDetail, 'trigger' | 'refreshCache' | 'idempotencyKey'>): string {
  const key = run.idempotencyKey === undefined ? '' : `, idempotency key '${run.idempotencyKey.length > 80 ? `${run.idempotencyKey.slice(0, 79)}…` : run.idempotencyKey}'`;
  return `${triggerLabel(run.trigger)}${run.refreshCache ? ', refreshing the cache' : ''}${key}`;
}
