/**
 * Cancel requests of the embedded store: a request to cancel a run another process runs (a `flowdeck run`
 * in a terminal, `flowdeck serve`, another editor window) is a file named by the run's id in the store's
 * private `runs/cancels` folder, holding the reason (runRequestFiles.ts). On Postgres the same requests go
 * through the database (pgShared.ts).
 */
import { RunRequestFiles } from './runRequestFiles';

/** A reason longer than this is cut: it is shown as the run's state message. */
export const MAX_CANCEL_REASON = 500;
/** A request file bigger than this is not read (it was not written by Flowdeck). */
const MAX_REQUEST_BYTES = 4096;
const DEFAULT_REASON = 'Cancelled by request';

/** The cancel requests of the store whose runs are in `runsDir`: the reason of each. */
export function cancelRequestFiles(runsDir: string): RunRequestFiles<string> {
  return new RunRequestFiles<string>(runsDir, 'cancels', reasonOf, MAX_REQUEST_BYTES);
}

/** A request's reason; one that cannot be read still cancels. */
function reasonOf(text: string | undefined): string {
  if (text === undefined) return DEFAULT_REASON;
  try {
    const v = JSON.parse(text) as { reason?: unknown };
    return typeof v.reason === 'string' && v.reason.trim() !== '' ? boundedReason(v.reason) : DEFAULT_REASON;
  } catch {
    return DEFAULT_REASON;
  }
}

/** One line, at most MAX_CANCEL_REASON characters. */
export function boundedReason(reason: string): string {
  const line = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > MAX_CANCEL_REASON ? `${line.slice(0, MAX_CANCEL_REASON - 1)}…` : line;
}
