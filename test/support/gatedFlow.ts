/**
 * A flow file for tests of waiting: its run marks that it started (`mark`, a file it creates) and holds until
 * its gate file exists (`gate`), ending early when cancelled. `options`: more of its flow options, as code.
 */
import { flowSource } from './engine';

export function gatedFlow(name: string, options = ''): string {
  return flowSource(`
import { existsSync, writeFileSync } from 'node:fs';
export default flow({ name: '${name}'${options} }, async ({ gate, mark }: { gate: string; mark: string }) => {
  writeFileSync(mark, '');
  const signal = getRunContext().signal;
  while (!existsSync(gate)) {
    if (signal.aborted) throw signal.reason;
    await new Promise((r) => setTimeout(r, 20));
  }
  return 'done';
});`);
}
