/**
 * The worker process: loads one flow module and runs it, reporting everything to the host on the event
 * pipe. User code never runs in the host; if it hangs or kills this process, the host still owns the run.
 * The worker leads its own process group: the host's terminal signals do not reach it (the host cancels
 * it properly instead), and killing the group takes every process the flow started with it.
 */
import { ParameterError, checkDeclarations, parametersFromText, validateParameters } from '../parameters';
import { notSecretGivenAgain, secretParameterValues, secretsNotKept, secretsNotKeptText } from '../secretParameters';
import type { FlowInfo, HostToWorker } from '../protocol';
import { logOutsideRun } from './context';
import { flowRunNameOf } from './customRunName';
import { errorMessage, errorReport, failureOf } from './errors';
import { reportExitCalls } from './exitCalls';
import { OWN_DIR, executeFlowRun, runCrashedHooks } from './flowRun';
import { endPipe, flushAll, whenHostLost } from './eventPipe';
import { configure, emit, masker, onReply, registerSecret } from './hostLink';
import { watchHost } from './hostWatch';
import { LoadError, loadFlow, neededModuleHooks, prewarm, type AnyFlow } from './loadFlow';
import { killOwnGroup } from './ownGroup';
import { resumePausedRun } from './pause';
import { captureOutput, flushOutput } from './outputCapture';
import { cancelAll } from './signals';
import { setStoreWaiting } from './storeWait';
import { unlessUnsettled, unsettledText } from './unsettledLoad';
import { rehearse } from './warmUp';

export { useImport } from './moduleImport';

watchHost();
// A write that finds the host gone ends the worker and what the flow started, even mid-loop.
whenHostLost(killOwnGroup);
captureOutput();

// Whatever way the process ends (process.exit in user code included), what is buffered goes first (a
// line the flow printed in part too), and task runs still running are shown as such.
process.on('exit', () => {
  flushOutput();
  flushAll();
});
reportExitCalls(OWN_DIR);

process.on('uncaughtException', (error) => {
  flushOutput();
  logOutsideRun('CRITICAL', `Uncaught exception in the flow's process: ${errorReport(error, OWN_DIR)}`);
  emit({ k: 'fatal', message: `an uncaught exception: ${errorMessage(error)}`, failure: failureOf(error, OWN_DIR) }, true);
  process.exit(70);
});

process.on('unhandledRejection', (reason) => {
  logOutsideRun('ERROR', `Unhandled promise rejection (not awaited anywhere): ${errorReport(reason, OWN_DIR)}`);
});

// Signals sent to the worker's group from outside (a service manager stopping everything) cancel the run.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => cancelAll(`Cancelled: the flow's process received ${signal}`));
}

// Without its host the worker has nobody to report to (its host's watch covers a blocked loop: hostWatch.ts).
process.on('disconnect', () => process.exit(0));

// Forked ahead of its run (a standby): ready what loading a flow takes while nothing else is going on.
const ahead = process.env.FLOWDECK_WORKER_AHEAD;
if (ahead) delete process.env.FLOWDECK_WORKER_AHEAD;
/**
 * A standby in a long-lived host also rehearses a run (warmUp.ts). Its run's load waits for that, and
 * this is set before any message can arrive, so the rehearsal always comes first and nothing of it can
 * mix with the run. The CLI's early worker gets its run at once: it only readies.
 */
const readied: Promise<void> =
  ahead === 'standby' || ahead === 'standby-no-hooks'
    ? new Promise<void>((r) => setImmediate(r))
        .then(() => {
          prewarm(ahead === 'standby');
          return rehearse();
        })
        .catch(() => undefined)
    : Promise.resolve();
/**
 * The CLI's worker readies only while it waits for its load. The CLI usually sends the load before this
 * worker has started (it opens the store while the worker's Node starts): the load then comes first, and
 * readying as well would only compete with it (measured: it ran midway through the load).
 */
let loading = false;
if (ahead === 'hooks' || ahead === 'no-hooks') {
  setImmediate(() => {
    if (!loading) prewarm(ahead === 'hooks');
  });
}

let loaded: { flow: AnyFlow; parameters: Record<string, unknown> } | undefined;

