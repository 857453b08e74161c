/**
 * A short text one thread sets and another reads at any moment, without a message: the worker's main
 * thread tells Node's loader thread which store's compile cache to use this way, because the loader
 * thread must never wait for the main thread (worker/moduleHooks.ts says why).
 */

/** Byte 0–3: the text's length in bytes (Int32, written last); then the UTF-8 bytes. */
const HEADER = 4;

/** A cell of `capacity` bytes of text. */
export function sharedTextBuffer(capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + capacity);
}

/**
 * Sets the cell's text; false (and the cell holds '') when it is longer than the cell: the reader then
 * goes without it, as it would without the cell.
 */
export function writeSharedText(buffer: SharedArrayBuffer, text: string): boolean {
  const length = new Int32Array(buffer, 0, 1);
  const bytes = new Uint8Array(buffer, HEADER);
  const { read, written } = new TextEncoder().encodeInto(text, bytes);
  const whole = read === text.length;
  Atomics.store(length, 0, whole ? written : 0);
  return whole;
}

/** The cell's text ('' until one is set). */
export function readSharedText(buffer: SharedArrayBuffer): string {
  const length = Atomics.load(new Int32Array(buffer, 0, 1), 0);
  if (length <= 0 || length > buffer.byteLength - HEADER) return '';
  // TextDecoder does not read from shared memory: the bytes are copied first.
  return new TextDecoder().decode(new Uint8Array(buffer, HEADER, length).slice());
}
