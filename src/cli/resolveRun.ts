/** The run a command names (id, unique id prefix or name), or a message on stderr saying why there is none. */
import type { FlowRunSummary } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import { neutraliseTerminal } from '../engine/terminalText';
import { write, type CliIo } from './io';

export async function resolveRunRef(store: RunStore, ref: string, io: CliIo, command: string): Promise<FlowRunSummary | undefined> {
  const { run, ambiguous } = await store.resolve(ref);
  if (ambiguous) {
    write(io.stderr, neutraliseTerminal(`flowdeck ${command}: '${ref}' matches ${ambiguous.length} runs (${ambiguous.slice(0, 5).map((r) => r.name).join(', ')}${ambiguous.length > 5 ? ', …' : ''}); give more of the id`));
    return undefined;
  }
  if (!run) write(io.stderr, neutraliseTerminal(`flowdeck ${command}: no run with id, id prefix or name '${ref}' in ${store.location}; \`flowdeck runs\` lists them`));
  return run;
}
