/**
 * A number option's value as the user wrote it in decimal digits: `12`, and `1.5` where a fraction is taken
 * (seconds). Number() takes far more — `0x10`, `1e3`, `0b1`, ` 12 `, `Infinity`, '' (0) — so `--limit 0x10`
 * listed 16 runs and `--tasks 1e1` showed 10: every numeric option reads its value here, as `--param` does,
 * and a value in any other form is refused by the option, naming it and what was given.
 */
const WHOLE = /^\d+$/;
const WITH_FRACTION = /^\d+(\.\d+)?$/;

/** `text` as a number when it is written in decimal digits (a fraction too with `fraction`), else undefined. */
export function decimalNumber(text: string, options: { fraction?: boolean } = {}): number | undefined {
  if (!(options.fraction ? WITH_FRACTION : WHOLE).test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && (options.fraction || Number.isSafeInteger(n)) ? n : undefined;
}
