/**
 * Requests to resume a paused run (pauseFlowRun) on the embedded store: a file named by the run's id in
 * the store's private `runs/resumes` folder, holding the input (runRequestFiles.ts). The process running
 * the run checks the input against what the run waits for (pauseInput.ts) before it hands it on. On
 * Postgres the same requests go through the database (pgShared.ts).
 */
import { MAX_INPUT_BYTES } from './pauseInput';
import { RunRequestFiles } from './runRequestFiles';

/** The resume requests of the store whose runs are in `runsDir`: the input of each. */
export function resumeRequestFiles(runsDir: string): RunRequestFiles<Record<string, unknown>> {
  // The input, and room for the JSON around it.
  return new RunRequestFiles<Record<string, unknown>>(runsDir, 'resumes', inputOf, MAX_INPUT_BYTES + 1024);
}

/** A request's input; a file that cannot be read is no request (removed): a resume needs its input. */
export function inputOf(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as { input?: unknown };
    return v.input !== null && typeof v.input === 'object' && !Array.isArray(v.input) ? (v.input as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
