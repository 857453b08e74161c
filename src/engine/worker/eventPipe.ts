/**
 * The worker's side of the event pipe: messages are buffered briefly and written with synchronous
 * writes. Each line is encoded into one reused buffer as it is sent, so the line's string dies young:
 * kept as strings until the write, a big map's lines (~150 KB in a flush interval, each a chain of
 * concatenated pieces) were copied by every young-generation collection in between.
 *
 * A write happens from inside `send` once the oldest buffered message is FLUSH_MS old, so a worker whose
 * event loop never turns (a synchronous loop, a busy map) still reports; the timer only
 * covers a quiet moment. On every way out of the process — `process.exit`, an uncaught error, a
 * signal the process handles — the buffer is written before the process goes. Only a SIGKILL can lose
 * anything, and then only the last FLUSH_MS.
 *
 * A full pipe blocks the write: the host is behind, and the worker waits for it (backpressure).
 */
import { closeSync, writeSync } from 'node:fs';
import { EVENT_FD, type WorkerMessage } from '../protocol';

const FLUSH_MS = 10;
const FLUSH_BYTES = 256 * 1024;

/** Encoded lines not yet written: the first `buffered` bytes of `out`. */
const out = Buffer.allocUnsafe(FLUSH_BYTES);
let buffered = 0;
let oldest = 0;
let timer: NodeJS.Timeout | undefined;
let hostGone = false;
/** A standby's rehearsal is running (warmUp.ts): what it sends is dropped, never written. */
let muted = false;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** What the worker does once a write finds the host gone (worker/main.ts: it ends, with its group). */
let hostLost: () => void = () => undefined;

/**
 * `then` runs when a write finds nobody reading the pipe (EPIPE): only the host reads it, so the host is
 * gone, and nothing the flow does from then on is recorded.
 */
export function whenHostLost(then: () => void): void {
  hostLost = then;
}

const idleHooks: { run(): void; pending(): boolean }[] = [];

/**
 * `run` runs when the worker has been idle for the flush interval, just before what is buffered goes
 * out; `pending` says whether it holds something back (then the interval is watched even with nothing
 * buffered).
 */
export function onIdle(run: () => void, pending: () => boolean): void {
  idleHooks.push({ run, pending });
}

/** Something is held back: make sure an idle flush comes. */
export function armIdle(): void {
  timer ??= setTimeout(idleFlush, FLUSH_MS);
}

function idleFlush(): void {
  timer = undefined;
  for (const hook of idleHooks) hook.run();
  flush();
}

/**
 * Queues one message, already serialized as a JSON line without its newline. `now`: the time, when the
 * caller has just read the clock (a read costs ~0.1 µs here, and a big map sends a line per task run).
 */
export function sendLine(line: string, urgent = false, now = Date.now()): void {
  // A UTF-16 unit is at most 3 bytes of UTF-8: room for the line and its newline, or write what is buffered.
  if (buffered + line.length * 3 + 1 > FLUSH_BYTES) {
    flush();
    if (line.length * 3 + 1 > FLUSH_BYTES) {
      // Longer than the buffer can surely hold: written on its own.
      if (!hostGone && !muted) writeAll(Buffer.from(`${line}\n`, 'utf8'));
      return;
    }
  }
  if (buffered === 0) oldest = now;
  buffered += out.write(line, buffered, 'utf8');
  out[buffered++] = 0x0a;
  if (urgent || now - oldest >= FLUSH_MS) flush();
  else timer ??= setTimeout(idleFlush, FLUSH_MS);
}

/** Everything held back and buffered goes out: the process is about to end. */
export function flushAll(): void {
  for (const hook of idleHooks) hook.run();
  flush();
}

export function send(message: WorkerMessage, urgent = false): void {
  sendLine(JSON.stringify(message), urgent);
}

/**
 * The last thing the worker says, from its last exit handler: every exit handler has run (what they logged
 * goes out first) and the process ends with `code`. Then, with `close`, its pipes close, so the host can be
 * done with it without waiting for the process's teardown; nothing is written after.
 */
export function endPipe(code: number, close: boolean): void {
  flushAll();
  if (!hostGone && !muted) {
    sendLine(JSON.stringify({ k: 'exiting', code } satisfies WorkerMessage), true);
    // The host reads the raw stdout/stderr to their end too; what the flow started is killed with the group.
    for (const fd of close ? [EVENT_FD, 1, 2] : []) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
    }
  }
  hostGone = true;
}

/** From now on, until unmuted, messages go nowhere; what is buffered before goes out first. */
export function mute(on: boolean): void {
  if (on) flush();
  else buffered = 0;
  muted = on;
}

/** Writes everything buffered, now. */
export function flush(): void {
  if (timer) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (idleHooks.some((h) => h.pending())) armIdle();
  if (buffered === 0) return;
  const bytes = buffered;
  buffered = 0;
  if (hostGone || muted) return;
  writeAll(out.subarray(0, bytes));
}

function writeAll(data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(EVENT_FD, data, off, data.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      hostGone = true;
      // EPIPE: the host is gone. The worker stops here, at its first write after, rather than at its watch's
      // next look (up to a second of task runs whose records nobody keeps, and that a resume runs again).
      if (code === 'EPIPE') hostLost();
      // Otherwise (a pipe that is not there) nothing more is written; the watch ends this process.
      return;
    }
  }
}
