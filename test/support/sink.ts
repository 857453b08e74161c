import { Writable } from 'node:stream';

/** Collects what a command writes; calls `onText` with everything written so far. */
export function sink(onText?: (text: string) => void): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      onText?.(text);
      done();
    },
  });
  return { stream, text: () => text };
}
