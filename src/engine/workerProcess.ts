/**
 * A worker process as the host sees it: started in a process group (and session) of its own, so a
 * terminal's Ctrl-C reaches only the host, which cancels properly; its event pipe read line by line; its
 * raw stdout/stderr (native code, programs it starts) read line by line; and killed as a whole group, so
 * nothing the flow started outlives it.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { killGroupOf } from './childGroup';
import { readEvents, type EventSink } from './eventReader';
import { EVENT_FD, type HostToWorker } from './protocol';
import { refHandles } from './standbyWorker';
import { forkWorker, type WorkerSpawnOptions } from './workerFork';

export type { WorkerSpawnOptions } from './workerFork';

/** After the worker exits, how long to wait for the rest of its output before settling. */
const DRAIN_MS = 2000;
/** The worker's last line (eventPipe.ts `endPipe`), as it writes it. */
const EXITING = '{"k":"exiting","code":';
/** The worker read its cancel (protocol.ts `cancelHeard`), as it writes it. */
const CANCEL_HEARD = '{"k":"cancelHeard"';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  /** Settles once the process has exited and its pipes are read to the end (or DRAIN_MS passed). */
  readonly exited: Promise<WorkerExit>;
  /** Why the process could not be started at all (it never ran), if so. */
  spawnError?: NodeJS.ErrnoException;
  private exitInfo?: WorkerExit;
  private exitTimer?: NodeJS.Timeout;
  private eventPipe: Readable | null;
  /** The event pipe is not read till this settles (holdEvents). */
  private held?: Promise<void>;
  /** The pipe is read freely from now on: the worker has exited. */
  private unheld = false;
  /** A cancel was sent that the worker has not said it read: the pipe is read freely till it does. */
  private cancelUnheard = false;

  /**
   * `first` is sent to the worker before anything else is set up here (its load: the longest step of a
   * short run). `events` gets the event pipe's lines (and is told when a read's lines have all come, so the
   * host can hand a read's records to the store together); `onOutput` the raw stdout/stderr lines.
   * `standby`: a worker forked ahead of time with these options (StandbyWorker), used instead of forking one.
   */
  constructor(
    options: WorkerSpawnOptions,
    first: HostToWorker,
    events: EventSink,
    onOutput: (stream: 'stdout' | 'stderr', line: string) => void,
    standby?: ChildProcess,
  ) {
    this.child = standby ?? forkWorker(options);
    // Heard before anything else: a fork the system refused (too many open files, EMFILE) has no pipes and
    // says so on the next tick, and an 'error' nobody hears ends this process.
    this.child.on('error', (e: NodeJS.ErrnoException) => {
      if (this.child.pid === undefined) this.spawnError ??= e;
    });
    this.send(first);
    if (standby) refHandles(standby);
    const ended: Promise<void>[] = [];
    let exiting: number | undefined;
    const eventPipe = (this.eventPipe = (this.child.stdio?.[EVENT_FD] ?? null) as Readable | null);
    if (eventPipe) {
      ended.push(
        readEvents(eventPipe, {
          raw: (chunk, start, end) => events.raw(chunk, start, end),
          line: (line) => {
            if (line.startsWith(EXITING)) exiting = Number.parseInt(line.slice(EXITING.length), 10);
            else if (line.startsWith(CANCEL_HEARD)) this.cancelUnheard = false;
            events.line(line);
          },
          read: () => events.read(),
        }),
      );
    }
    const output = (stream: 'stdout' | 'stderr'): EventSink => ({ raw: () => false, line: (line) => onOutput(stream, line), read: () => undefined });
    if (this.child.stdout) ended.push(readEvents(this.child.stdout, output('stdout')));
    if (this.child.stderr) ended.push(readEvents(this.child.stderr, output('stderr')));
    this.exited = new Promise<WorkerExit>((resolve) => {
      const settle = (info: WorkerExit): void => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        // What it wrote and nobody read yet is no more than the pipe holds: read to the end.
        this.readFreely();
        clearTimeout(this.exitTimer);
        // The flow may have started processes of its own: they go with it.
        this.killGroup();
        const drained = Promise.all(ended).then(() => undefined);
        const timer = new Promise<void>((r) => setTimeout(r, DRAIN_MS).unref());
        void Promise.race([drained, timer]).then(() => resolve(info));
      };
      // The worker ran its exit handlers and closed its pipes: all it had to say has been read. What is left
      // is Node's teardown (~10–30 ms), which nobody needs to wait for: it is killed (with whatever the flow
      // started) and ends at once, still waited for as this process's child (its CPU time counted with ours),
      // with the code it was ending with.
      let endedWith: number | undefined;
      void Promise.all(ended).then(() => {
        if (exiting === undefined || !Number.isSafeInteger(exiting)) return;
        endedWith = exiting;
        this.killGroup();
      });
      this.child.on('exit', (code, signal) => settle(endedWith !== undefined ? { code: endedWith, signal: null } : { code, signal }));
      this.child.on('error', () => settle({ code: null, signal: null }));
    });
  }

  /**
   * Stops reading the event pipe until `until` settles (the store is behind: RunHandle.overBacklog). The
   * worker's writes then wait on the full pipe (eventPipe.ts), the flow with them; its lease timer judges
   * only after reading the host's renewals sent meanwhile (worker/main.ts). Nothing is lost: the lines
   * wait in the pipe and the worker. A hold already on is not stacked; none is once the worker has exited,
   * nor while a cancel sent is not yet heard (send).
   */
  holdEvents(until: Promise<void>): void {
    if (this.held || this.unheld || this.cancelUnheard || !this.eventPipe) return;
    const held = (this.held = until.then(
      () => undefined,
      () => undefined,
    ));
    this.eventPipe.pause();
    void held.then(() => {
      if (this.held !== held) return;
      this.held = undefined;
      this.eventPipe?.resume();
    });
  }

  /** Whether the event pipe is being held (holdEvents). */
  get holdingEvents(): boolean {
    return this.held !== undefined;
  }

  private readFreely(): void {
    this.unheld = true;
    this.lift();
  }

  /** Ends the hold on, if any. */
  private lift(): void {
    if (!this.held) return;
    this.held = undefined;
    this.eventPipe?.resume();
  }

  /** The worker said it is done: it gets `graceMs` to exit (its flow's exit handlers), then it is killed. */
  expectExit(graceMs: number): void {
    if (this.exitInfo || this.exitTimer) return;
    this.exitTimer = setTimeout(() => this.killGroup(), graceMs);
    this.exitTimer.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  send(message: HostToWorker): void {
    // A worker held on a full pipe would hear its cancel only once the store caught up: its grace would
    // pass in the wait, and its cancel hooks never run. So the pipe is read till the worker says it heard
    // the cancel, and may be held again after: a cancelled run that logs on while it winds down (its
    // cancel hooks, its finally blocks) held the host's memory without bound while the store was behind.
    if (message.t === 'cancel') {
      this.cancelUnheard = true;
      this.lift();
    }
    if (!this.child.connected) return;
    try {
      this.child.send(message);
    } catch {
      // The worker is going away; its exit settles the run.
    }
  }

  /** Kills the worker and every process in its group. */
  killGroup(signal: NodeJS.Signals = 'SIGKILL'): void {
    killGroupOf(this.child, signal);
  }
}
