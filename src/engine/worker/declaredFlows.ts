/**
 * The names of the flows made in this worker (`flow(...)` called as the flow file and its modules load,
 * exported or not): a run asked for a flow the file does not export can then say the flow is there but
 * is a subflow, rather than that there is no such flow.
 */

/** Names kept at most: a file making flows in a loop must not grow this without end. */
const MAX_NAMES = 1_000;
const names = new Set<string>();

export function noteFlow(name: string): void {
  if (names.size < MAX_NAMES) names.add(name);
}

export function isDeclaredFlow(name: string): boolean {
  return names.has(name);
}

/** Forgets them all (a standby's rehearsal made its own, which the run's flow file did not). */
export function forgetDeclaredFlows(): void {
  names.clear();
}
