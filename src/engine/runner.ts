/**
 * The host side of a flow run. It starts a worker process for the user's code, owns the run's state and
 * its records in the store, and ends the run itself when the worker cannot: a timeout the code ignores,
 * a cancel, a crash.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ENGINE_SOURCE, flowRunSource } from './logFormat';
import type { FlowInfo, FlowSource, HostToWorker, LoadRejection, Request, WorkerEvent, WorkerToHost } from './protocol';
import type { FlowRunDetail, FlowRunSummary, LogLevel, LogRecord, TaskRunRecord } from './records';
import { RunStore, RunWriter, type RunFileRecord } from './runStore';
import { SecretMasker, secretsFromEnv } from './secrets';
import { formatState, isTerminal, state, type State, type StateName } from './states';

export interface RunRequest {
  source: FlowSource;
  /** Which flow of a file holding several. */
  flowName?: string;
  parameters?: Record<string, unknown>;
  /** Extra environment for the worker (a token from the editor's sign-in); every value is masked. */
  env?: Record<string, string>;
  /** The user code's working directory; the host's own when unset (the CLI's shell folder). */
  cwd?: string;
}

export type BadInputReason = LoadRejection | 'missing-file' | 'unknown-builtin';

/** The request itself is wrong: no run was created. */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  constructor(
    readonly reason: BadInputReason,
    message: string,
  ) {
    super(message);
  }
}

export interface RunnerOptions {
  /** dist/worker.js */
  workerPath: string;
  /** Folder holding the built-in flows' bundles (`<id>.js`). */
  builtinDir: string;
  /** Secrets to mask besides those found in the environment (stored credentials). */
  secrets?: Iterable<string>;
  /** How long a cancelled worker gets to stop by itself before it is killed. */
  cancelGraceMs?: number;
  /** How long past a timeout a worker that has not stopped is given before it is killed. */
  timeoutGraceMs?: number;
  maxConcurrentRuns?: number;
  /** Refreshed credentials a flow hands back (OAuth tokens); never stored with the run. */
  onCredentials?: (service: string, patch: Record<string, unknown>) => void;
  env?: NodeJS.ProcessEnv;
}

export interface RunnerEvents {
  /** A run was created or changed state. */
  run: [FlowRunSummary];
  task: [string, TaskRunRecord];
  log: [LogRecord];
}

export interface ActiveRun {
  readonly id: string;
  readonly name: string;
  readonly flowName: string;
  /** Resolves when the run has reached a final state and its worker has exited. */
  readonly done: Promise<FlowRunDetail>;
}

interface RunState {
  summary: FlowRunSummary;
  writer: RunWriter;
  states: State[];
  result?: unknown;
}

class Execution implements ActiveRun {
  readonly runs = new Map<string, RunState>();
  readonly tasks = new Map<string, TaskRunRecord>();
  /** Entity id → epoch ms by which it must have left its running state. */
  readonly deadlines = new Map<string, { at: number; label: string; seconds: number }>();
  root!: RunState;
  flow?: FlowInfo;
  cancelRequested = false;
  killReason?: { name: StateName; message: string };
  fatal?: string;
  private resolveDone!: (d: FlowRunDetail) => void;
  readonly done: Promise<FlowRunDetail>;

  constructor(
    readonly child: ChildProcess,
    readonly request: RunRequest,
    readonly modulePath: string,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get id(): string {
    return this.root.summary.id;
  }
  get name(): string {
    return this.root.summary.name;
  }
  get flowName(): string {
    return this.root.summary.flowName;
  }

  finish(): void {
    const r = this.root;
    this.resolveDone({ ...r.summary, states: r.states, taskRuns: [...this.tasks.values()].filter((t) => t.flowRunId === r.summary.id), result: r.result, skippedRecords: 0 });
  }
}

const BUILTIN_ID = /^[a-z0-9-]+$/;

export class FlowRunner extends EventEmitter<RunnerEvents> {
  private readonly masker: SecretMasker;
  private readonly executions = new Map<string, Execution>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private watchdog?: NodeJS.Timeout;

  constructor(
    readonly store: RunStore,
    private readonly options: RunnerOptions,
  ) {
    super();
    this.masker = new SecretMasker([...secretsFromEnv(options.env ?? process.env), ...(options.secrets ?? [])]);
  }

  /** Masks a value from now on, in everything this runner stores or emits. */
  addSecret(value: string): void {
    this.masker.add(value);
  }

  active(): ActiveRun[] {
    // Subflow runs map to their root's execution too: list each execution once.
    return [...new Set(this.executions.values())];
  }

