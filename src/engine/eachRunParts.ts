/**
 * Many runs' parts (runTaskStream.ts), in order, without their artifacts' data: read together where the
 * store can (RunStore.readManyRunParts: a few queries for many runs on Postgres, each journal opened once
 * in the embedded store), else one run at a time.
 */
import type { ArtifactInfo } from './artifactInfo';
import type { RunStore } from './runStore';
import type { RunParts, RunPartsOptions } from './runTaskStream';

/** Each run of `ids` as readRunParts gives it (undefined for one no longer there), read as it is come to. */
export async function* eachRunParts(store: RunStore, ids: readonly string[], options: RunPartsOptions = {}): AsyncGenerator<RunParts<ArtifactInfo> | undefined> {
  if (store.readManyRunParts) {
    yield* store.readManyRunParts(ids, { ...options, artifactData: false });
    return;
  }
  for (const id of ids) yield await store.readRunParts(id, { ...options, artifactData: false });
}
