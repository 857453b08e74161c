/**
 * The worker process: loads one flow module and runs it, reporting everything to the host over IPC.
 * User code never runs in the host; if it hangs or kills this process, the host still owns the run.
 */
import Module from 'node:module';
import { dirname } from 'node:path';
import { format } from 'node:util';
import * as api from '../api';
import { CompileError, compileFile } from '../compiler';
import { ParameterError, checkDeclarations, validateParameters } from '../parameters';
import type { FlowInfo, HostToWorker, LoadRejection, Request, WorkerEvent, WorkerToHost } from '../protocol';
import type { LogLevel } from '../records';
import { cancelAll, connectHost, executeFlowRun, logOutsideRun, runCrashedHooks } from './runtime';

type AnyFlow = api.Flow<Record<string, unknown>, unknown>;

const FLUSH_MS = 15;
const FLUSH_EVENTS = 2000;

function send(message: WorkerToHost, done?: () => void): void {
  if (!process.connected) return;
  process.send!(message, undefined, undefined, done ? () => done() : undefined);
}

let buffer: WorkerEvent[] = [];
let timer: NodeJS.Timeout | undefined;
let nextReq = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

function flush(done?: () => void): void {
  if (timer) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (buffer.length === 0) {
    done?.();
    return;
  }
  const events = buffer;
  buffer = [];
  send({ t: 'events', events }, done);
}

connectHost(
  {
    emit(event, urgent) {
      buffer.push(event);
      if (urgent || buffer.length >= FLUSH_EVENTS) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    },
    request(request: Request) {
      flush();
      const reqId = nextReq++;
      return new Promise((resolve, reject) => {
        pending.set(reqId, { resolve, reject });
        send({ t: 'request', reqId, ...request });
      });
    },
  },
  process.env.FLOWDECK_HOME ?? '',
);

// console.* inside a flow is part of the run's log.
const consoleLevels: [keyof Console, LogLevel][] = [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['debug', 'DEBUG'],
  ['warn', 'WARNING'],
  ['error', 'ERROR'],
];
for (const [method, level] of consoleLevels) {
  (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => logOutsideRun(level, format(...args));
}

const ownDir = __dirname;

function installModuleHooks(home: string): void {
  const proto = Module.prototype as unknown as { require(id: string): unknown };
  const originalRequire = proto.require;
  proto.require = function (this: unknown, id: string) {
    return id === 'flowdeck' ? api : originalRequire.call(this, id);
  };
  const extensions = (Module as unknown as { _extensions: Record<string, (m: { _compile(code: string, file: string): void }, file: string) => void> })._extensions;
  const jsLoader = extensions['.js']!;
  const compileHook = (m: { _compile(code: string, file: string): void }, file: string): void => m._compile(compileFile(file, home), file);
  for (const ext of ['.ts', '.mts', '.cts', '.tsx', '.mjs']) extensions[ext] = compileHook;
  // Workspace .js may be ESM syntax; packages and Flowdeck's own bundles load as they are.
  extensions['.js'] = (m, file) => (file.includes(`${'/'}node_modules${'/'}`) || file.startsWith(ownDir) ? jsLoader(m, file) : compileHook(m, file));
}

class LoadError extends Error {
  constructor(
    readonly reason: LoadRejection,
    message: string,
  ) {
    super(message);
  }
}

function pickFlow(exports: Record<string, unknown>, where: string, flowName: string | undefined): { flow: AnyFlow; exportName: string } {
  const found: { flow: AnyFlow; exportName: string }[] = [];
  const seen = new Set<unknown>();
  const candidates: [string, unknown][] = [['default', exports.default], ...Object.entries(exports).filter(([k]) => k !== 'default')];
  for (const [exportName, value] of candidates) {
    if (api.isFlow(value) && !seen.has(value)) {
      seen.add(value);
      found.push({ flow: value, exportName });
    }
  }
  if (found.length === 0) throw new LoadError('no-flow', `${where} exports no flow; export one with \`export default flow({ name: '...' }, async () => { ... })\``);
  if (flowName !== undefined) {
    const match = found.find((f) => f.flow.options.name === flowName);
    if (!match) throw new LoadError('no-flow', `${where} has no flow named '${flowName}'; it has: ${found.map((f) => f.flow.options.name).join(', ')}`);
    return match;
  }
  if (found.length === 1) return found[0]!;
  const byDefault = found.find((f) => f.exportName === 'default');
  if (byDefault) return byDefault;
  throw new LoadError('no-flow', `${where} has ${found.length} flows (${found.map((f) => f.flow.options.name).join(', ')}); pick one with --flow NAME`);
}

function loadFlow(modulePath: string, where: string, flowName: string | undefined): { flow: AnyFlow; exportName: string } {
  let exports: Record<string, unknown>;
  try {
    const req = Module.createRequire(`${dirname(modulePath)}/`);
    exports = req(modulePath) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof CompileError) throw new LoadError('compile', e.message);
    const err = e as NodeJS.ErrnoException;
    // Node lists the requiring file in every "Cannot find module" message: only the first line says what is missing.
    const firstLine = err.message.split('\n')[0] ?? '';
    if (err.code === 'MODULE_NOT_FOUND' && firstLine.includes(`'${modulePath}'`)) throw new LoadError('module', `Cannot find flow file ${where}`);
    if (err.code === 'MODULE_NOT_FOUND') {
      throw new LoadError('module', `Loading ${where} failed: ${firstLine}. Install the package in the workspace (npm install) or fix the import path.`);
    }
    const frame = err.stack?.split('\n').find((l) => l.includes(modulePath) || l.includes(where));
    throw new LoadError('module', `Loading ${where} failed: ${err.message}${frame ? ` (${frame.trim()})` : ''}`);
  }
  return pickFlow(exports, where, flowName);
}

