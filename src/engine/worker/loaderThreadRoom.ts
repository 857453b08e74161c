/**
 * Whether this process has the file descriptors Node's loader thread takes to start. On Node 20
 * `module.register` starts that thread and waits for it with the main thread blocked: a thread the system
 * refused (EMFILE) never answers, and the worker waited for ever — with 3 descriptors to spare or fewer
 * when it registered, measured on Node 20.20; with 4 the thread started. So they are tried first.
 */
import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';

/** What the thread's start takes (its event loop's descriptors). */
const THREAD_DESCRIPTORS = 4;

/** Throws an EMFILE error (a system limit, not the flow's fault) when the loader thread could not start. */
export function checkLoaderThreadRoom(): void {
  const opened: number[] = [];
  try {
    for (let i = 0; i < THREAD_DESCRIPTORS; i++) opened.push(openSync(devNull, 'r'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EMFILE' && code !== 'ENFILE') throw e;
    throw Object.assign(new Error(`too many open files (${code}): Node's module loader thread, which an ES module flow with imports needs, cannot start with ${opened.length} file descriptor${opened.length === 1 ? '' : 's'} left`), { code });
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}
