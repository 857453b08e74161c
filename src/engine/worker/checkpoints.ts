/**
 * Checkpoints in the worker: which call a task run (or subflow run) is, and the completed calls of
 * earlier attempts a resumed run returns instead of running them again — read from the run's journal by
 * the host (resume), or kept in memory from the attempt before (a flow's own retries).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from '../protocol';
import type { CallIdentity } from '../records';
import { deserialize, devalueText, identityText, parseSerialized, SerializeError } from '../serializer';
import { errorMessage } from './errors';
import type { FlowRunScope } from './context';
import { masker } from './hostLink';

/**
 * A completed call this worker can hand back: from the journal, or the value itself (same process; a
 * subflow call's names its subflow run, `name`).
 */
export type Reusable = Checkpoint | { argsHash: string; attempt: number; taskRunId: string; live: unknown; name?: string };

/**
 * The `n`th call of `name` with these arguments. Arguments that cannot be serialized get no hash: never
 * reused. `legacy`: always from devalue's text, as versions before identityText hashed every call (a
 * subflow's, which the host matches against earlier attempts without the arguments at hand).
 */
export function callIdentity(name: string, n: number, args: readonly unknown[], legacy = false): CallIdentity {
  const key = `${name}#${n}`;
  try {
    return { key, argsHash: argsHash(args, legacy) };
  } catch {
    return { key };
  }
}

function argsHash(args: readonly unknown[], legacy: boolean): string {
  const { json, text } = legacy ? { json: false, text: devalueText(args) } : identityText(args);
  const sha1 = (t: string): string => createHash('sha1').update(t).digest('base64url');
  // Long plain arguments are hashed from their JSON, marked so (base64url has no ':'). Short arguments
  // stand for themselves (cheaper than a hash, and as exact) — unless they hold a secret the run knows
  // (the store must not): those, and longer ones, are hashed.
  if (json) return `j:${sha1(text)}`;
  return text.length <= 40 && (masker.size === 0 || masker.mask(text) === text) ? `=${text}` : sha1(text);
}

/**
 * A checkpoint for `call`, if an earlier attempt completed the same call with the same arguments. A
 * checkpoint hashed from devalue's text by an earlier version, for a call now hashed from its JSON, is
 * checked against the devalue hash of `args`: a run begun before an upgrade reuses what it did.
 */
export function reusableFor(checkpoints: ReadonlyMap<string, Reusable>, call: CallIdentity, args: readonly unknown[]): Reusable | undefined {
  const cp = checkpoints.get(call.key);
  if (cp === undefined || call.argsHash === undefined) return undefined;
  if (cp.argsHash === call.argsHash) return cp;
  if (!call.argsHash.startsWith('j:') || cp.argsHash.startsWith('j:') || cp.argsHash.startsWith('=')) return undefined;
  try {
    return argsHash(args, true) === cp.argsHash ? cp : undefined;
  } catch {
    return undefined;
  }
}

/** A checkpoint handed to a call of attempt `takenIn`: no other call of that attempt is given it. */
type Taken = { takenIn?: number };

/**
 * The checkpoint `call` reuses in this attempt, taken so that no other call gets it: the one of its own
 * identity, or else one of the same task with the same arguments that no call has taken — calls made as
 * earlier awaits settle (`Promise.all(repos.map(async (r) => charge(await fetch(r))))`) come in another order
 * when those awaits are reused at once, and their positions with it.
 */
export function takeReusable(scope: Pick<FlowRunScope, 'checkpoints' | 'attempt' | 'checkpointsByArgs'>, call: CallIdentity, args: readonly unknown[]): Reusable | undefined {
  const own = reusableFor(scope.checkpoints, call, args);
  let cp = own !== undefined && (own as Taken).takenIn !== scope.attempt ? own : undefined;
  if (cp === undefined && call.argsHash !== undefined) {
    const byArgs = (scope.checkpointsByArgs ??= indexByArgs(scope.checkpoints));
    cp = byArgs.get(argsKey(call.key, call.argsHash))?.find((c) => (c as Taken).takenIn !== scope.attempt);
  }
  if (cp !== undefined) (cp as Taken).takenIn = scope.attempt;
  return cp;
}

function argsKey(callKey: string, argsHash: string): string {
  return `${callKey.slice(0, callKey.lastIndexOf('#'))}\n${argsHash}`;
}

function indexByArgs(checkpoints: ReadonlyMap<string, Reusable>): Map<string, Reusable[]> {
  const index = new Map<string, Reusable[]>();
  for (const [key, cp] of checkpoints) {
    const k = argsKey(key, cp.argsHash);
    const list = index.get(k);
    if (list === undefined) index.set(k, [cp]);
    else list.push(cp);
  }
  return index;
}

/**
 * Why a call got no argsHash, for the warning of one that runs again on resume: "a function at args[0]".
 * Asked only then (it serializes the arguments again).
 */
export function unhashableWhy(args: readonly unknown[]): string {
  try {
    devalueText(args);
  } catch (e) {
    if (e instanceof SerializeError) return e.message.replace(/^Cannot keep /, '').replace(/ at \[/, ' at args[');
    return errorMessage(e);
  }
  return 'an argument that cannot be kept';
}

/** The value a checkpoint stands for. */
export function restore(cp: Reusable, resultsDir: string): unknown {
  if ('live' in cp) return cp.live;
  if (cp.ref) return parseSerialized(readFileSync(join(resultsDir, cp.ref.file), 'utf8'));
  return cp.value === undefined ? undefined : deserialize(cp.value);
}

/**
 * Why a checkpoint's value cannot be read back, for the line saying its call runs again: its file gone or
 * damaged — the file not named, as it lies in the store's own folder and there is nothing to do about it
 * (the call runs again and keeps its result anew) — or, when the system refuses to read it (a folder in
 * its place, its permissions, a disk error), the file, which then only the user can mend.
 */
export function unreadableWhy(e: unknown, cp: Reusable, resultsDir: string): string {
  const file = 'ref' in cp && cp.ref ? join(resultsDir, cp.ref.file) : undefined;
  const err = e as NodeJS.ErrnoException;
  const kept = file === undefined ? 'its record' : 'its file';
  if (err.code === 'ENOENT') return `${kept} is gone`;
  if (typeof err.code !== 'string' || err.syscall === undefined) return `${kept} is damaged: ${e instanceof Error ? e.message : errorMessage(e)}`;
  // The system's own words without its code and the path it ends with: "EACCES: permission denied, open '…'".
  const said = err.message.replace(`${err.code}: `, '').replace(/, \w+(?: '.*')?$/, '');
  return `${kept}${file === undefined ? '' : ` ${file}`} cannot be read: ${said} (${err.code})`;
}

export function checkpointMap(checkpoints: Record<string, Checkpoint> | undefined): Map<string, Reusable> {
  return new Map(Object.entries(checkpoints ?? {}));
}
