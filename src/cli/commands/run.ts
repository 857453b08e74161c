import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatLogLine } from '../../engine/logFormat';
import { ParameterError, parseParamAssignment } from '../../engine/parameters';
import type { FlowSource } from '../../engine/protocol';
import { BadInputError } from '../../engine/runner';
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
invalid parameter, compile error). Ctrl-C cancels the run; a second Ctrl-C stops at once.

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

  const store = openStore(io);
  const runner = createRunner(store, io);
  const runIds = new Set<string>();
  runner.on('run', (r) => {
    if (runIds.size === 0 || (r.parentRunId && runIds.has(r.parentRunId))) runIds.add(r.id);
  });
  runner.on('log', (l) => {
    if (runIds.has(l.runId)) io.stderr.write(`${formatLogLine(l)}\n`);
  });

  let active;
  try {
    active = await runner.start({ source: sourceFor(positionals[0]!, io.cwd), flowName: values.flow, parameters: params });
  } catch (e) {
    if (e instanceof BadInputError) {
      write(io.stderr, `flowdeck: ${e.message}`);
      return EXIT.badInput;
    }
    throw e;
  }

  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      write(io.stderr, `Cancelling flow run '${active.name}' (Ctrl-C again to stop at once)…`);
      runner.cancel(active.id, 'Cancelled by Ctrl-C');
    } else {
      process.exit(130);
    }
  };
  // A CI job's timeout or `kill` sends SIGTERM: end the run Cancelled rather than leave it to be found Crashed.
  const onSigterm = (): void => {
    runner.cancel(active.id, 'Cancelled: the flowdeck process was asked to stop (SIGTERM)');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    const detail = await active.done;
    if (values.json) write(io.stdout, JSON.stringify(runJson(detail), null, 2));
    return detail.state.type === 'COMPLETED' ? EXIT.ok : EXIT.runFailed;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
