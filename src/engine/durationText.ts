/**
 * How long something took, as every text Flowdeck prints says it — the Runs view, logs' headers,
 * `flowdeck runs`, `flowdeck serve` — so one run's duration reads the same everywhere.
 *
 * `430 ms`, `1.2 s`, `12 s`, `2 min 5 s`, `1 h 3 min`.
 */
export function formatDuration(ms: number): string {
  const safe = Math.max(0, ms);
  // Most task runs take milliseconds; "0.0 s" would say nothing.
  if (safe < 1000) return `${Math.floor(safe)} ms`;
  if (safe < 10_000) return `${(Math.floor(safe / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(safe / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}
