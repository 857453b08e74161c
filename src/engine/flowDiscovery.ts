/**
 * Finds the flows in a file without running it: types are stripped, the module is parsed, and the
 * exported `flow({ name: '...', ... }, fn)` calls are read where their options are literals. What can't
 * be listed is said, not skipped: a flow whose name is not a literal, two flows with one name, a file
 * too large to scan or that does not parse, a flow file's name on something that is not a file.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as acorn from 'acorn';
import { CompileError, lineKeepingTranspiler, transpiler } from './compiler';
import { findFlowCalls, type FlowCall } from './flowCalls';
import { hasControlCharacters } from './givenRunName';
import { nameLengthProblem } from './nameLimit';
import { checkDeclarations, type ParameterDeclarations } from './parameters';
import { MAX_SCAN_BYTES, tooLargeToScan } from './scanLimit';
import { checkSchedule, ScheduleError, type Schedule } from './schedules/scheduleSpec';
import { tagsField, tagsOf } from './runTags';
import { isStackOverflow, tooDeeplyNested } from './tooDeeplyNested';

export const FLOW_FILE = /\.flow\.(ts|mts|js|mjs)$/;

export interface DiscoveredFlow {
  name: string;
  description?: string;
  /** Declared parameters, when the declaration is a literal. */
  parameters?: ParameterDeclarations;
  /** `default` or the named export the flow can be run from. */
  exportName: string;
  /** The flow's schedules (`schedule` in its options), checked. */
  schedules?: Schedule[];
  /** Line of the `schedule` option. */
  scheduleLine?: number;
  resumeOnCrash?: boolean;
  /** The flow's own tags (`tags`), when written as a literal list of tags. */
  tags?: string[];
  /** 1-based position of the `flow(` call. */
  line: number;
  column: number;
}

/** A flow that is in the file but can't be listed, and what to do about it. */
export interface FlowProblem {
  message: string;
  line: number;
  column: number;
}

export interface FileError {
  kind: 'syntax' | 'name' | 'duplicate' | 'schedule' | 'parameters' | 'too-large' | 'not-a-file' | 'unreadable' | 'scan-failed';
  message: string;
  /** 1-based; absent when the error is about the whole file. */
  line?: number;
  column?: number;
}

export interface FileFlows {
  file: string;
  /** The flows that can run; empty when `error` is set. */
  flows: DiscoveredFlow[];
  problems: FlowProblem[];
  error?: FileError;
  /** The names of flows the file makes and does not export (subflows of its flows), when it has any. */
  subflows?: string[];
}

/** acorn is loaded on first parse: commands that never list flows don't pay for it. */
function acornParser(): typeof import('acorn') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('acorn') as typeof import('acorn');
}

function parse(js: string, file: string): acorn.Program {
  const acorn = acornParser();
  const options = { ecmaVersion: 'latest', locations: true, allowHashBang: true } as const;
  try {
    return acorn.parse(js, { ...options, sourceType: 'module', allowAwaitOutsideFunction: true });
  } catch (moduleError) {
    if (isStackOverflow(moduleError)) throw new CompileError(file, 1, 1, tooDeeplyNested());
    try {
      // CommonJS may do what a module may not (`with`, a top-level `return`).
      return acorn.parse(js, { ...options, sourceType: 'script', allowReturnOutsideFunction: true });
    } catch {
      const loc = (moduleError as { loc?: { line: number; column: number } }).loc;
      throw new CompileError(file, loc?.line ?? 1, (loc?.column ?? 0) + 1, (moduleError as Error).message.replace(/\s*\(\d+:\d+\)$/, ''));
    }
  }
}

/** The error a run of this source would report, so that listing and running a file point at one place. */
function syntaxError(source: string, file: string, scanError: CompileError): FileError {
  let error = scanError;
  try {
    transpiler().transform(source, file, 'preserve', false);
  } catch (e) {
    if (e instanceof CompileError) error = e;
  }
  return { kind: 'syntax', message: error.detail, line: error.line, column: error.column };
}

const LINE_BREAK = /\r\n?|[\n\u2028\u2029]/;

/**
 * The calls with their columns in the source: the type-stripped code keeps every line but not every
 * column (`const f: Flow = flow(` loses `: Flow`), so each call is found again in its source line by its
 * callee's text, counting the occurrences before it.
 */
function inSource(calls: FlowCall[], js: string, source: string): FlowCall[] {
  const jsLines = js.split(LINE_BREAK);
  const sourceLines = source.split(LINE_BREAK);
  return calls.map((c) => {
    const jsLine = jsLines[c.line - 1] ?? '';
    const sourceLine = sourceLines[c.line - 1] ?? '';
    if (jsLine === sourceLine) return c;
    const before = jsLine.slice(0, c.column - 1).split(c.callee).length - 1;
    let at = -1;
    for (let i = 0; i <= before; i++) {
      at = sourceLine.indexOf(c.callee, at + 1);
      if (at < 0) return c;
    }
    return { ...c, column: at + 1 };
  });
}