  /** The built-in flow ids available to run. */
  builtinIds(): string[] {
    try {
      return readdirSync(this.options.builtinDir)
        .filter((f) => f.endsWith('.js'))
        .map((f) => f.slice(0, -3))
        .sort();
    } catch {
      return [];
    }
  }

  private resolveModule(source: FlowSource): string {
    if (source.kind === 'builtin') {
      const file = join(this.options.builtinDir, `${source.id}.js`);
      if (!BUILTIN_ID.test(source.id) || !existsSync(file)) {
        throw new BadInputError('unknown-builtin', `No built-in flow '${source.id}'. Built-in flows: ${this.builtinIds().join(', ') || '(none found)'}`);
      }
      return file;
    }
    const file = resolve(source.path);
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new BadInputError('missing-file', `Flow file not found: ${file}`);
    }
    if (!isFile) throw new BadInputError('missing-file', `Not a file: ${file}; pass a flow file (*.flow.ts) or a built-in flow id`);
    return file;
  }

  private async slot(): Promise<void> {
    const max = this.options.maxConcurrentRuns ?? Infinity;
    if (this.running < max) {
      this.running++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }

  /**
   * Loads the flow in a fresh worker, validates the parameters there, then creates the run and starts
   * it. Throws BadInputError (and creates no run) when the file, flow or parameters are wrong.
   */
  async start(request: RunRequest): Promise<ActiveRun> {
    const modulePath = this.resolveModule(request.source);
    await this.slot();
    let execution: Execution;
    try {
      execution = await this.launch(request, modulePath);
    } catch (e) {
      this.release();
      throw e;
    }
    void execution.done.finally(() => this.release());
    return execution;
  }

  private launch(request: RunRequest, modulePath: string): Promise<Execution> {
    const extraEnv = request.env ?? {};
    for (const value of Object.values(extraEnv)) this.masker.add(value);
    const child = this.spawnWorker(request);
    const execution = new Execution(child, request, modulePath);
    const send = (m: HostToWorker): void => {
      if (child.connected) child.send(m);
    };
    send(this.loadMessage(request, modulePath));

    return new Promise<Execution>((resolveStart, rejectStart) => {
      let started = false;
      let stderrTail = '';
      const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (started) return;
        started = true;
        rejectStart(new Error(`The flow's worker process stopped while loading (${code !== null ? `exit code ${code}` : `signal ${signal}`})${stderrTail ? `: ${this.masker.mask(stderrTail.trim())}` : ''}`));
      };
      child.on('exit', onEarlyExit);
      child.on('error', (e) => {
        stderrTail += e.message;
        onEarlyExit(null, null);
      });

      this.pipeOutput(child, execution, (text) => (stderrTail = (stderrTail + text).slice(-2000)));

      child.on('message', (message: WorkerToHost) => {
        switch (message.t) {
          case 'ready':
            if (started) return;
            started = true;
            try {
              this.createRootRun(execution, request, message.flow, message.parameters);
            } catch (e) {
              child.kill('SIGKILL');
              rejectStart(e);
              return;
            }
            child.off('exit', onEarlyExit);
            child.on('exit', (code, signal) => this.onExit(execution, code, signal));
            send({ t: 'start', runId: execution.id, runName: execution.name });
            resolveStart(execution);
            break;
          case 'rejected':
            if (started) return;
            started = true;
            rejectStart(new BadInputError(message.reason, this.masker.mask(message.message)));
            break;
          case 'events':
            this.onEvents(execution, message.events);
            break;
          case 'request':
            this.onRequest(execution, message).then(
              (value) => send({ t: 'reply', reqId: message.reqId, value }),
              (e: Error) => send({ t: 'reply', reqId: message.reqId, error: this.masker.mask(e.message) }),
            );
            break;
          case 'fatal':
            execution.fatal = this.masker.mask(message.message);
            break;
          case 'finished':
            break;
        }
      });
    });
  }

