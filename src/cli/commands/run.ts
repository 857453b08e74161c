import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatLogLine } from '../../engine/logFormat';
import { ParameterError, parseParamAssignment } from '../../engine/parameters';
import type { FlowSource } from '../../engine/protocol';
import type { FlowRunDetail } from '../../engine/records';
import { BadInputError, type ActiveRun } from '../../engine/runner';
import type { RunStore } from '../../engine/runStore';
import { createRunner, openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { runJson } from '../runJson';

export const RUN_HELP = `Usage: flowdeck run <file | built-in id> [options]

Runs one flow and waits for it to finish. Logs stream to stderr as they happen.

Options:
  --flow NAME          which flow, when the file has several
  --param key=value    a parameter (repeatable); the value is JSON when it parses as JSON, else a string
  --params JSON        all parameters as one JSON object (--param entries override it)
  --json               print the finished run as one JSON document on stdout
  -h, --help           this help

Exit codes: 0 Completed; 1 Failed, Crashed or Cancelled; 2 bad input (missing file, no such flow,
invalid parameter, compile error, unusable FLOWDECK_HOME); 130 stopped at once by a second Ctrl-C.
Ctrl-C (or SIGTERM) cancels the run: its AbortSignal fires and its code gets a grace period to clean up
(finally blocks, onCancellation hooks); a second Ctrl-C stops it at once, with every process it started.

Examples:
  flowdeck run flows/hello.flow.ts --param name=Ada
  flowdeck run github-repo-stats --param repo=PrefectHQ/prefect --json`;

function parameters(values: { param?: string[]; params?: string }): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  if (values.params !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.params);
    } catch (e) {
      throw new ParameterError(`--params is not valid JSON: ${(e as Error).message}`, ['bad --params']);
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    write(io.stdout, RUN_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck run takes one flow file or built-in id, got ${positionals.length}\n\n${RUN_HELP}`);

  let params: Record<string, unknown>;
  try {
    params = parameters(values);
  } catch (e) {
    write(io.stderr, `flowdeck: ${(e as Error).message}`);
    return EXIT.badInput;
  }

  const store = await openStore(io);
  try {
    return await runAndWait(store, positionals[0]!, values, params, io);
  } finally {
    await store.close();
  }
}

async function runAndWait(store: RunStore, target: string, values: { flow?: string; json?: boolean }, params: Record<string, unknown>, io: CliIo): Promise<number> {
  const runner = createRunner(store, io);
  const runIds = new Set<string>();
  runner.on('run', (r) => {
    if (runIds.size === 0 || (r.parentRunId && runIds.has(r.parentRunId))) runIds.add(r.id);
  });
  runner.on('log', (l) => {
    if (runIds.has(l.runId)) io.stderr.write(`${formatLogLine(l)}\n`);
  });
  runner.on('storeError', (_runId, e) => write(io.stderr, `flowdeck: ${e.message}`));

  // The worker runs in a process group of its own: a terminal's Ctrl-C reaches only this process, which
  // cancels the run properly (grace for cleanup), or at the second one stops it at once.
  let active: ActiveRun | undefined;
  const loading = new AbortController();
  let interrupts = 0;
  let stoppedAtOnce = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (!active) {
      loading.abort(new Error(`Stopped by ${signal} while the flow was loading; no run was created`));
      return;
    }
    if (interrupts === 1) {
      if (signal === 'SIGINT') write(io.stderr, `Cancelling flow run '${active.name}' (Ctrl-C again to stop at once)…`);
      runner.cancel(active.id, signal === 'SIGINT' ? 'Cancelled by Ctrl-C' : `Cancelled: the flowdeck process was asked to stop (${signal})`);
    } else {
      stoppedAtOnce = true;
      runner.kill(active.id, signal === 'SIGINT' ? 'Stopped at once by a second Ctrl-C' : `Stopped at once by a second ${signal}`);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  try {
    try {
      active = await runner.start({ source: sourceFor(target, io.cwd), ...(values.flow !== undefined ? { flowName: values.flow } : {}), parameters: params }, { signal: loading.signal });
    } catch (e) {
      if (e instanceof BadInputError) {
        write(io.stderr, `flowdeck: ${e.message}`);
        return EXIT.badInput;
      }
      if (loading.signal.aborted) {
        write(io.stderr, `flowdeck: ${(e as Error).message}`);
        return EXIT.interrupted;
      }
      throw e;
    }
    const detail = await active.done;
    if (values.json) await printJson(detail, store, io);
    if (stoppedAtOnce) return EXIT.interrupted;
    return detail.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
}

async function printJson(detail: FlowRunDetail, store: RunStore, io: CliIo): Promise<void> {
  const json = await runJson(detail, store, { loadResultFiles: true });
  let text: string;
  try {
    text = JSON.stringify(json, null, 2);
  } catch (e) {
    // A result too large for one string: everything else is still printed.
    text = JSON.stringify({ ...json, result: null, resultNote: `The result is too large to print (${(e as Error).message}); it is kept in the store` }, null, 2);
  }
  write(io.stdout, text);
}
