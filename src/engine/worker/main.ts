/**
 * The worker process: loads one flow module and runs it, reporting everything to the host over IPC.
 * User code never runs in the host; if it hangs or kills this process, the host still owns the run.
 */
import { format } from 'node:util';
import { ParameterError, checkDeclarations, validateParameters } from '../parameters';
import type { FlowInfo, HostToWorker, Request, WorkerEvent, WorkerToHost } from '../protocol';
import type { LogLevel } from '../records';
import { LoadError, loadFlow, type AnyFlow } from './loadFlow';
import { cancelAll, connectHost, executeFlowRun, logOutsideRun, runCrashedHooks } from './runtime';


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

let loaded: { flow: AnyFlow; parameters: Record<string, unknown> } | undefined;

async function handleLoad(message: Extract<HostToWorker, { t: 'load' }>): Promise<void> {
  const where = message.source.kind === 'file' ? message.source.path : `built-in flow '${message.source.id}'`;
  try {
    const { flow, exportName } = await loadFlow(message.modulePath, where, message.flowName, message.home);
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
      void handleLoad(message);
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