  private spawnWorker(request: RunRequest): ChildProcess {
    const profile = process.env.FLOWDECK_WORKER_PROF;
    return fork(this.options.workerPath, [], {
      cwd: request.cwd,
      env: { ...(this.options.env ?? process.env), ...request.env, FLOWDECK_HOME: this.store.home },
      // Source maps make user code's stack traces point at the .ts lines they wrote.
      execArgv: ['--enable-source-maps', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
  }

  private loadMessage(request: RunRequest, modulePath: string): HostToWorker {
    return { t: 'load', source: request.source, modulePath, flowName: request.flowName, parameters: request.parameters ?? {}, home: this.store.home };
  }

  /** What user code prints straight to stdout/stderr becomes log lines of the run. */
  private pipeOutput(child: ChildProcess, execution: Execution, onStderr: (text: string) => void): void {
    const attach = (stream: NodeJS.ReadableStream | null, level: LogLevel): void => {
      if (!stream) return;
      createInterface({ input: stream }).on('line', (line) => {
        if (level !== 'INFO') onStderr(`${line}\n`);
        if (!execution.root) return;
        this.onEvents(execution, [{ k: 'log', runId: execution.id, level, source: flowRunSource(execution.name), msg: line, ts: Date.now() }]);
      });
    };
    attach(child.stdout, 'INFO');
    attach(child.stderr, 'WARNING');
  }

  private newRun(execution: Execution, fields: Omit<FlowRunSummary, 'id' | 'name' | 'state' | 'created' | 'owner'>): RunState {
    const now = Date.now();
    const summary: FlowRunSummary = {
      id: randomUUID(),
      name: this.store.newRunName(),
      ...fields,
      parameters: this.masker.maskValue(fields.parameters),
      state: state('Pending', undefined, now),
      created: now,
      owner: RunStore.owner(),
    };
    const writer = this.store.createRun(summary);
    const run: RunState = { summary, writer, states: [summary.state] };
    execution.runs.set(summary.id, run);
    this.executions.set(summary.id, execution);
    this.emit('run', { ...summary });
    return run;
  }

  private createRootRun(execution: Execution, request: RunRequest, flow: FlowInfo, parameters: Record<string, unknown>): void {
    const source = request.source.kind === 'file' ? resolve(request.source.path) : `builtin:${request.source.id}`;
    execution.root = this.newRun(execution, { flowName: flow.name, source, parameters });
    const r = execution.root.summary;
    execution.flow = flow;
    this.writeLog(execution.root, { level: 'INFO', source: ENGINE_SOURCE, msg: `Created flow run '${r.name}' for flow '${flow.name}'`, ts: r.created });
    if (flow.timeoutSeconds && flow.timeoutSeconds > 0) {
      // The host's own deadline, in case the worker blocks before it can report one.
      execution.deadlines.set(r.id, { at: Date.now() + flow.timeoutSeconds * 1000, label: `Flow run '${r.name}'`, seconds: flow.timeoutSeconds });
      this.armWatchdog();
    }
  }

  private writeLog(run: RunState, line: { level: LogLevel; source: string; msg: string; ts: number; task?: string }): void {
    run.writer.append([{ k: 'log', ...line }]);
    this.emit('log', { ts: line.ts, level: line.level, runId: run.summary.id, taskRunId: line.task, source: line.source, message: line.msg });
  }

  private onEvents(execution: Execution, events: readonly WorkerEvent[]): void {
    const byRun = new Map<RunState, RunFileRecord[]>();
    const out = (run: RunState, record: RunFileRecord): void => {
      let list = byRun.get(run);
      if (!list) byRun.set(run, (list = []));
      list.push(record);
    };
    const logs: LogRecord[] = [];
    const tasksChanged = new Set<TaskRunRecord>();
    const runsChanged = new Set<RunState>();

    for (const ev of events) {
      switch (ev.k) {
        case 'secret':
          this.masker.add(ev.value);
          break;
        case 'credentials':
          try {
            this.options.onCredentials?.(ev.service, ev.patch);
          } catch {
            // Saving refreshed credentials is best effort; the next run refreshes again.
          }
          break;
        case 'log': {
          const run = execution.runs.get(ev.runId);
          if (!run) break;
          const msg = this.masker.mask(ev.msg);
          out(run, { k: 'log', ts: ev.ts, level: ev.level, source: ev.source, msg, task: ev.task });
          logs.push({ ts: ev.ts, level: ev.level, runId: ev.runId, taskRunId: ev.task, source: ev.source, message: msg });
          break;
        }
        case 'task': {
          const run = execution.runs.get(ev.runId);
          if (!run) break;
          const t: TaskRunRecord = { id: ev.id, flowRunId: ev.runId, name: ev.name, taskName: ev.task, state: state('Pending', undefined, ev.ts), attempts: 0, cacheKey: ev.cacheKey };
          execution.tasks.set(ev.id, t);
          out(run, { k: 'task', id: ev.id, name: ev.name, task: ev.task, ts: ev.ts, cacheKey: ev.cacheKey });
          tasksChanged.add(t);
          break;
        }
        case 'ts':
        case 'state': {
          const s = ev.k === 'ts' ? state(ev.n, undefined, ev.ts) : ev.state.message === undefined ? ev.state : { ...ev.state, message: this.masker.mask(ev.state.message) };
          const attempt = ev.k === 'ts' ? ev.a : ev.attempt;
          if (ev.k === 'ts' || ev.kind === 'task') {
            const t = execution.tasks.get(ev.id);
            if (!t) break;
            const run = execution.runs.get(t.flowRunId)!;
            t.state = s;
            if (s.type === 'RUNNING') {
              t.attempts = attempt ?? t.attempts + 1;
              t.startTime ??= s.timestamp;
            }
            if (isTerminal(s.type)) t.endTime = s.timestamp;
            out(run, { k: 'tstate', id: ev.id, state: s, attempt });
            tasksChanged.add(t);
            this.trackDeadline(execution, ev.id, s, ev.k === 'state' ? ev.deadline : undefined, `Task run '${t.name}'`);
          } else {
            const run = execution.runs.get(ev.id);
            if (!run || isTerminal(run.summary.state.type)) break;
            this.applyRunState(run, s);
            out(run, { k: 'state', state: s });
            runsChanged.add(run);
            this.trackDeadline(execution, ev.id, s, ev.deadline, `Flow run '${run.summary.name}'`);
            if (isTerminal(s.type)) {
              const line = { level: (s.type === 'COMPLETED' || s.type === 'CANCELLED' ? 'INFO' : 'ERROR') as LogLevel, source: flowRunSource(run.summary.name), msg: `Finished in state ${formatState(s)}`, ts: s.timestamp };
              out(run, { k: 'log', ...line });
              logs.push({ ts: line.ts, level: line.level, runId: run.summary.id, source: line.source, message: line.msg });
            }
          }
          break;
        }
        case 'result': {
          const value = this.masker.maskValue(ev.value);
          if (ev.kind === 'flow') {
            const run = execution.runs.get(ev.id);
            if (!run) break;
            run.result = value;
            out(run, { k: 'result', value });
          } else {
            const t = execution.tasks.get(ev.id);
            if (!t) break;
            t.result = value;
            out(execution.runs.get(t.flowRunId)!, { k: 'tresult', id: ev.id, value });
          }
          break;
        }
      }
    }
    for (const [run, records] of byRun) run.writer.append(records);
    for (const run of runsChanged) {
      const s = run.summary;
      this.store.setRunState(s.id, s.state, { startTime: s.startTime, endTime: s.endTime });
      this.emit('run', { ...s });
    }
    for (const t of tasksChanged) this.emit('task', t.flowRunId, t);
    for (const l of logs) this.emit('log', l);
  }

  private applyRunState(run: RunState, s: State): void {
    run.summary.state = s;
    run.states.push(s);
    if (s.type === 'RUNNING') run.summary.startTime ??= s.timestamp;
    if (isTerminal(s.type)) run.summary.endTime = s.timestamp;
  }

  private trackDeadline(execution: Execution, id: string, s: State, deadline: number | undefined, label: string): void {
    if (s.type === 'RUNNING' && deadline !== undefined) {
      execution.deadlines.set(id, { at: deadline, label, seconds: Math.round((deadline - s.timestamp) / 100) / 10 });
      this.armWatchdog();
    } else if (s.type !== 'RUNNING') {
      execution.deadlines.delete(id);
    }
  }

  private armWatchdog(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => this.checkDeadlines(), 250);
    this.watchdog.unref();
  }

  private checkDeadlines(): void {
    const grace = this.options.timeoutGraceMs ?? 2000;
    const now = Date.now();
    let any = false;
    for (const execution of new Set(this.executions.values())) {
      for (const d of execution.deadlines.values()) {
        any = true;
        if (now > d.at + grace && !execution.killReason) {
          execution.killReason = {
            name: 'TimedOut',
            message: `${d.label} exceeded timeout of ${d.seconds} second(s) and did not stop within ${grace / 1000} s; its worker process was killed`,
          };
          execution.child.kill('SIGKILL');
        }
      }
    }
    if (!any && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }

  private async onRequest(execution: Execution, request: Request): Promise<unknown> {
    switch (request.op) {
      case 'subflow': {
        const parent = execution.runs.get(request.parentRunId);
        if (!parent) throw new Error(`unknown parent run ${request.parentRunId}`);
        const run = this.newRun(execution, {
          flowName: request.flowName,
          source: parent.summary.source,
          parameters: request.parameters,
          parentRunId: request.parentRunId,
          parentTaskRunId: request.parentTaskRunId,
        });
        const line = { level: 'INFO' as const, source: flowRunSource(parent.summary.name), msg: `Created subflow run '${run.summary.name}' for flow '${request.flowName}'`, ts: Date.now() };
        parent.writer.append([{ k: 'log', ...line }]);
        this.emit('log', { ts: line.ts, level: line.level, runId: parent.summary.id, source: line.source, message: line.msg });
        return { id: run.summary.id, name: run.summary.name };
      }
      case 'cache-get':
        return this.store.cacheGet(request.key);
      case 'cache-put':
        this.store.cachePut(request.key, this.masker.maskValue(request.value), request.expiresAt);
        return true;
      case 'kv-get':
        return this.store.kvGet(request.namespace, request.key);
      case 'kv-set':
        this.store.kvSet(request.namespace, request.key, request.value);
        return true;
    }
  }

  private onExit(execution: Execution, code: number | null, signal: NodeJS.Signals | null): void {
    const now = Date.now();
    let final: State;
    if (execution.killReason) final = state(execution.killReason.name, execution.killReason.message, now);
    else if (execution.cancelRequested) final = state('Cancelled', 'Cancelled by request; the worker process was stopped', now);
    else {
      const how = code !== null ? `exit code ${code}` : `signal ${signal}`;
      final = state('Crashed', `Worker process exited unexpectedly (${how})${execution.fatal ? ` after an ${execution.fatal}` : ''}`, now);
    }
    // Runs (the root and any subflows) the worker left unfinished end now.
    const unfinished = [...execution.runs.values()].filter((r) => !isTerminal(r.summary.state.type));
    if (unfinished.length > 0) {
      const events: WorkerEvent[] = [];
      for (const task of execution.tasks.values()) {
        if (!isTerminal(task.state.type) && unfinished.some((r) => r.summary.id === task.flowRunId)) {
          events.push({ k: 'state', id: task.id, kind: 'task', state: { ...final, name: final.name === 'TimedOut' ? 'Failed' : final.name, type: final.type } });
        }
      }
      for (const r of unfinished.reverse()) events.push({ k: 'state', id: r.summary.id, kind: 'flow', state: final });
      this.onEvents(execution, events);
    }
    for (const r of execution.runs.values()) {
      r.writer.close();
      this.executions.delete(r.summary.id);
    }
    if (final.type === 'CRASHED' && execution.flow?.hasCrashedHooks && unfinished.includes(execution.root)) {
      void this.runCrashedHooks(execution, final).finally(() => execution.finish());
    } else {
      execution.finish();
    }
  }

  /**
   * A flow's onCrashed hooks run in a fresh worker (the one that ran the flow is gone); what they log
   * goes to the crashed run. A hook that does not finish in time is abandoned.
   */
  private runCrashedHooks(execution: Execution, crashed: State): Promise<void> {
    const root = execution.root.summary;
    const child = this.spawnWorker(execution.request);
    const hooks = new Execution(child, execution.request, execution.modulePath);
    hooks.root = { summary: root, writer: new RunWriter(this.store.runFile(root.id)), states: [] };
    hooks.runs.set(root.id, hooks.root);
    this.pipeOutput(child, hooks, () => undefined);
    return new Promise<void>((resolveHooks) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), this.options.cancelGraceMs ?? 10_000);
      child.on('message', (message: WorkerToHost) => {
        if (message.t === 'ready') child.send({ t: 'crashed-hook', runId: root.id, runName: root.name, message: crashed.message ?? '' } satisfies HostToWorker);
        else if (message.t === 'events') this.onEvents(hooks, message.events);
      });
      child.on('exit', () => {
        clearTimeout(timer);
        hooks.root.writer.close();
        resolveHooks();
      });
      child.send(this.loadMessage(execution.request, execution.modulePath));
    });
  }

  /** Cancels a run: CANCELLING, the flow's AbortSignal fires, then the worker is killed after a grace period. */
  cancel(runId: string, reason = 'Cancelled by user'): boolean {
    const execution = this.executions.get(runId);
    if (!execution || execution.cancelRequested || isTerminal(execution.root.summary.state.type)) return false;
    execution.cancelRequested = true;
    const root = execution.root;
    const s = state('Cancelling', reason);
    this.onEvents(execution, [{ k: 'state', id: root.summary.id, kind: 'flow', state: s }]);
    if (execution.child.connected) execution.child.send({ t: 'cancel', reason } satisfies HostToWorker);
    const timer = setTimeout(() => execution.child.kill('SIGKILL'), this.options.cancelGraceMs ?? 3000);
    timer.unref();
    void execution.done.finally(() => clearTimeout(timer));
    return true;
  }

  /** Cancels everything (the host is shutting down). */
  async dispose(): Promise<void> {
    const all = [...new Set(this.executions.values())];
    for (const e of all) this.cancel(e.id, 'Cancelled: Flowdeck is shutting down');
    await Promise.all(all.map((e) => e.done));
  }
}
