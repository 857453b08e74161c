/**
 * `flowdeck run … --idempotency-key KEY` (Prefect's flow-run `idempotency_key`): the first run with a key
 * starts; every later `flowdeck run` of the same flow with that key — a retried CI job, a webhook delivered
 * twice, two at the same moment — starts nothing, and reports the run the key started instead (following it
 * to its end if it still goes). Nothing is done twice.
 *
 * The key's run is kept in the store's key-value entries (`flowdeck.idempotency`, under a hash of the flow
 * and the key), recorded before the run is made; while a process starts it, a claim (RunStore.claim) keeps
 * the others waiting for it, and one whose holder died is taken over.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { discoverFlows } from '../engine/flowDiscovery';
import { BUILTIN_FLOWS } from '../flows/builtins';
import { hasControlCharacters } from '../engine/givenRunName';
import type { FlowSource } from '../engine/protocol';
import type { FlowRunSummary } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import { formatState, isSettled } from '../engine/states';
import { neutraliseTerminal } from '../engine/terminalText';
import { followLogs } from './followLogs';
import { EXIT, UsageError, write, type CliIo } from './io';
import { stateJson } from './runJson';
import { printRunJson } from './runJsonStream';

const NAMESPACE = 'flowdeck.idempotency';
const MAX_KEY = 200;
/** How long a run waits for another process that claimed the key to create its run. */
const CLAIM_WAIT_MS = 120_000;
const POLL_MS = 100;

export function checkIdempotencyKey(key: string): string {
  if (key.trim() === '' || key.length > MAX_KEY || hasControlCharacters(key)) throw new UsageError(`--idempotency-key takes 1 to ${MAX_KEY} characters without control characters, got ${key.length > 40 ? `${key.length} characters` : JSON.stringify(key)}`);
  return key;
}

/**
 * A key's scope: the flow, by its name in the store (as its runs, schedules and concurrency slots are
 * counted) — so the same flow run from two checkouts, from two machines sharing a Postgres store, or queued
 * for workers shares its keys. The name is read without running the flow: `--flow`, a built-in's, a file's
 * only flow. A file whose flow cannot be named so (built at run time, one of several) scopes its keys by
 * its path instead.
 */
export async function idempotencyScope(source: FlowSource, flowName: string | undefined): Promise<string> {
  if (flowName !== undefined) return `flow:${flowName}`;
  if (source.kind === 'builtin') {
    const builtin = BUILTIN_FLOWS.find((b) => b.id === source.id);
    return builtin ? `flow:${builtin.name}` : `builtin:${source.id}`;
  }
  const text = await readFile(source.path, 'utf8').catch(() => undefined);
  const found = text === undefined ? undefined : discoverFlows(text, source.path);
  return found && !found.error && found.flows.length === 1 ? `flow:${found.flows[0]!.name}` : `file:${source.path}`;
}

/** What a key is the key of: its scope (idempotencyScope) and the key. */
export function idempotencyId(flow: string, key: string): string {
  return createHash('sha256').update(`${flow}\0${key}`).digest('hex');
}

/** The run a key started, when it is still in the store. */
async function keyedRun(store: RunStore, id: string): Promise<FlowRunSummary | undefined> {
  // Created by another process since this one opened the store: read the index again first.
  await store.refresh();
  const kept = (await store.kv.get(NAMESPACE, id)) as { runId?: unknown } | undefined;
  return typeof kept?.runId === 'string' ? store.get(kept.runId) : undefined;
}

/**
 * Runs `start` unless the key started a run already; then reports that run — its end, or, if it still goes,
 * its logs until it ends — and exits as `flowdeck run` would for it. `start` is given the new run's id, which
 * is recorded as the key's run before `start` creates it: a host that dies at any moment after leaves the key
 * pointing at its run (the next one reports it, Crashed), or, dead before creating it, at no run (the next one
 * starts one). It resolves with the exit code at the run's end.
 */
export async function runOnce(
  store: RunStore,
  io: CliIo,
  options: { flow: string; key: string; json: boolean; follow: boolean; mask: (text: string) => string },
  start: (runId: string) => Promise<number>,
): Promise<number> {
  const id = idempotencyId(options.flow, options.key);
  const claim = `idempotency:${id}`;
  const deadline = Date.now() + CLAIM_WAIT_MS;
  let said = false;
  for (;;) {
    const run = await keyedRun(store, id);
    if (run) return reportKeyed(store, io, run, options);
    if (await store.claim(claim)) break;
    if (!said) {
      said = true;
      write(io.stderr, neutraliseTerminal(options.mask(`flowdeck: another process is starting the run of idempotency key '${options.key}'; waiting for it`)));
    }
    if (Date.now() > deadline) {
      write(io.stderr, neutraliseTerminal(options.mask(`flowdeck: the process starting the run of idempotency key '${options.key}' created none in ${CLAIM_WAIT_MS / 1000} s; try again (a claim of a process that died is taken over)`)));
      return EXIT.runFailed;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    // Its run may have been created while this process waited for the claim (its holder then let it go or died).
    const run = await keyedRun(store, id);
    if (run) return await reportKeyed(store, io, run, options);
    // The key's run is recorded first, then made: the others, polling, find it once it exists. (A key whose
    // recorded run does not exist — its process died before making it, it was pruned — gets a new one.)
    const runId = randomUUID();
    await store.kv.set(NAMESPACE, id, { runId });
    return await start(runId);
  } finally {
    await store.unclaim(claim).catch(() => undefined);
  }
}

/** `follow`: a run not ended is followed to its end (not for `run --queue` without `--wait`, which only queues). */
async function reportKeyed(store: RunStore, io: CliIo, run: FlowRunSummary, options: { key: string; json: boolean; follow: boolean; mask: (text: string) => string }): Promise<number> {
  const which = `flow run '${run.name}' (${run.id})`;
  if (!options.follow) {
    // `run --queue` without `--wait` only queues: that the key's run is there (in whatever state) is its answer.
    write(io.stderr, neutraliseTerminal(options.mask(`flowdeck: idempotency key '${options.key}' started ${which} already; it is ${run.state.name}, and is not queued again`)));
    if (options.json) write(io.stdout, JSON.stringify({ id: run.id, name: run.name, flowName: run.flowName, state: stateJson(run.state) }));
    return EXIT.ok;
  }
  let code: number;
  if (isSettled(run.state)) {
    write(io.stderr, neutraliseTerminal(options.mask(`flowdeck: idempotency key '${options.key}' started ${which} already; it ended ${formatState({ name: run.state.name, message: run.state.message && run.state.message.length > 200 ? `${run.state.message.slice(0, 199)}…` : run.state.message })}, and is not run again${run.state.type !== 'COMPLETED' && !run.parentRunId ? ` (\`flowdeck resume ${run.name}\` resumes it from its checkpoints)` : ''}`)));
    code = run.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
  } else {
    write(io.stderr, neutraliseTerminal(options.mask(`flowdeck: idempotency key '${options.key}' started ${which} already; it is ${run.state.name}: following it`)));
    // Its logs go where a run's logs go (stderr), its JSON to stdout at its end.
    code = await followLogs(store, run, { ...io, stdout: io.stderr });
  }
  if (options.json) await printRunJson(store, run.id, io);
  return code;
}
