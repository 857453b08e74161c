import type { StateName, StateType } from '../engine/states';

/** What `--state` values select: runs in a state of these types, or in these states by name. */
export interface StateFilter {
  stateTypes: StateType[];
  stateNames: StateName[];
}

/**
 * `--state` values (any case) as `runs` and `prune` take them: a state type (`failed`, with TimedOut) or the
 * name of a state within one (`timedout`), each of those the command offers; `refusal(v)` says why another is not.
 */
export function stateFilterOf(values: readonly string[], types: readonly StateType[], names: readonly StateName[], refusal: (value: string) => Error): StateFilter {
  const filter: StateFilter = { stateTypes: [], stateNames: [] };
  for (const v of values) {
    const wanted = v.trim().toLowerCase();
    const type = types.find((t) => t.toLowerCase() === wanted);
    const name = names.find((n) => n.toLowerCase() === wanted);
    if (type) filter.stateTypes.push(type);
    else if (name) filter.stateNames.push(name);
    else throw refusal(v);
  }
  return filter;
}
