/**
 * No task run starts while the host's store does not confirm the run's records (its server away: the host
 * says so, protocol.ts `store`). A task completed meanwhile would be on record nowhere, and should the host
 * fence itself before the server answers, the run's resume would run it again. Task runs going on finish;
 * a new one starts once the store answers — or never: the host fences itself and ends the run, as it did.
 * A cancel or timeout of the run lets a waiting start go, to end as its run did (stoppedBeforeStart).
 *
 * The embedded store never waits: a task run's start checks one flag, nothing more.
 */
import { flowRunSource } from '../logFormat';
import type { RunLogger } from '../types';
import { makeLogger, type FlowRunScope } from './context';
import { onAbort } from './signals';

let waiting = false;
const waiters = new Set<() => void>();
/** The runs told that they wait, this time: told again when they go on. */
const told = new Map<string, RunLogger>();

/** Whether a task run about to start must wait for the store (afterStore). */
export function storeWaiting(): boolean {
  return waiting;
}

/** The host says whether its store waits for the run's records to be confirmed. */
export function setStoreWaiting(on: boolean): void {
  if (on === waiting) return;
  waiting = on;
  if (on) return;
  for (const logger of told.values()) logger.info("The store confirms the run's records again: task runs start again");
  told.clear();
  for (const go of [...waiters]) go();
}

/** Calls `start` once the store no longer waits, or once `signal` fires (the run cancelled or timed out). */
export function afterStore(scope: FlowRunScope, signal: AbortSignal, start: () => void): void {
  if (!waiting || signal.aborted) return start();
  if (!told.has(scope.id)) {
    const logger = makeLogger(scope.id, undefined, flowRunSource(scope.name));
    told.set(scope.id, logger);
    logger.warning("The store does not confirm the run's records (its database unreachable or not answering): new task runs wait for the store, those going on finish; should it stay away until this host fences itself, the run ends here as after a crash");
  }
  let stop: (() => void) | undefined;
  const go = (): void => {
    if (!waiters.delete(go)) return;
    stop?.();
    start();
  };
  waiters.add(go);
  stop = onAbort(signal, go);
}

/** As afterStore, for code that awaits. */
export function storeAnswered(scope: FlowRunScope, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => afterStore(scope, signal, resolve));
}
