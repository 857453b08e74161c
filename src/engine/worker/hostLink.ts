/**
 * The worker's line to its host: journal records and control messages out over the event pipe (masked
 * on the way), requests that wait for a reply over IPC, and the secrets the worker masks.
 */
import type { ControlMessage, Request, WorkerLimits, WorkerMessage } from '../protocol';
import type { Failure } from '../states';
import { SecretMasker, secretsFromEnv } from '../secrets';
import { flush, send } from './eventPipe';

export const masker = new SecretMasker(secretsFromEnv(process.env));

export const DEFAULT_LIMITS: WorkerLimits = {
  inlineResultBytes: 256 * 1024,
  maxResultBytes: 512 * 1024 * 1024,
  maxLogLineBytes: 1024 * 1024,
  timeoutGraceMs: 2000,
  cancelGraceMs: 3000,
  mapProgressMs: 10_000,
};

export let limits: WorkerLimits = DEFAULT_LIMITS;
export let home = '';
let hostListening = false;

export function configure(options: { secrets: readonly string[]; limits: WorkerLimits; home: string }): void {
  for (const s of options.secrets) masker.add(s);
  limits = options.limits;
  home = options.home;
  hostListening = true;
}

/** A host sent this worker a flow to load: it answers requests from then on (the file's top level too). */
export function hostAnswers(): boolean {
  return hostListening;
}

const mask = (text: string): string => masker.mask(text);

/** Sends a journal record or a control message, masking every text a user's code could have put in it. */
export function emit(message: WorkerMessage, urgent = false): void {
  if (masker.size > 0) message = masked(message);
  send(message, urgent);
}

/** The texts a task run's start names (also carried by the one-line `trun` record), masked. */
function maskedTaskStart<T extends { name: string; taskName: string; cacheKey?: string; call?: { key: string } }>(m: T): T {
  return {
    ...m,
    name: mask(m.name),
    taskName: mask(m.taskName),
    ...(m.cacheKey !== undefined ? { cacheKey: mask(m.cacheKey) } : {}),
    ...(m.call !== undefined ? { call: { ...m.call, key: mask(m.call.key) } } : {}),
  };
}

function maskedFailure(f: Failure): Failure {
  return { ...f, name: mask(f.name), message: mask(f.message), ...(f.stack !== undefined ? { stack: mask(f.stack) } : {}), ...(f.causes ? { causes: f.causes.map(mask) } : {}) };
}

/** A message with every text user code could have put in it masked. */
export function masked(m: WorkerMessage): WorkerMessage {
  switch (m.k) {
    case 'log':
      return { ...m, source: mask(m.source), message: mask(m.message) };
    case 'state':
    case 'tstate': {
      const out = m.message === undefined ? { ...m } : { ...m, message: mask(m.message) };
      if (m.failure) out.failure = maskedFailure(m.failure);
      if (m.k === 'state' && out.k === 'state' && m.pause) out.pause = masker.maskValue(m.pause);
      return out;
    }
    case 'task':
      return maskedTaskStart(m);
    case 'result':
      return m.note === undefined ? m : { ...m, note: mask(m.note) };
    case 'artifact':
      return { ...m, data: masker.maskValue(m.data) };
    case 'trun':
      return {
        ...maskedTaskStart(m),
        ...(m.message !== undefined ? { message: mask(m.message) } : {}),
        ...(m.note !== undefined ? { note: mask(m.note) } : {}),
      };
    case 'fatal':
      return { ...m, message: mask(m.message), ...(m.failure ? { failure: maskedFailure(m.failure) } : {}) };
    case 'rejected':
      return { ...m, message: mask(m.message) };
    case 'req':
      return maskRequest(m);
    default:
      return m;
  }
}

function maskRequest(m: Extract<WorkerMessage, { k: 'req' }>): Extract<WorkerMessage, { k: 'req' }> {
  switch (m.op) {
    case 'subflow':
      return { ...m, flowName: mask(m.flowName), parameters: masker.maskValue(m.parameters), call: { ...m.call, key: mask(m.call.key) } };
    case 'kv-set':
    case 'var-set':
      return { ...m, value: masker.maskValue(m.value) };
    default:
      return m;
  }
}

/** Masks `value` from now on, here and in the host (which prints what the worker's raw output says). */
export function registerSecret(value: string): void {
  if (typeof value !== 'string' || value.length === 0) return;
  masker.add(value);
  send({ k: 'secret', value } satisfies ControlMessage, true);
}

let nextReq = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

export function request(req: Request): Promise<unknown> {
  const reqId = nextReq++;
  return new Promise((resolve, reject) => {
    pending.set(reqId, { resolve, reject });
    emit({ k: 'req', reqId, ...req }, true);
  });
}

/** Whether a request sent to the host waits for its reply. */
export function awaitingHost(): boolean {
  return pending.size > 0;
}

export function onReply(reqId: number, value: unknown, error: string | undefined): void {
  const p = pending.get(reqId);
  if (!p) return;
  pending.delete(reqId);
  if (error !== undefined) p.reject(new Error(error));
  else p.resolve(value);
}

export { flush };
