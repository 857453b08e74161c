/** The run a command names (id, unique id prefix or name), or a message on stderr saying why there is none. */
import type { FlowRunSummary } from '../engine/records';
import { MIN_RUN_PREFIX, type ResolvedRun, type RunStore } from '../engine/runStore';
import { neutraliseTerminal } from '../engine/terminalText';
import { write, type CliIo } from './io';

export async function resolveRunRef(store: RunStore, ref: string, io: CliIo, command: string): Promise<FlowRunSummary | undefined> {
  const resolved = await store.resolve(ref);
  const { run, ambiguous } = resolved;
  if (ambiguous) {
    write(io.stderr, neutraliseTerminal(`flowdeck ${command}: '${ref}' matches ${ambiguous.length} runs (${ambiguous.slice(0, 5).map((r) => r.name).join(', ')}${ambiguous.length > 5 ? ', …' : ''}); give more of the id`));
    return undefined;
  }
  if (!run) write(io.stderr, neutraliseTerminal(`flowdeck ${command}: ${noRunText(ref, resolved, store.location)}`));
  return run;
}

/** What a command says when `ref` names no run (`resolved` being what RunStore.resolve gave). */
export function noRunText(ref: string, resolved: ResolvedRun, location: string): string {
  return resolved.tooShort
    ? `'${ref}' is too short to name a run: give at least ${MIN_RUN_PREFIX} characters of its id (\`flowdeck runs\` lists them)`
    : `no run with id, id prefix or name '${ref}' in ${location}; \`flowdeck runs\` lists them`;
}