let loaded: { flow: AnyFlow; parameters: Record<string, unknown> } | undefined;

function handleLoad(message: Extract<HostToWorker, { t: 'load' }>): void {
  installModuleHooks(message.home);
  const where = message.source.kind === 'file' ? message.source.path : `built-in flow '${message.source.id}'`;
  try {
    const { flow, exportName } = loadFlow(message.modulePath, where, message.flowName);
    const declarations = checkDeclarations(flow.options.name, flow.options.parameters);
    let parameters: Record<string, unknown>;
    try {
      parameters = validateParameters(flow.options.name, declarations, message.parameters);
      flow.options.validateParameters?.(parameters);
    } catch (e) {
      if (e instanceof ParameterError) throw new LoadError('invalid-parameters', e.message);
      throw new LoadError('invalid-parameters', `Invalid parameters for flow '${flow.options.name}': ${(e as Error).message.replace(/^Invalid parameters:\s*/i, '')}`);
    }
    loaded = { flow, parameters };
    const o = flow.options;
    const hasCrashedHooks = o.onCrashed !== undefined && (!Array.isArray(o.onCrashed) || o.onCrashed.length > 0);
    const info: FlowInfo = { name: o.name, description: o.description, version: o.version, timeoutSeconds: o.timeoutSeconds, parameters: declarations, exportName, hasCrashedHooks };
    send({ t: 'ready', flow: info, parameters });
  } catch (e) {
    const reason = e instanceof LoadError ? e.reason : 'module';
    send({ t: 'rejected', reason, message: (e as Error).message }, () => process.exit(0));
  }
}

function finish(): void {
  flush(() => send({ t: 'finished' }, () => process.exit(0)));
}

process.on('message', (message: HostToWorker) => {
  switch (message.t) {
    case 'load':
      handleLoad(message);
      break;
    case 'start':
      if (!loaded) return;
      void executeFlowRun(loaded.flow, { id: message.runId, name: message.runName }, loaded.parameters).then(finish);
      break;
    case 'crashed-hook':
      if (!loaded) return;
      void runCrashedHooks(loaded.flow, { id: message.runId, name: message.runName }, message.message).then(finish);
      break;
    case 'cancel':
      cancelAll(message.reason);
      break;
    case 'reply': {
      const p = pending.get(message.reqId);
      if (!p) return;
      pending.delete(message.reqId);
      if (message.error !== undefined) p.reject(new Error(message.error));
      else p.resolve(message.value);
      break;
    }
  }
});

// Without its host the worker has nobody to report to: stop.
process.on('disconnect', () => process.exit(0));

process.on('uncaughtException', (error) => {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  logOutsideRun('CRITICAL', `Uncaught exception in the flow's process: ${text}`);
  flush(() => send({ t: 'fatal', message: `uncaught exception: ${error instanceof Error ? error.message : String(error)}` }, () => process.exit(70)));
});

process.on('unhandledRejection', (reason) => {
  logOutsideRun('ERROR', `Unhandled promise rejection (not awaited anywhere): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
