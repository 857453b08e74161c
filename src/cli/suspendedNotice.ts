/** What `flowdeck run` (and `run --queue --wait`) says of a run that ended Suspended: nothing runs it, and how it goes on. */
import { pauseAbout } from '../engine/pauseInput';
import type { FlowRunSummary } from '../engine/records';

/** How a run a command followed, ended Suspended (suspendFlowRun), goes on: `flowdeck resume` with the input it waits for. */
export function suspendedNotice(run: Pick<FlowRunSummary, 'name' | 'state'>): string {
  const inputs = Object.entries(run.state.pause?.input ?? {});
  const required = inputs.filter(([, d]) => d.required).map(([k]) => ` --input ${k}=…`);
  const optional = inputs.filter(([, d]) => !d.required).map(([k]) => k);
  const until = run.state.pause ? ` until ${new Date(run.state.pause.until).toISOString()}` : '';
  const also = optional.length > 0 ? ` (it also takes ${optional.join(', ')})` : '';
  return `⏸ Flow run '${run.name}' is suspended${pauseAbout(run.state.message)}: nothing runs it now. Resume it${until} with \`flowdeck resume ${run.name}${required.join('')}\`${also}, or Resume Run in VS Code.`;
}
