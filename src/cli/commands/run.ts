import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FlowSource } from '../../engine/protocol';
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import { parseCommandArgs } from '../args';
import { enqueueRun } from '../enqueueRun';
import { checkIdempotencyKey, idempotencyScope, runOnce } from '../idempotentRun';
import { followRun } from '../followRun';
import { openStore } from '../host';
import { parameterInput, type ParameterInput } from '../parameterArgs';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { knownSecrets } from '../knownSecrets';
import { checkedTags } from '../tagArgs';

export const RUN_HELP = `Usage: flowdeck run <file | built-in id> [options]

Runs one flow and waits for it to finish. Logs stream to stderr as they happen.

Options:
  --flow NAME          which flow, when the file has several
  --param key=value    a parameter (repeatable), read by its declared type: text for a string
                       (version=2.0 is "2.0"), a number, true/false, or JSON for an object or array;
                       for a parameter the flow does not declare, JSON when it parses as JSON, else text
  --params JSON        all parameters as one JSON object (--param entries override it);
                       --params @FILE reads it from a file
  --json               print the finished run as one JSON document on stdout
  --tag TAG            a tag the run carries besides its flow's own (repeatable): \`flowdeck runs --tag\`
                       finds it
  --refresh-cache      tasks with a cacheKey run instead of returning a cached result, and their
                       results replace the cached ones (in subflows too, and when the run is resumed)
  --idempotency-key KEY  run the flow once for KEY: a later \`flowdeck run\` of the same flow with the
                       same key (a retried CI job, a webhook sent twice) starts nothing and reports the
                       run KEY started — following it if it still goes — exiting as that run ended;
                       the same flow is the flow of that name, from any checkout or machine
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

export function sourceFor(target: string, cwd: string): FlowSource {
  const path = resolve(cwd, target);
  if (/^[a-z0-9-]+$/.test(target) && !existsSync(path)) return { kind: 'builtin', id: target };
  return { kind: 'file', path };
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', argv, {
    flow: { type: 'string' },
    param: { type: 'string', multiple: true },
    params: { type: 'string' },
    json: { type: 'boolean' },
    queue: { type: 'string' },
    wait: { type: 'boolean' },
    root: { type: 'string' },
    'refresh-cache': { type: 'boolean' },
    tag: { type: 'string', multiple: true },
    'idempotency-key': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    write(io.stdout, RUN_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck run takes one flow file or built-in id, got ${positionals.length}\n\n${RUN_HELP}`);
  if (positionals[0]!.trim() === '') throw new UsageError(`flowdeck run needs a flow file or a built-in id, got an empty argument\n\n${RUN_HELP}`);

  // The runner masks what runs print; these errors come before there is a runner.
  const masker = new SecretMasker(secretsFromEnv(io.env));
  let input: ParameterInput;
  try {
    input = parameterInput(values, (text) => masker.mask(text), io.cwd);
  } catch (e) {
    // `--param` errors quote what was given whole, so masking the message catches a secret in it.
    write(io.stderr, `flowdeck: ${masker.mask((e as Error).message)}`);
    return EXIT.badInput;
  }

  if ((values.wait || values.root !== undefined) && values.queue === undefined) throw new UsageError(`--wait and --root go with --queue\n\n${RUN_HELP}`);
  const key = values['idempotency-key'] === undefined ? undefined : checkIdempotencyKey(values['idempotency-key']);
  const tags = values.tag === undefined ? {} : { tags: checkedTags(values.tag, '--tag', knownSecrets(io.env)) };
  const store = await openStore(io);
  try {
    const target = positionals[0]!;
    const source = sourceFor(target, io.cwd);
    const refresh = values['refresh-cache'] === true ? { refreshCache: true } : {};
    const launch = (runId?: string): Promise<number> => {
      if (values.queue !== undefined) {
        return enqueueRun(store, io, {
          target,
          queue: values.queue,
          root: resolve(io.cwd, values.root ?? '.'),
          input,
          wait: values.wait === true,
          json: values.json === true,
          ...refresh,
          ...(values.flow !== undefined ? { flowName: values.flow } : {}),
          ...(runId !== undefined ? { runId } : {}),
          ...(key !== undefined ? { idempotencyKey: key } : {}),
          ...tags,
        });
      }
      return followRun(store, io, { json: values.json === true, creates: runId === undefined }, async (runner, signal) => {
        return runner.start({ source, ...(values.flow !== undefined ? { flowName: values.flow } : {}), ...input, ...refresh, ...(key !== undefined ? { idempotencyKey: key } : {}), ...(runId !== undefined ? { runId } : {}), ...tags }, { signal });
      });
    };
    if (key === undefined) return await launch();
    return await runOnce(store, io, { flow: await idempotencyScope(source, values.flow), key, json: values.json === true, follow: values.queue === undefined || values.wait === true, mask: (t) => masker.mask(t) }, launch);
  } finally {
    await store.close();
  }
}
