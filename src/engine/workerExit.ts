/**
 * How a worker process ended, as the messages that report it say it: "exit code 3", "signal SIGSEGV — a
 * crash in native code …". A signal the worker does not handle itself comes from outside the flow's
 * JavaScript (SIGTERM, SIGINT and SIGHUP it handles: its run ends Cancelled), so its name alone tells a
 * user little; the common ones are said in words.
 */
const SIGNALS: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed from outside the flow: by `kill -9` or a process manager, or by the system when the machine ran short of memory',
  SIGSEGV: 'a crash in native code (an invalid memory access), in Node or in a native module the flow loaded',
  SIGBUS: 'a crash in native code (a bad memory access), in Node or in a native module the flow loaded',
  SIGILL: 'a crash in native code (an illegal instruction), in Node or in a native module the flow loaded',
  SIGFPE: 'a crash in native code (an arithmetic fault), in Node or in a native module the flow loaded',
  SIGABRT: 'Node or a native module aborted the process (process.abort(), a failed native assertion)',
};

/**
 * "exit code N" or "signal NAME", with what the signal most likely means unless the caller already knows
 * why the process went (`explain` false: the worker said so, or its stderr did).
 */
export function workerExitText(how: { code: number | null; signal: NodeJS.Signals | null }, explain = true): string {
  if (how.code !== null) return `exit code ${how.code}`;
  const signal = how.signal ?? 'unknown';
  const meaning = explain && how.signal ? SIGNALS[how.signal] : undefined;
  return meaning ? `signal ${signal} — ${meaning}` : `signal ${signal}`;
}