function lines(calls: FlowCall[]): string {
  const numbers = calls.map((c) => String(c.line));
  return `${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`;
}

/**
 * A flow named longer than flow() allows, exported or not: an error at its line, as flow() throws while the
 * file loads, so none of the file's flows could run.
 */
function tooLongName(calls: FlowCall[]): FileError | undefined {
  for (const c of calls) {
    const name = c.options?.name;
    const problem = typeof name === 'string' ? nameLengthProblem(name) : undefined;
    if (problem) return { kind: 'name', message: `flow at line ${c.line}: its name ${problem}`, line: c.line, column: c.column };
  }
  return undefined;
}

/** Two calls with one name make the run history ambiguous: an error that names every line. */
function duplicateNames(calls: FlowCall[]): FileError | undefined {
  const byName = new Map<string, FlowCall[]>();
  for (const c of calls) {
    const name = c.options?.name;
    if (typeof name === 'string') byName.set(name, [...(byName.get(name) ?? []), c]);
  }
  for (const [name, same] of byName) {
    if (same.length < 2) continue;
    const second = same[1]!;
    const message = `flows at lines ${lines(same)} are ${same.length === 2 ? 'both' : 'all'} named '${name}'; give each flow a name of its own`;
    return { kind: 'duplicate', message, line: second.line, column: second.column };
  }
  return undefined;
}

/** A flow may have a few schedules; more are a mistake (and each costs every scheduler some work). */
const MAX_SCHEDULES_PER_FLOW = 20;

/**
 * A flow's schedules as written in its options, checked — parameters against the flow's declaration when
 * that is a literal too. A schedule that is wrong, or not a literal, is an error at its line, like a
 * syntax error: it would otherwise never run, and nobody would notice.
 */
function schedulesOf(c: FlowCall, name: string, sourceLines: string[]): Schedule[] | FileError | undefined {
  const line = c.optionLines?.schedule ?? c.line;
  const column = Math.max(0, (sourceLines[line - 1] ?? '').indexOf('schedule')) + 1;
  const error = (message: string): FileError => ({ kind: 'schedule', message: `flow '${name}': ${message}`, line, column });
  if (c.nonLiteralOptions?.includes('schedule')) return error("schedule must be written out as a literal ({ cron: '0 9 * * *' }), so Flowdeck can read it without running the file");
  const value = c.options?.schedule;
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > MAX_SCHEDULES_PER_FLOW) return error(`schedule lists ${list.length} schedules; give 1 to ${MAX_SCHEDULES_PER_FLOW}`);
  let declarations: ParameterDeclarations | undefined;
  try {
    declarations = c.nonLiteralOptions?.includes('parameters') ? undefined : checkDeclarations(name, c.options?.parameters);
  } catch {
    declarations = undefined;
  }
  const out: Schedule[] = [];
  for (const [i, item] of list.entries()) {
    try {
      out.push(checkSchedule(item, name, declarations));
    } catch (e) {
      if (!(e instanceof ScheduleError)) throw e;
      return error(`${list.length > 1 ? `schedule ${i + 1}` : 'schedule'}: ${e.message}`);
    }
  }
  return out;
}

/**
 * A flow's literal parameter declarations, checked as `flow()` checks them when the file loads: one it
 * would refuse (`{ s: null }`, a type it does not know, a default that does not fit) is an error at its
 * line, as the run's refusal is, and never handed to what reads declarations (the listing, `--param`).
 */
function parametersOf(c: FlowCall, name: string, sourceLines: string[]): { declarations?: ParameterDeclarations; error?: FileError } {
  if (c.nonLiteralOptions?.includes('parameters')) return {};
  try {
    return { declarations: checkDeclarations(name, c.options?.parameters) };
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    const line = c.optionLines?.parameters ?? c.line;
    const column = Math.max(0, (sourceLines[line - 1] ?? '').indexOf('parameters')) + 1;
    return { error: { kind: 'parameters', message: e.message, line, column } };
  }
}

