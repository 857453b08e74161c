/** What the CLI says of runs a damaged run index had lost and the store listed again (lostRuns.ts). */
import type { RunStore } from '../engine/runStore';
import { neutraliseTerminal } from '../engine/terminalText';
import { write, type CliIo } from './io';

/** Runs named at most; the rest are counted. */
const NAMED = 10;

/** Says on stderr which runs the store listed again, if any: the index had lost them, their journals had not. */
export function sayRelistedRuns(io: CliIo, store: RunStore): void {
  const runs = store.relistedRuns ?? [];
  if (runs.length === 0) return;
  const named = runs.slice(0, NAMED).map((r) => `'${r.name}' (${r.state.name}, ${r.id})`);
  const more = runs.length > NAMED ? ` and ${runs.length - NAMED} more` : '';
  write(io.stderr, neutraliseTerminal(`flowdeck: the run index in ${store.location} had lost ${runs.length} run${runs.length === 1 ? '' : 's'} (damaged or emptied index files); listed again from ${runs.length === 1 ? 'its journal' : 'their journals'}: ${named.join(', ')}${more}.`));
}
