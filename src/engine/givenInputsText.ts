/**
 * What a run's pauses were resumed with, as one line — `approval: {"approve":true} (attempt 1); gate: timed out
 * (attempt 2)` — for `flowdeck inspect` and the run details panel. Bounded: a value may be large.
 */
import type { GivenInput } from './records';

const MAX_TEXT = 400;

export function givenInputsText(inputs: Readonly<Record<string, GivenInput>> | undefined): string | undefined {
  const each = Object.entries(inputs ?? {}).map(([key, given]) => `${key}: ${given.timedOut ? 'timed out' : JSON.stringify(given.value)} (attempt ${given.attempt})`);
  if (each.length === 0) return undefined;
  const text = each.join('; ');
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