/** Lists the flows in source text; problems and errors are returned, not thrown. */
export function discoverFlows(source: string, file: string): FileFlows {
  const bytes = Buffer.byteLength(source);
  if (bytes > MAX_SCAN_BYTES) return tooLargeToScan(file, bytes);
  let calls: FlowCall[];
  try {
    const js = lineKeepingTranspiler().transform(source, file, 'preserve', false);
    calls = inSource(findFlowCalls(parse(js, file), js), js, source);
  } catch (e) {
    if (e instanceof CompileError) return { file, flows: [], problems: [], error: syntaxError(source, file, e) };
    throw e;
  }
  const tooLong = tooLongName(calls);
  if (tooLong) return { file, flows: [], problems: [], error: tooLong };
  const duplicate = duplicateNames(calls);
  if (duplicate) return { file, flows: [], problems: [], error: duplicate };
  const flows: DiscoveredFlow[] = [];
  const problems: FlowProblem[] = [];
  const sourceLines = source.split(LINE_BREAK);
  // A flow that is not exported is a subflow of the file's flows: it can't be run on its own.
  for (const c of calls.filter((c) => c.exportNames.length > 0)) {
    const { options } = c;
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      problems.push({ line: c.line, column: c.column, message: `flow at line ${c.line}: its name is not a literal string, so it can't be listed; write name: 'my-flow'` });
      continue;
    }
    if (hasControlCharacters(options.name)) {
      problems.push({ line: c.line, column: c.column, message: `flow at line ${c.line}: its name ${JSON.stringify(options.name)} holds a control character (a line break?), which flow() refuses; write it on one line` });
      continue;
    }
    const parameters = parametersOf(c, options.name, sourceLines);
    if (parameters.error) return { file, flows: [], problems: [], error: parameters.error };
    const schedules = schedulesOf(c, options.name, sourceLines);
    if (schedules && !Array.isArray(schedules)) return { file, flows: [], problems: [], error: schedules };
    flows.push({
      name: options.name,
      ...(typeof options.description === 'string' ? { description: options.description } : {}),
      ...(parameters.declarations ? { parameters: parameters.declarations } : {}),
      exportName: c.exportNames[0]!,
      line: c.line,
      column: c.column,
      ...(schedules ? { schedules, scheduleLine: c.optionLines?.schedule ?? c.line } : {}),
      ...(options.resumeOnCrash === true ? { resumeOnCrash: true } : {}),
      ...tagsField(tagsOf(options.tags)),
    });
  }
  const subflows = calls.flatMap((c) => (c.exportNames.length === 0 && typeof c.options?.name === 'string' && c.options.name.length > 0 ? [c.options.name] : []));
  return { file, flows, problems, ...(subflows.length > 0 ? { subflows } : {}) };
}

/**
 * Why something with a flow file's name is not read as one — `not a file (a named pipe)` — or undefined
 * for a regular file (`stats` as statSync gives them, after links).
 */
export function notAFile(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  const what = stats.isDirectory() ? 'a folder' : stats.isFIFO() ? 'a named pipe' : stats.isCharacterDevice() ? 'a character device' : stats.isBlockDevice() ? 'a block device' : stats.isSocket() ? 'a socket' : 'not a regular file';
  return `not a file (${what}); only regular files, or links to them, are flow files`;
}

function notAFileFlows(file: string, message: string): FileFlows {
  return { file, flows: [], problems: [], error: { kind: 'not-a-file', message } };
}

/** Opened without waiting for a writer, should a named pipe take the file's place between the stat and the open. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads and lists one file, reading no more than the size limit. Only a regular file (after following a
 * link) is read: a named pipe would never end (or block until written to) and a device like /dev/zero
 * reports size 0 but never ends, so each is listed as not a file, as `flowdeck run` refuses it. The stat
 * is checked again on the open file, and the read is bounded whatever the stat said, since the path may
 * change in between.
 */
export function discoverFile(file: string): FileFlows {
  const abs = resolve(file);
  let fd: number | undefined;
  try {
    const before = statSync(abs);
    const notFile = notAFile(before);
    if (notFile) return notAFileFlows(abs, notFile);
    if (before.size > MAX_SCAN_BYTES) return tooLargeToScan(abs, before.size);
    fd = openSync(abs, OPEN_FLAGS);
    const stats = fstatSync(fd);
    const notFileNow = notAFile(stats);
    if (notFileNow) return notAFileFlows(abs, notFileNow);
    if (stats.size > MAX_SCAN_BYTES) return tooLargeToScan(abs, stats.size);
    // Sized by the stat (not the limit: a workspace has many small flow files), one byte over it to notice a
    // file that grew since; one that did is read on, in a buffer grown up to one byte over the limit, which
    // tells a file that grew past it.
    let buffer = Buffer.allocUnsafe(stats.size + 1); // only the bytes read are used
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_SCAN_BYTES) break;
        const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_SCAN_BYTES + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > MAX_SCAN_BYTES) return tooLargeToScan(abs, Math.max(length, fstatSync(fd).size));
    return discoverFlows(buffer.toString('utf8', 0, length), abs);
  } catch (e) {
    return { file: abs, flows: [], problems: [], error: { kind: 'unreadable', message: (e as Error).message } };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Flow files (`*.flow.{ts,mts,js,mjs}`) under `dir`, skipping node_modules and dot-folders; `dir` itself
 * when it is not a folder. An entry with a flow file's name that is not a folder is returned whatever it
 * is (a link, a named pipe), for discoverFile to say why it lists no flows.
 */
export function findFlowFiles(dir: string, limit = 5000): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
        visit(join(d, e.name));
      } else if (FLOW_FILE.test(e.name)) out.push(join(d, e.name));
    }
  };
  const abs = resolve(dir);
  if (!statSync(abs).isDirectory()) return [abs];
  visit(abs);
  return out.sort();
}
