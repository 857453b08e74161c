/**
 * Handing a result to the host: serialized (and masked) here, so the host never parses large values.
 * Small results travel inside the journal record; larger ones are written to a file of the run's own and
 * only their name travels; results over the maximum, or that cannot be serialized, are not kept and a
 * note says why — the run itself goes on to its final state either way.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultRef } from '../records';
import { SerializeError, serialize } from '../serializer';
import { sendLine } from './eventPipe';
import { limits, masker } from './hostLink';

export type Kept = { kind: 'inline'; text: string } | { kind: 'file'; ref: ResultRef; text: string } | { kind: 'dropped'; note: string };

/** How much of a result's text is written to its file at a time. */
const WRITE_CHARS = 1 << 20;

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Serializes `value` for keeping. `what` names it in notes ("Task run 'x'"). Throws SerializeError when
 * the value holds something that cannot be kept, with the path to it.
 */
export function keepValue(value: unknown, what: string, resultsDir: string, fileName: string): Kept {
  let text: string;
  try {
    text = serialize(value, masker.size > 0 ? (s) => masker.mask(s) : undefined);
  } catch (e) {
    if (e instanceof SerializeError && /too large/.test(e.message)) return { kind: 'dropped', note: `${what} returned a result too large to keep (${e.message}); the limit is ${mib(limits.maxResultBytes)}` };
    throw e;
  }
  return keepText(text, what, resultsDir, fileName);
}

/** Keeps a value's stored text (serializer.ts), already masked: in the journal when small, else in a file. */
export function keepText(text: string, what: string, resultsDir: string, fileName: string): Kept {
  // A UTF-16 unit is at most 3 bytes of UTF-8: a short text is inline without counting its bytes.
  if (text.length * 3 <= limits.inlineResultBytes) return { kind: 'inline', text };
  const bytes = Buffer.byteLength(text);
  if (bytes <= limits.inlineResultBytes) return { kind: 'inline', text };
  if (bytes > limits.maxResultBytes) {
    return { kind: 'dropped', note: `${what} returned a result of ${mib(bytes)}, over the ${mib(limits.maxResultBytes)} limit (FLOWDECK_MAX_RESULT_MB): it was not kept` };
  }
  mkdirSync(resultsDir, { recursive: true, mode: 0o700 });
  const file = join(resultsDir, fileName);
  const fd = openSync(file, 'w', 0o600);
  try {
    // A piece at a time, never splitting a surrogate pair: the whole text's bytes at once would hold a large
    // result a third time (the value, its text, its bytes).
    for (let at = 0; at < text.length; ) {
      let end = Math.min(text.length, at + WRITE_CHARS);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      const buf = Buffer.from(end - at === text.length ? text : text.slice(at, end), 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      at = end;
    }
    fsyncSync(fd);
  } catch (e) {
    // Not written whole (a full disk): no part of it is left taking the room that is short.
    try {
      closeSync(fd);
    } finally {
      rmSync(file, { force: true });
    }
    throw e;
  }
  closeSync(fd);
  return { kind: 'file', ref: { file: fileName, bytes }, text };
}

/** Sends the result record for a run (or one of its task runs). */
export function sendResult(runId: string, taskRunId: string | undefined, kept: Kept): void {
  const head = `{"k":"result","runId":${JSON.stringify(runId)}${taskRunId === undefined ? '' : `,"taskRunId":${JSON.stringify(taskRunId)}`}`;
  if (kept.kind === 'inline') sendLine(`${head},"value":${kept.text}}`);
  else if (kept.kind === 'file') sendLine(`${head},"ref":${JSON.stringify(kept.ref)}}`);
  else sendLine(`${head},"note":${JSON.stringify(masker.mask(kept.note))}}`);
}
