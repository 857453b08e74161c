/**
 * A count option's value (`--limit`, `--keep`, `--keep-runs`, `--concurrency`): a whole number of at least
 * `least`, read from decimal digits (decimalNumber.ts). One past Number.MAX_SAFE_INTEGER is still decimal
 * digits and ≥ 1 — telling the user it is not "a whole number ≥ 1" was wrong — so it is refused as too large,
 * naming the bound: past it a number cannot be held exactly.
 */
import { decimalNumber } from './decimalNumber';
import { UsageError } from './io';

const DIGITS = /^\d+$/;

/** `value` of option `name` as a whole number ≥ `least`; a UsageError saying what is wrong otherwise. */
export function wholeNumberOption(name: string, value: string, least: number): number {
  const n = decimalNumber(value);
  if (n === undefined && DIGITS.test(value)) throw new UsageError(`${name} is too large: at most ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}, got '${value}'`);
  if (n === undefined || n < least) throw new UsageError(`${name} must be a whole number ≥ ${least}, got '${value}'`);
  return n;
}
