/** `--tag TAG` (repeatable) of `flowdeck run` and `flowdeck runs`: checked as a run's tags are (runTags.ts). */
import { runTagsProblem } from '../engine/runTags';
import { UsageError } from './io';

export function checkedTags(given: readonly string[], option: string): string[] {
  const tags = [...new Set(given.map((t) => t.trim()))];
  const problem = runTagsProblem(tags);
  if (problem) throw new UsageError(`${option} ${problem.replace(/^holds/, 'was given')}`);
  return tags;
}