async function handleLoad(message: Extract<HostToWorker, { t: 'load' }>): Promise<void> {
  loading = true;
  await readied;
  configure({ secrets: message.secrets, limits: message.limits, home: message.home });
  const where = message.source.kind === 'file' ? message.source.path : `built-in flow '${message.source.id}'`;
  try {
    // Said before the file's top level runs: from then on its host waits as long as the file takes.
    const loading = loadFlow(message.modulePath, where, message.flowName, message.home, () => emit({ k: 'loading' }, true));
    const { flow, exportName } = await unlessUnsettled(loading, () => new LoadError('module', unsettledText(where)));
    const declarations = checkDeclarations(flow.options.name, flow.options.parameters);
    // Given again as secrets: masked whatever they were given for, as the host masks them.
    const givenAgain = message.secretParameters ?? {};
    for (const value of Object.values(givenAgain)) registerSecret(value);
    const notSecret = notSecretGivenAgain(declarations, givenAgain);
    if (notSecret !== undefined) throw new LoadError('invalid-parameters', `Invalid parameters for flow '${flow.options.name}': ${notSecret}`);
    const given = { ...message.parameters, ...givenAgain };
    // Masked from here on, in this worker and its host: a parameter error quotes what was given.
    for (const value of secretParameterValues(declarations, given, message.parameterText)) registerSecret(value);
    const notKept = secretsNotKept(declarations, given);
    if (notKept.length > 0) throw new LoadError('invalid-parameters', `Invalid parameters for flow '${flow.options.name}': ${secretsNotKeptText(notKept)}; give ${notKept.length > 1 ? 'them' : 'it'} again`, notKept);
    let parameters: Record<string, unknown>;
    try {
      const mask = { mask: (t: string) => masker.mask(t) };
      const fromText = message.parameterText === undefined ? {} : parametersFromText(flow.options.name, declarations, message.parameterText, mask);
      parameters = validateParameters(flow.options.name, declarations, { ...given, ...fromText }, mask);
      // A secret's default, filled in (it is the flow file's, but never shown either).
      for (const value of secretParameterValues(declarations, parameters)) registerSecret(value);
      flow.options.validateParameters?.(parameters);
    } catch (e) {
      if (e instanceof ParameterError) throw new LoadError('invalid-parameters', e.message);
      throw new LoadError('invalid-parameters', `Invalid parameters for flow '${flow.options.name}': ${(e as Error).message.replace(/^Invalid parameters:\s*/i, '')}`);
    }
    const o = flow.options;
    // A run's tags are shown in every listing and never masked: one holding a secret is refused, not kept.
    if (o.tags?.some((t) => typeof t === 'string' && masker.mask(t) !== t)) {
      throw new LoadError('module', `Flow '${masker.mask(o.name)}': its tags hold a secret's value (a token the run masks everywhere else); tags are shown in every run listing and never masked — use a plain name`);
    }
    // Named before the run is created or taken up; a name that cannot be given starts no new run (a
    // resumed run keeps its name, so the host decides).
    let runName: string | undefined;
    let runNameError: string | undefined;
    try {
      if (o.flowRunName !== undefined) runName = masker.mask(flowRunNameOf(o, parameters));
    } catch (e) {
      runNameError = masker.mask((e as Error).message);
    }
    loaded = { flow, parameters };
    const hasCrashedHooks = o.onCrashed !== undefined && (!Array.isArray(o.onCrashed) || o.onCrashed.length > 0);
    const info: FlowInfo = { name: masker.mask(o.name), exportName, hasCrashedHooks };
    if (o.retries !== undefined) info.retries = o.retries;
    if (o.resumeOnCrash) info.resumeOnCrash = true;
    if (o.description !== undefined) info.description = o.description;
    if (o.version !== undefined) info.version = o.version;
    if (o.timeoutSeconds !== undefined) info.timeoutSeconds = o.timeoutSeconds;
    if (o.concurrencyLimit !== undefined) info.concurrencyLimit = o.concurrencyLimit;
    if (o.collisionStrategy !== undefined) info.collisionStrategy = o.collisionStrategy;
    if (o.tags !== undefined && o.tags.length > 0) info.tags = [...o.tags];
    if (declarations !== undefined) info.parameters = masker.maskValue(declarations);
    emit({ k: 'ready', flow: info, parameters: masker.maskValue(parameters), ...(neededModuleHooks() ? { moduleHooks: true as const } : {}), ...(runName !== undefined ? { runName } : {}), ...(runNameError !== undefined ? { runNameError } : {}) }, true);
  } catch (e) {
    const reason = e instanceof LoadError ? e.reason : 'module';
    const notKept = e instanceof LoadError ? e.secretsNotKept : undefined;
    emit({ k: 'rejected', reason, message: (e as Error).message, ...(notKept ? { secretsNotKept: notKept } : {}) }, true);
    exitWorker();
  }
}

