/**
 * A run's state as its row's `state` column (jsonb) keeps it. jsonb orders an object's keys its own way, so
 * what a Paused state waits for (its input's declaration, whose order is the order its questions are asked
 * in) is kept as a list of [name, declaration] pairs, and read back as declared.
 */
import type { State } from '../states';
import type { ParameterDeclaration } from '../types';
import { indexState } from '../runIndex';

/** `s` for the column: bounded as the index keeps it, a pause's input as pairs. */
export function stateToColumn(s: State): unknown {
  const small = indexState(s);
  const input = small.pause?.input;
  return input === undefined ? small : { ...small, pause: { ...small.pause, input: Object.entries(input) } };
}

/** The column's state as the engine knows it. */
export function stateFromColumn(column: unknown): State {
  const s = column as State & { pause?: { until: number; input?: unknown } };
  const input = s.pause?.input;
  return Array.isArray(input) ? { ...s, pause: { ...s.pause!, input: Object.fromEntries(input as [string, ParameterDeclaration][]) } } : s;
}
