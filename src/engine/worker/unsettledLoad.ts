/**
 * A flow file whose top-level await waits on something nothing can settle (`await new Promise(() => {})`, a
 * resolver dropped) loads for ever. Node ends a process whose entry module does that (exit 13, "unsettled
 * top-level await"), but the flow module is import()ed, which Node never checks, and the worker's IPC channel
 * keeps its event loop alive anyway: `flowdeck run` waited for ever, saying nothing. So while the module loads
 * the channel does not count. Should nothing else be left that could run (Node's 'beforeExit'), the await can
 * never settle, and the load fails at once saying so. An await that is slow but settles (a timer, a socket)
 * keeps the loop alive, and loads as ever.
 */
import { awaitingHost } from './hostLink';

/** The channel to the host, which Node types only as an object. */
const channel = (): { ref(): void; unref(): void } | undefined => process.channel as { ref(): void; unref(): void } | undefined;

/** `loading`, or `unsettled()` thrown once the process has nothing left that could settle it. */
export function unlessUnsettled<T>(loading: Promise<T>, unsettled: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let loaded = false;
    const onIdle = (): void => {
      // A request of the file's top level (a variable, a secret) waits on the host's reply over the channel:
      // it counts till a message comes, then the loop is judged again.
      if (awaitingHost()) {
        channel()?.ref();
        process.once('message', () => {
          if (!loaded) channel()?.unref();
        });
        return;
      }
      done();
      reject(unsettled());
    };
    const done = (): void => {
      loaded = true;
      process.off('beforeExit', onIdle);
      channel()?.ref();
    };
    process.on('beforeExit', onIdle);
    channel()?.unref();
    loading.then(
      (value) => {
        done();
        resolve(value);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}

/** What a load that can never finish says. Node does not tell where an import()ed module awaits: no line. */
export function unsettledText(where: string): string {
  return `Loading ${where} failed: the flow file's top-level await never settles: nothing left in its process could settle what it awaits (a promise whose resolve is never called, as in \`await new Promise(() => {})\`), so it would load for ever. Settle it, or move the await into the flow`;
}