/**
 * Ends the worker with its work done. The handler added here runs after every exit handler the flow
 * added, so what those log still reaches the run; then it closes the pipes, which tells the host the
 * process has nothing more to say (it need not wait for the process's teardown).
 */
function exitWorker(): void {
  // A worker profiled (FLOWDECK_WORKER_PROF, or --heap-prof, V8 coverage) writes its profile after the exit
  // handlers: its pipes stay open until the process ends, so that its host does not kill it first.
  const profiled = process.execArgv.some((a) => /^--(cpu-prof|heap-prof|prof)\b/.test(a)) || process.env.NODE_V8_COVERAGE !== undefined;
  // An exit handler may have set process.exitCode: that is the code the process ends with.
  process.on('exit', (code) => {
    // A line an exit handler printed in part.
    flushOutput();
    endPipe(typeof process.exitCode === 'number' ? process.exitCode : code, !profiled);
  });
  process.exit(0);
}

/** Longest a finished worker waits for its host's word (it is sent within seconds, or the host is gone). */
const EXIT_WORD_WAIT_MS = 30_000;
/** Set once the run is done, while the worker waits for its host's word. */
let exitWait: NodeJS.Timeout | undefined;

/**
 * The run is done: the host says when its end is on record (`exit`), and the worker ends then, so that its
 * teardown does not compete with the host's last writes. It never waits past EXIT_WORD_WAIT_MS; a host
 * that goes away ends it at once ('disconnect').
 */
function finish(): void {
  emit({ k: 'finished' }, true);
  exitWait = setTimeout(exitWorker, EXIT_WORD_WAIT_MS);
}

process.on('message', (message: HostToWorker) => {
  switch (message.t) {
    case 'load':
      void handleLoad(message);
      break;
    case 'start':
      if (!loaded) return;
      void executeFlowRun(loaded.flow, { id: message.runId, name: message.runName, resultsDir: message.resultsDir }, loaded.parameters, undefined, message.resume, true).then(finish);
      break;
    case 'crashed-hook':
      if (!loaded) return;
      void runCrashedHooks(loaded.flow, { id: message.runId, name: message.runName }, message.message).then(finish);
      break;
    case 'cancel':
      // Said first, so the host, which reads this worker's pipe till it hears this, reads little more.
      emit({ k: 'cancelHeard' }, true);
      cancelAll(message.reason);
      break;
    case 'resume':
      resumePausedRun(message.runId, message.input);
      break;
    case 'exit':
      if (exitWait === undefined) return;
      clearTimeout(exitWait);
      exitWait = undefined;
      exitWorker();
      break;
    case 'reply':
      onReply(message.reqId, message.value, message.error);
      break;
    case 'lease':
      holdLease(message.ms, message.at);
      break;
    case 'store':
      setStoreWaiting(message.waiting);
      break;
  }
});

let leaseEnd: NodeJS.Timeout | undefined;
/** When the host's lease stops holding, as the newest word of it says (Date.now() time). */
let leaseDeadline = Infinity;

/**
 * Its host's lease holds `ms` more from `at` (when the host said so). Past that, with no word renewing it,
 * another host may take the run over (a frozen or cut-off host cannot fence this process itself): the worker
 * and what the flow started end — never two attempts running at once.
 *
 * The timer may fire late, once a loop kept busy by the flow's synchronous code turns again — and timers go
 * before the IPC channel is read, where the host's words sent meanwhile wait. So it decides only after the
 * channel's waiting messages are read (setImmediate: the check phase, after the poll phase), by the newest
 * word's deadline: a busy worker whose host held its lease goes on; one whose host fell silent ends.
 */
function holdLease(ms: number, at: number = Date.now()): void {
  clearTimeout(leaseEnd);
  leaseDeadline = at + ms;
  if (!(ms > 0)) return killOwnGroup();
  armLeaseTimer();
}

function armLeaseTimer(): void {
  clearTimeout(leaseEnd);
  leaseEnd = setTimeout(() => setImmediate(leaseCheck), Math.max(0, leaseDeadline - Date.now()));
  leaseEnd.unref();
}

function leaseCheck(): void {
  if (Date.now() >= leaseDeadline) killOwnGroup();
  else armLeaseTimer();
}
