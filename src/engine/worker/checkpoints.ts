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
import { deserialize, parseSerialized, serialize } from '../serializer';

/** A completed call this worker can hand back: from the journal, or the value itself (same process). */
export type Reusable = Checkpoint | { argsHash: string; attempt: number; taskRunId: string; live: unknown };

/** The `n`th call of `name` with these arguments. Arguments that cannot be serialized get no hash: never reused. */
export function callIdentity(name: string, n: number, args: readonly unknown[]): CallIdentity {
  const key = `${name}#${n}`;
  try {
    const text = serialize(args);
    // Short arguments stand for themselves (cheaper than a hash, and as exact); longer ones are hashed.
    return { key, argsHash: text.length <= 40 ? `=${text}` : createHash('sha1').update(text).digest('base64url') };
  } catch {
    return { key };
  }
}

/** A checkpoint for `call`, if an earlier attempt completed the same call with the same arguments. */
export function reusableFor(checkpoints: ReadonlyMap<string, Reusable>, call: CallIdentity): Reusable | undefined {
  const cp = checkpoints.get(call.key);
  return cp && call.argsHash !== undefined && cp.argsHash === call.argsHash ? cp : undefined;
}

/** The value a checkpoint stands for. */
export function restore(cp: Reusable, resultsDir: string): unknown {
  if ('live' in cp) return cp.live;
  if (cp.ref) return parseSerialized(readFileSync(join(resultsDir, cp.ref.file), 'utf8'));
  return cp.value === undefined ? undefined : deserialize(cp.value);
}

export function checkpointMap(checkpoints: Record<string, Checkpoint> | undefined): Map<string, Reusable> {
  return new Map(Object.entries(checkpoints ?? {}));
}
