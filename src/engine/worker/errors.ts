/**
 * What an error says, for state messages and logs: its message with the chain of causes (`fetch failed`
 * ← `connect ECONNREFUSED 127.0.0.1:9`), the errors of an AggregateError, a thrown non-Error shown as
 * what it is; and stacks with the user's frames (source-mapped to their .ts lines) and Flowdeck's own
 * frames folded into one line.
 */
import { inspect } from 'node:util';
import { allocationFailure } from '../outOfMemory';
import type { Failure } from '../states';
import { masker } from './hostLink';

const MAX_CAUSES = 5;

/**
 * The most characters of an error's message, stack or cause that are kept: an error with a 1 MB message
 * would otherwise be stored whole in the run's state (journal, index, Postgres) and printed in full.
 */
export const MAX_ERROR_TEXT_CHARS = 16 * 1024;

/**
 * `text` cut to its first MAX_ERROR_TEXT_CHARS characters (not inside a surrogate pair), saying how long it
 * was. Masked before it is cut, as log lines are: a secret reaching across the cut is masked whole, never
 * left showing in part (the masking of the record on its way out could not find a secret cut in two).
 */
export function boundedErrorText(text: string): string {
  if (typeof text !== 'string' || text.length <= MAX_ERROR_TEXT_CHARS) return text;
  const high = text.charCodeAt(MAX_ERROR_TEXT_CHARS - 1);
  const chars = high >= 0xd800 && high <= 0xdbff ? MAX_ERROR_TEXT_CHARS - 1 : MAX_ERROR_TEXT_CHARS;
  return `${masker.maskedHead(text, chars)}… (cut: ${text.length.toLocaleString('en-US')} characters in all; error texts are limited to ${MAX_ERROR_TEXT_CHARS.toLocaleString('en-US')})`;
}

/**
 * What a thrown value whose fields cannot be read says instead: a getter (`message`, `stack`) or a proxy's
 * trap that throws would otherwise throw out of the code that records the run's end, and the run would
 * never end.
 */
function unreadable(readError: unknown): string {
  let why = 'no reason given';
  try {
    why = readError instanceof Error ? String(readError.message) : String(readError);
  } catch {
    // As unreadable as the value itself: said without it.
  }
  return `a thrown value whose fields could not be read (${why})`;
}

function safely<T>(read: () => T, fallback: (readError: unknown) => T): T {
  try {
    return read();
  } catch (e) {
    return fallback(e);
  }
}

/** An error's message, with what it means when it names no cause a person would know (a buffer refused memory). */
function messageText(error: Error): string {
  const meaning = allocationFailure(error);
  return meaning === undefined ? error.message : `${error.message}: ${meaning}`;
}

function oneLine(error: unknown): string {
  if (error instanceof Error) {
    const base = messageText(error) || error.name;
    return error.name && error.name !== 'Error' && !base.startsWith(error.name) ? `${error.name}: ${base}` : base;
  }
  if (typeof error === 'string') return error;
  return inspect(error, { depth: 3, breakLength: Infinity, maxStringLength: 500 });
}

/** `message ← cause ← cause`; an AggregateError lists its errors. */
export function errorMessage(error: unknown): string {
  return safely(() => boundedErrorText(messageOf(error)), unreadable);
}

