/** `flowdeck run … --queue NAME`: the run is created Scheduled and handed to the workers of that queue. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { discoverFlows } from '../engine/flowDiscovery';
import { ParameterError, parametersFromText, refusalOf } from '../engine/parameters';
import type { FlowSource } from '../engine/protocol';
import type { FlowRunSummary } from '../engine/records';
import { queuedFlowFor } from '../engine/queuedFlow';
import { queuedParameterSecrets } from '../engine/queuedParameterSecrets';
import { secretParameterValues } from '../engine/secretParameters';
import { BadInputError } from '../engine/runRequest';
import type { RunStore } from '../engine/runStore';
import { mergedTags, tagsField } from '../engine/runTags';
import { SecretMasker, secretsFromEnv } from '../engine/secrets';
import type { SharedStore } from '../engine/sharedStore';
import { neutraliseTerminal } from '../engine/terminalText';
import { followQueued } from './followQueued';
import { EXIT, UsageError, write, type CliIo } from './io';
import { knownSecrets } from './knownSecrets';
import type { ParameterInput } from './parameterArgs';
import { checkedQueue } from './queueArg';
import { stateJson } from './runJson';

export interface EnqueueOptions {
  target: string;
  queue: string;
  root: string;
  flowName?: string;
  input: ParameterInput;
  wait: boolean;
  json: boolean;
  refreshCache?: boolean;
  idempotencyKey?: string;
  /** Tags it carries besides its flow's own (`--tag`). */
  tags?: string[];
  /** The queued run's id, chosen ahead (an idempotency key's run, recorded before it is made). */
  runId?: string;
}

/** The store workers share, for `--queue`; a UsageError (exit 2) saying what to set when this one is not. */
export function workersStore(store: RunStore): SharedStore {
  if (!store.shared) throw new UsageError(`--queue needs a Postgres store that workers share: set FLOWDECK_STORE (or --store) to a postgres:// URL (the store now is ${store.location})`);
  return store.shared;
}

export async function enqueueRun(store: RunStore, io: CliIo, options: EnqueueOptions): Promise<number> {
  const shared = workersStore(store);
  try {
    checkedQueue(options.queue, knownSecrets(io.env, store.home));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const path = resolve(io.cwd, options.target);
  const source: FlowSource = /^[a-z0-9-]+$/.test(options.target) && !existsSync(path) ? { kind: 'builtin', id: options.target } : { kind: 'file', path };
  let flow;
  try {
    flow = await queuedFlowFor(source, options.root, options.flowName, discoverFlows);
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    write(io.stderr, `flowdeck: ${neutraliseTerminal(e.message)}`);
    return EXIT.badInput;
  }
  // `--param` texts are read by the declarations here, since the run is created now; a flow whose
  // declarations cannot be read without running it gets them read as for an undeclared parameter, and
  // the worker still validates them.
  const masker = new SecretMasker(secretsFromEnv(io.env));
  // A refusal below quotes what was given: a secret parameter's value never.
  for (const value of secretParameterValues(flow.parameters, options.input.parameters, options.input.parameterText)) masker.add(value);
  let parameters: Record<string, unknown>;
  try {
    parameters = { ...options.input.parameters, ...parametersFromText(flow.flowName, flow.parameters, options.input.parameterText, { mask: (t) => masker.mask(t) }) };
    // Checked against that declaration as the worker will check them: parameters it would refuse never
    // make a run. (The worker fills in the defaults.)
    const refused = refusalOf(flow.flowName, flow.parameters, parameters, { mask: (t) => masker.mask(t) });
    if (refused) throw refused;
  } catch (e) {
    if (!(e instanceof ParameterError)) throw e;
    write(io.stderr, `flowdeck: ${neutraliseTerminal(e.message)}`);
    return EXIT.badInput;
  }
  const secret = queuedParameterSecrets(parameters, masker, flow.parameters);
  if (secret !== undefined) {
    write(io.stderr, `flowdeck: ${neutraliseTerminal(secret)}`);
    return EXIT.badInput;
  }
  // Ctrl-C (SIGTERM, SIGHUP) while the database takes the run (it may wait on a lock another session holds):
  // its statement is cancelled there and no run is kept; the process ends saying so, not killed mid-way.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => interrupted.abort(new Error(`Stopped by ${signal} before the run was queued; no run was created`));
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  let run: FlowRunSummary;
  try {
    run = await shared.enqueue({ queue: options.queue, flowName: flow.flowName, source: flow.source, parameters, ...(flow.sourceHash ? { sourceHash: flow.sourceHash } : {}), ...(options.refreshCache ? { refreshCache: true } : {}), ...(options.idempotencyKey !== undefined ? { idempotencyKey: masker.mask(options.idempotencyKey) } : {}), ...(options.runId !== undefined ? { runId: options.runId } : {}), ...tagsField(mergedTags(flow.tags, options.tags)) }, { signal: interrupted.signal });
  } catch (e) {
    if (!interrupted.signal.aborted) throw e;
    write(io.stderr, `flowdeck: ${(e as Error).message}`);
    return EXIT.interrupted;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
  write(io.stderr, `Queued flow run '${run.name}' (${run.id}) of flow '${neutraliseTerminal(run.flowName)}' on queue '${options.queue}'`);
  // Queued as the signal came (its commit sent): it stays queued, not followed.
  if (interrupted.signal.aborted) {
    write(io.stderr, neutraliseTerminal(`flowdeck: stopped as the run was queued; it stays queued for a worker (\`flowdeck cancel ${run.name}\` cancels it)`));
    return EXIT.interrupted;
  }
  if (options.wait) return followQueued(store, shared, io, run.id, { json: options.json });
  if (options.json) write(io.stdout, JSON.stringify({ id: run.id, name: run.name, flowName: run.flowName, queue: options.queue, state: stateJson(run.state) }));
  return EXIT.ok;
}
