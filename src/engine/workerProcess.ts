/**
 * A worker process as the host sees it: started in a process group (and session) of its own, so a
 * terminal's Ctrl-C reaches only the host, which cancels properly; its event pipe read line by line; its
 * raw stdout/stderr (native code, programs it starts) read line by line; and killed as a whole group, so
 * nothing the flow started outlives it.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { EVENT_FD, type HostToWorker } from './protocol';
import { refHandles } from './standbyWorker';
import { forkWorker, type WorkerSpawnOptions } from './workerFork';

export type { WorkerSpawnOptions } from './workerFork';

/** A line on the event pipe longer than this is dropped (the worker never writes one). */
const MAX_EVENT_LINE = 128 * 1024 * 1024;
/** After the worker exits, how long to wait for the rest of its output before settling. */
const DRAIN_MS = 2000;
/** The worker's last line (eventPipe.ts `endPipe`), as it writes it. */
const EXITING = '{"k":"exiting","code":';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  /** Settles once the process has exited and its pipes are read to the end (or DRAIN_MS passed). */
  readonly exited: Promise<WorkerExit>;
  private exitInfo?: WorkerExit;
  private exitTimer?: NodeJS.Timeout;

  /**
   * `first` is sent to the worker before anything else is set up here (its load: the longest step of a
   * short run). `onLines` gets the event pipe's complete lines a chunk at a time (so the host can hand a
   * chunk's records to the store together); `onOutput` the raw stdout/stderr lines. `standby`: a worker
   * forked ahead of time with these options (StandbyWorker), used instead of forking one.
   */
  constructor(
    options: WorkerSpawnOptions,
    first: HostToWorker,
    onLines: (lines: string[]) => void,
    onOutput: (stream: 'stdout' | 'stderr', line: string) => void,
    standby?: ChildProcess,
  ) {
    this.child = standby ?? forkWorker(options);
    this.send(first);
    if (standby) refHandles(standby);
    const ended: Promise<void>[] = [];
    const each = (handler: (line: string) => void) => (lines: string[]) => {
      for (const l of lines) handler(l);
    };
    let exiting: number | undefined;
    const onEvents = (lines: string[]): void => {
      const last = lines[lines.length - 1]!;
      if (last.startsWith(EXITING)) exiting = Number.parseInt(last.slice(EXITING.length), 10);
      onLines(lines);
    };
    const pipes: [Readable | null | undefined, (lines: string[]) => void][] = [
      [this.child.stdio[EVENT_FD] as Readable | null, onEvents],
      [this.child.stdout, each((l) => onOutput('stdout', l))],
      [this.child.stderr, each((l) => onOutput('stderr', l))],
    ];
    for (const [stream, handler] of pipes) if (stream) ended.push(readLines(stream, handler));
    this.exited = new Promise<WorkerExit>((resolve) => {
      const settle = (info: WorkerExit): void => {
        if (this.exitInfo) return;
        this.exitInfo = info;
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
    if (!this.child.connected) return;
    try {
      this.child.send(message);
    } catch {
      // The worker is going away; its exit settles the run.
    }
  }

  /** Kills the worker and every process in its group. */
  killGroup(signal: NodeJS.Signals = 'SIGKILL'): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // Already gone.
      }
    }
  }
}

function readLines(stream: Readable, onLines: (lines: string[]) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let dropping = false;
  return new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const piece = decoder.write(chunk);
      const lines: string[] = [];
      const emit = (line: string): void => {
        if (dropping) dropping = false;
        else if (line.length > 0) lines.push(line);
      };
      let nl = piece.indexOf('\n');
      if (nl === -1) {
        // Only the new piece is searched: a long line arriving in many chunks costs linear time.
        partial += piece;
      } else {
        emit(partial + piece.slice(0, nl));
        let from = nl + 1;
        while ((nl = piece.indexOf('\n', from)) !== -1) {
          emit(piece.slice(from, nl));
          from = nl + 1;
        }
        partial = piece.slice(from);
      }
      if (partial.length > MAX_EVENT_LINE) {
        partial = '';
        dropping = true;
      }
      if (lines.length > 0) onLines(lines);
    });
    let ended = false;
    const done = (): void => {
      if (ended) return;
      ended = true;
      const rest = partial + decoder.end();
      partial = '';
      if (!dropping && rest.length > 0) onLines([rest]);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
