import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ParameterError, parseParamAssignment } from '../../engine/parameters';
import type { FlowSource } from '../../engine/protocol';
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import { enqueueRun } from '../enqueueRun';
import { followRun } from '../followRun';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';

export const RUN_HELP = `Usage: flowdeck run <file | built-in id> [options]

Runs one flow and waits for it to finish. Logs stream to stderr as they happen.

Options:
  --flow NAME          which flow, when the file has several
  --param key=value    a parameter (repeatable); the value is JSON when it parses as JSON, else a string
  --params JSON        all parameters as one JSON object (--param entries override it)
  --json               print the finished run as one JSON document on stdout
  --queue NAME         queue the run for \`flowdeck worker\`s instead of running it here (Postgres store):
                       it is created Scheduled and a worker on any machine takes it
  --wait               with --queue: follow the run to its end like a local run (logs, exit code)
  --root DIR           with --queue: the workspace root flow files are named relative to (default: here)
  -h, --help           this help

Exit codes: 0 Completed; 1 Failed, Crashed or Cancelled; 2 bad input (missing file, no such flow,
invalid parameter, compile error, unusable FLOWDECK_HOME); 130 stopped at once by a second Ctrl-C.
Ctrl-C (or SIGTERM) cancels the run: its AbortSignal fires and its code gets a grace period to clean up
(finally blocks, onCancellation hooks); a second Ctrl-C stops it at once, with every process it started.

Examples:
  flowdeck run flows/hello.flow.ts --param name=Ada
  flowdeck run github-repo-stats --param repo=PrefectHQ/prefect --json`;

function parameters(values: { param?: string[]; params?: string }, mask: (text: string) => string): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  if (values.params !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.params);
    } catch {
      // JSON.parse quotes a piece of its input, which may be a piece of a secret: say what is wrong
      // with the masked input instead.
      const reason = jsonError(mask(values.params));
      throw new ParameterError(`--params is not valid JSON${reason === undefined ? '' : `: ${reason}`}`, ['bad --params']);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ParameterError('--params must be a JSON object, like {"repo":"owner/name"}', ['bad --params']);
    out = parsed as Record<string, unknown>;
  }
  for (const assignment of values.param ?? []) {
    const [key, value] = parseParamAssignment(assignment);
    out[key] = value;
  }
  return out;
}

function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function sourceFor(target: string, cwd: string): FlowSource {
  const path = resolve(cwd, target);
  if (/^[a-z0-9-]+$/.test(target) && !existsSync(path)) return { kind: 'builtin', id: target };
  return { kind: 'file', path };
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      flow: { type: 'string' },
      param: { type: 'string', multiple: true },
      params: { type: 'string' },
      json: { type: 'boolean' },
      queue: { type: 'string' },
      wait: { type: 'boolean' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    write(io.stdout, RUN_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck run takes one flow file or built-in id, got ${positionals.length}\n\n${RUN_HELP}`);

  // The runner masks what runs print; these errors come before there is a runner.
  const masker = new SecretMasker(secretsFromEnv(io.env));
  let params: Record<string, unknown>;
  try {
    params = parameters(values, (text) => masker.mask(text));
  } catch (e) {
    // `--param` errors quote what was given whole, so masking the message catches a secret in it.
    write(io.stderr, `flowdeck: ${masker.mask((e as Error).message)}`);
    return EXIT.badInput;
  }

  if ((values.wait || values.root !== undefined) && values.queue === undefined) throw new UsageError(`--wait and --root go with --queue\n\n${RUN_HELP}`);
  const store = await openStore(io);
  try {
    const target = positionals[0]!;
    if (values.queue !== undefined) {
      return await enqueueRun(store, io, { target, queue: values.queue, root: resolve(io.cwd, values.root ?? '.'), parameters: params, wait: values.wait === true, json: values.json === true, ...(values.flow !== undefined ? { flowName: values.flow } : {}) });
    }
    return await followRun(store, io, { json: values.json === true }, (runner, signal) =>
      runner.start({ source: sourceFor(target, io.cwd), ...(values.flow !== undefined ? { flowName: values.flow } : {}), parameters: params }, { signal }),
    );
  } finally {
    await store.close();
  }
}
