/**
 * `--tag TAG` (repeatable) of `flowdeck run`, `schedule add`, `runs` and `prune`: checked as a run's tags are
 * (runTags.ts). Tags a run will carry (`secrets` given) are shown in every listing and never masked: one that
 * holds a known secret's value is refused, not kept — and as a filter (`runs`, `prune`), not echoed back.
 */
import { runTagsProblem } from '../engine/runTags';
import type { SecretMasker } from '../engine/secrets';
import { UsageError } from './io';

export function checkedTags(given: readonly string[], option: string, secrets?: SecretMasker): string[] {
  const tags = [...new Set(given.map((t) => t.trim()))];
  const problem = runTagsProblem(tags);
  if (problem) throw new UsageError(`${option} ${problem.replace(/^holds/, 'was given')}`);
  if (secrets !== undefined && tags.some((t) => secrets.mask(t) !== t)) {
    throw new UsageError(`${option} was given a secret's value (GITHUB_TOKEN, a stored token…): tags are shown in every run listing and never masked; use a plain name`);
  }
  return tags;
}
