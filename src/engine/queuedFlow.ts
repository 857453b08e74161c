/**
 * How a queued run names its code, so a worker on another machine finds the same flow: a built-in by id
 * (`builtin:<id>`), or a flow file by its path relative to the workspace root plus the file's content hash.
 * A worker looks the path up under its own `--flows` folder and refuses a copy whose hash differs (flowCopy.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { BUILTIN_FLOWS } from '../flows/builtins';
import type { FileFlows } from './flowDiscovery';
import type { ParameterDeclarations } from './parameters';
import type { FlowSource } from './protocol';
import { contentHash } from './flowCopy';
import { BadInputError } from './runRequest';

export interface QueuedFlow {
  source: string;
  flowName: string;
  sourceHash?: string;
  /** The flow's parameter declarations, where they can be read without running it (`--param` texts are read by them). */
  parameters?: ParameterDeclarations;
  /** The flow's own tags, where they can be read without running it. */
  tags?: string[];
}

/**
 * What to queue for `source`, a built-in or a file inside `root`. `flowName` picks one of a file's flows;
 * without it the file's only flow is found with `discover` (flowDiscovery.ts; the CLI passes it and gets
 * the flow's declarations too, the editor knows the name already and keeps the parser off its thread).
 */
export async function queuedFlowFor(source: FlowSource, root: string, flowName?: string, discover?: (source: string, file: string) => FileFlows): Promise<QueuedFlow> {
  if (source.kind === 'builtin') {
    const builtin = BUILTIN_FLOWS.find((b) => b.id === source.id);
    if (!builtin) throw new BadInputError('unknown-builtin', `No built-in flow '${source.id}'. Built-in flows: ${BUILTIN_FLOWS.map((b) => b.id).join(', ')}`);
    return { source: `builtin:${builtin.id}`, flowName: flowName ?? builtin.name, parameters: builtin.parameters };
  }
  const file = resolve(source.path);
  const rel = relative(resolve(root), file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new BadInputError('missing-file', `${file} is not inside the workspace root ${resolve(root)}: workers find flow files by their path below it (run from the workspace root, or pass --root)`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new BadInputError('missing-file', `Flow file not found: ${file}`);
  }
  let name = flowName;
  let declared: ParameterDeclarations | undefined;
  let tags: string[] | undefined;
  if (discover) {
    const found = discover(bytes.toString('utf8'), file);
    // A named flow does not need the parser: what it cannot read, the worker reads when it loads the flow.
    if (found.error && name === undefined) throw new BadInputError('compile', `${file}: ${found.error.message}`);
    if (name === undefined && found.flows.length !== 1) {
      throw new BadInputError('no-flow', found.flows.length === 0 ? `No flow found in ${file} that can be named without running it; pass --flow NAME` : `${file} has several flows (${found.flows.map((f) => f.name).join(', ')}); pass --flow NAME`);
    }
    const flow = name === undefined ? found.flows[0]! : found.flows.find((f) => f.name === name);
    name = flow?.name ?? name;
    declared = flow?.parameters;
    tags = flow?.tags;
  }
  if (name === undefined) throw new BadInputError('no-flow', `Which flow of ${file}? Pass its name`);
  return { source: rel.split(sep).join('/'), flowName: name, sourceHash: contentHash(bytes), ...(declared ? { parameters: declared } : {}), ...(tags ? { tags } : {}) };
}

/**
 * Where workers find the flow of a run sent to a queue to be resumed (SharedStore.resumeOnQueue): a built-in
 * by id; a file by its path below the workspace root `root` and the hash of the file there *now* — the code
 * it resumes with, as a resume in this process runs the file as it is now. A run queued before (named so
 * already) whose file is not under `root` keeps the file and hash it was queued with (undefined). Throws
 * BadInputError for a file outside `root` or not there.
 */
export async function queuedSourceOfRun(run: { source: string; flowName: string }, root: string): Promise<{ path: string; hash?: string } | undefined> {
  if (run.source.startsWith('builtin:')) return { path: run.source };
  const path = isAbsolute(run.source) ? run.source : resolve(root, run.source);
  if (!isAbsolute(run.source) && !existsSync(path)) return undefined;
  const flow = await queuedFlowFor({ kind: 'file', path }, root, run.flowName);
  return { path: flow.source, ...(flow.sourceHash ? { hash: flow.sourceHash } : {}) };
}