function messageOf(error: unknown): string {
  let text = oneLine(error);
  if (error instanceof AggregateError && error.errors.length > 0) {
    text += ` [${error.errors.slice(0, MAX_CAUSES).map(oneLine).join('; ')}${error.errors.length > MAX_CAUSES ? `; … ${error.errors.length - MAX_CAUSES} more` : ''}]`;
  }
  let cause = error instanceof Error ? error.cause : undefined;
  for (let i = 0; cause !== undefined && i < MAX_CAUSES; i++) {
    const line = oneLine(cause);
    if (!text.includes(line)) text += ` ← ${line}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/**
 * Frames of Flowdeck's own bundles, of Node's own modules (internal or public: `AsyncLocalStorage.run`,
 * which every task run passes through, is in `node:async_hooks`) and of the engine's built-ins (`new
 * Promise (<anonymous>)`, which a task run's timeout passes through), which say nothing about the user's code.
 */
function isOwnFrame(line: string, ownDir: string): boolean {
  return line.includes(ownDir) || /\(node:|at node:|\(<anonymous>\)$/.test(line) || /^\s*at async Promise\.all/.test(line);
}

function foldFrames(stack: string, ownDir: string): string {
  const out: string[] = [];
  let folded = 0;
  for (const line of stack.split('\n')) {
    if (/^\s+at /.test(line) && isOwnFrame(line, ownDir)) {
      folded++;
      continue;
    }
    if (folded > 0) {
      out.push(`    … ${folded} Flowdeck/Node frame${folded === 1 ? '' : 's'}`);
      folded = 0;
    }
    out.push(line);
  }
  if (folded > 0) out.push(`    … ${folded} Flowdeck/Node frame${folded === 1 ? '' : 's'}`);
  return out.join('\n');
}

/**
 * An error its code saw coming (a repository that does not exist, a network that is down): it says so
 * with `expected = true`, and its message says everything, so no stack trace buries it.
 */
export function isExpected(error: unknown): boolean {
  return safely(() => error instanceof Error && (error as { expected?: unknown }).expected === true, () => false);
}

/**
 * The stack for a log: the user's frames, then each cause's, each under a `Caused by:` line. An expected
 * error is its message alone.
 */
export function errorReport(error: unknown, ownDir: string): string {
  return safely(() => boundedErrorText(reportOf(error, ownDir)), unreadable);
}

function reportOf(error: unknown, ownDir: string): string {
  if (isExpected(error)) return errorMessage(error);
  if (!(error instanceof Error)) return oneLine(error);
  let text = foldFrames(error.stack ?? oneLine(error), ownDir);
  if (error instanceof AggregateError) {
    for (const e of error.errors.slice(0, MAX_CAUSES)) text += `\n  ${foldFrames(e instanceof Error ? (e.stack ?? oneLine(e)) : oneLine(e), ownDir).replace(/\n/g, '\n  ')}`;
  }
  let cause = error.cause;
  for (let i = 0; cause !== undefined && i < MAX_CAUSES; i++) {
    text += `\nCaused by: ${cause instanceof Error ? foldFrames(cause.stack ?? oneLine(cause), ownDir) : oneLine(cause)}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

const FRAME = /^\s*at (?:.*? \()?(?:file:\/\/)?(\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?\s*$/;

/** The first stack frame in the user's own code (not Flowdeck's bundles, Node or node_modules). */
export function userFrame(error: unknown, ownDir: string): { file: string; line: number; column: number } | undefined {
  return safely(() => frameOf(error, ownDir), () => undefined);
}

function frameOf(error: unknown, ownDir: string): { file: string; line: number; column: number } | undefined {
  if (!(error instanceof Error) || !error.stack) return undefined;
  for (const line of error.stack.split('\n')) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const file = m[1]!;
    if (file.startsWith(ownDir) || file.includes('/node_modules/') || file.startsWith('node:')) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/** What a failure card shows, from the error user code threw. */
export function failureOf(error: unknown, ownDir: string): Failure {
  return safely(() => failureFrom(error, ownDir), (e) => ({ name: 'Error', message: unreadable(e) }));
}

function failureFrom(error: unknown, ownDir: string): Failure {
  const f: Failure = error instanceof Error ? { name: boundedErrorText(error.name || 'Error'), message: boundedErrorText(messageText(error)) } : { name: typeof error, message: boundedErrorText(oneLine(error)) };
  if (error instanceof Error && !isExpected(error)) f.stack = errorReport(error, ownDir);
  const causes: string[] = [];
  if (error instanceof AggregateError) for (const e of error.errors.slice(0, MAX_CAUSES)) causes.push(boundedErrorText(oneLine(e)));
  let cause = error instanceof Error ? error.cause : undefined;
  for (let i = 0; cause !== undefined && i < MAX_CAUSES; i++) {
    causes.push(boundedErrorText(oneLine(cause)));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (causes.length > 0) f.causes = causes;
  const frame = userFrame(error, ownDir);
  if (frame) f.frame = frame;
  return f;
}
