/**
 * A length of time as a user writes it — `45s`, `90m`, `12h`, `30d`, `2w` (`sec`, `min` too), a fraction
 * allowed (`1.5h`) — read in one place, so every option taking one (`prune --older-than`, `cache
 * --older-than`, `schedule add --every`, the editor's Schedule Flow…) takes the same units: `--every 2w`
 * was refused while `--older-than 2w` was taken. Each caller bounds the result and says so in its message.
 */
const DURATION = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?$/;
const UNIT_MS: Record<string, number> = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `text` in milliseconds; a bare number in unit `bare` when given, else refused; undefined when not a duration. */
export function parseDuration(text: string, options: { bare?: 's' | 'm' | 'h' | 'd' | 'w' } = {}): number | undefined {
  const m = DURATION.exec(text.trim());
  const unit = m?.[2] ?? options.bare;
  if (!m || unit === undefined) return undefined;
  const ms = Number(m[1]) * UNIT_MS[unit]!;
  return Number.isFinite(ms) ? ms : undefined;
}
