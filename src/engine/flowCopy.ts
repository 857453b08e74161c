/**
 * A worker's copy of a queued flow: built-ins by id; a flow file by its path relative to the workspace
 * root, under the worker's own `--flows` folder, with the content hash the run was queued with.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { FlowSource } from './protocol';
import { BadInputError } from './runRequest';

export function contentHash(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The module a worker runs for a queued run: the built-in, or its own copy of the file under `flowsDir`
 * whose content hash must match the one the run was queued with. Throws BadInputError saying what differs.
 */
export async function workerSourceFor(run: { source: string; sourceHash?: string | null }, flowsDir: string | undefined, host: string): Promise<FlowSource> {
  if (run.source.startsWith('builtin:')) return { kind: 'builtin', id: run.source.slice('builtin:'.length) };
  if (!flowsDir) throw new BadInputError('missing-file', `Worker ${host} runs built-in flows only (it was started without --flows), and this run needs the flow file ${run.source}`);
  const root = resolve(flowsDir);
  const file = resolve(root, run.source);
  const rel = relative(root, file);
  if (isAbsolute(run.source) || rel.startsWith('..') || isAbsolute(rel)) throw new BadInputError('missing-file', `The run's flow file ${JSON.stringify(run.source)} is not a path inside a workspace`);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new BadInputError('missing-file', `Worker ${host} has no flow file ${run.source} under ${root}`);
  }
  const hash = contentHash(bytes);
  if (run.sourceHash && hash !== run.sourceHash) {
    throw new BadInputError('missing-file', `Worker ${host} has a different ${run.source}: its content hash is ${hash}, the run was queued with ${run.sourceHash} (deploy the same flow files to every worker)`);
  }
  return { kind: 'file', path: file };
}
