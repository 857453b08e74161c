/**
 * Limits the system holds a process to (open files, processes), as the error codes that say one was hit:
 * such a failure is nobody's code's fault, and what to do is to raise the limit.
 */
const ADVICE: Record<string, string> = {
  EMFILE: 'raise the limit: `ulimit -n`, or close what holds files open',
  ENFILE: 'raise the limit: `ulimit -n`, or close what holds files open',
  EAGAIN: 'too many processes: `ulimit -u`',
};

/** Whether an error with this code is a system limit hit. */
export function isSystemLimit(code: string | undefined): boolean {
  return code !== undefined && Object.hasOwn(ADVICE, code);
}

/** ` (what to do)` for an error with this code, when it is a limit hit; else ''. */
export function limitAdvice(code: string | undefined): string {
  return isSystemLimit(code) ? ` (${ADVICE[code!]})` : '';
}
