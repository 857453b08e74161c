/**
 * `flowdeck check`: type-checks flow files with the workspace's own TypeScript compiler. Runs never
 * type-check (flows are compiled by stripping types), so this is where type errors are found.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type * as TypeScript from 'typescript';
import { findFlowFiles, notAFile } from '../../engine/flowDiscovery';
import { MAX_SCAN_BYTES, overScanLimit } from '../../engine/scanLimit';
import { neutraliseTerminal } from '../../engine/terminalText';
import { isStaleTypesCopy } from '../../engine/typesCopy';
import { parseCommandArgs } from '../args';
import { EXIT, write, type CliIo } from '../io';

export const CHECK_HELP = `Usage: flowdeck check [file or folder...]

Type-checks flow files (default: every *.flow.{ts,mts,js,mjs} file under the current folder) with the
TypeScript compiler installed in the workspace, resolved from each file's folder. The options come from
the nearest tsconfig.json, else strict defaults; 'flowdeck' is typed by Flowdeck's own flowdeck.d.ts
unless the workspace types it (a tsconfig.json \`paths\` entry, as "Create a Flow" writes, or a package);
a copy of another Flowdeck version's generated flowdeck.d.ts is checked with this version's instead.

A type error does not stop \`flowdeck run\`: runs strip types without checking them. A syntax error
does (the flow cannot load); the summary counts syntax errors and type errors apart.

Options:
  -h, --help   this help

Exit codes: 0 no errors; 1 syntax or type errors, printed as file:line:col - error TSxxxx: message;
2 bad input (a flow file's name on a named pipe, device or folder link, or a flow file over 1 MiB, said
and not checked), or no TypeScript installed (install it with npm i -D typescript).`;

/** Flowdeck's types for the 'flowdeck' module, generated at build time beside the CLI's bundle. */
const FLOWDECK_TYPES = join(__dirname, 'flowdeck.d.ts');

type Ts = typeof TypeScript;

/** TS18003, "No inputs were found in config file": the flow files are given, whatever its include says. */
const NO_INPUTS = 18003;

function loadTypeScript(dir: string): { ts: Ts; path: string } | undefined {
  try {
    const path = createRequire(join(dir, 'noop.js')).resolve('typescript');
    return { ts: require(path) as Ts, path };
  } catch {
    return undefined;
  }
}

function compilerOptions(ts: Ts, configFile: string | undefined, io: CliIo): TypeScript.CompilerOptions | undefined {
  if (configFile) {
    const diagnostics: TypeScript.Diagnostic[] = [];
    const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d: TypeScript.Diagnostic) => diagnostics.push(d) };
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, { noEmit: true }, host);
    if (!parsed) {
      write(io.stderr, neutraliseTerminal(`flowdeck check: ${configFile}: ${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`));
      return undefined;
    }
    // A tsconfig.json that does not parse, extends a file that is not there or sets an option to a value
    // TypeScript does not know is said, as tsc says it, not checked with what was left of it (a flood of
    // errors that are not the flow's). Its files need not match: the flow files are given.
    const problems = ts.getConfigFileParsingDiagnostics(parsed).filter((d) => d.code !== NO_INPUTS && d.category === ts.DiagnosticCategory.Error);
    if (problems.length > 0) {
      for (const d of problems) write(io.stderr, neutraliseTerminal(format(ts, d, io.cwd)));
      write(io.stderr, neutraliseTerminal(`flowdeck check: ${relative(io.cwd, configFile) || configFile} has ${problems.length === 1 ? 'an error' : `${problems.length} errors`}; fix ${problems.length === 1 ? 'it' : 'them'} to type-check the flows it covers`));
      return undefined;
    }
    return { ...parsed.options, noEmit: true };
  }
  // What a flow can do at run time: ES modules with top-level await and import.meta, extensionless
  // relative imports, JSON imports, JavaScript flow files next to TypeScript ones.
  return {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    esModuleInterop: true,
    allowJs: true,
    skipLibCheck: true,
  };
}

/**
 * The program over `files`, 'flowdeck' resolved to Flowdeck's types (a `paths` entry), unless the files
 * already declare, map or install 'flowdeck' — but a map to a flowdeck.d.ts Flowdeck generated, as the
 * tsconfig.json "Create a Flow" writes has, that is another version's copy is checked with this version's
 * (`stale`: that copy).
 */
function program(ts: Ts, files: string[], options: TypeScript.CompilerOptions): { program: TypeScript.Program; stale?: string } {
  const host = ts.createCompilerHost(options);
  const bare = ts.createProgram(files, options, host);
  const declared = bare.getTypeChecker().getAmbientModules().some((m) => m.name === '"flowdeck"');
  const resolved = ts.resolveModuleName('flowdeck', files[0]!, options, host).resolvedModule?.resolvedFileName;
  const stale = resolved !== undefined && isStaleTypesCopy(resolved, ownTypes()) ? resolved : undefined;
  if (declared || (resolved !== undefined && stale === undefined)) return { program: bare };
  const typed = { ...options, paths: { ...options.paths, flowdeck: [FLOWDECK_TYPES] } };
  return { program: ts.createProgram(files, typed, ts.createCompilerHost(typed), bare), ...(stale !== undefined ? { stale } : {}) };
}

let ownTypesText: string | undefined;
/** This version's flowdeck.d.ts. */
function ownTypes(): string {
  return (ownTypesText ??= readFileSync(FLOWDECK_TYPES, 'utf8'));
}

function format(ts: Ts, d: TypeScript.Diagnostic, cwd: string): string {
  const category = ts.DiagnosticCategory[d.category].toLowerCase();
  const text = `${category} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  if (!d.file || d.start === undefined) return text;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${relative(cwd, d.file.fileName) || d.file.fileName}:${line + 1}:${character + 1} - ${text}`;
}

export async function checkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('check', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, CHECK_HELP);
    return EXIT.ok;
  }
  const targets = (positionals.length > 0 ? positionals : ['.']).map((p) => resolve(io.cwd, p));
  const missing = targets.find((t) => !existsSync(t));
  if (missing) {
    write(io.stderr, `flowdeck check: no such file or folder: ${missing}`);
    return EXIT.badInput;
  }
  const candidates = [...new Set(targets.flatMap((t) => findFlowFiles(t)))];
  // A named pipe or a device with a flow file's name would hang the compiler's read, and a file over the
  // limit `flows` and runs refuse (scanLimit.ts) would be read and parsed whole, however large (100 MB:
  // seconds and half a gigabyte): each said, not checked.
  const files: string[] = [];
  let notFiles = 0;
  for (const file of candidates) {
    const reason = uncheckable(file);
    if (reason === undefined) files.push(file);
    else {
      notFiles++;
      write(io.stderr, neutraliseTerminal(`flowdeck check: ${relative(io.cwd, file) || file}: ${reason}`));
    }
  }
  if (files.length === 0) {
    if (notFiles > 0) return EXIT.badInput;
    write(io.stderr, `flowdeck check: no flow files (*.flow.ts, *.flow.mts, *.flow.js, *.flow.mjs) in ${targets.join(', ')}`);
    return EXIT.badInput;
  }

  // Files that share a TypeScript install and a tsconfig.json are checked as one program.
  const groups = new Map<string, { ts: Ts; configFile?: string; files: string[] }>();
  for (const file of files) {
    const found = loadTypeScript(dirname(file));
    if (!found) {
      write(io.stderr, `flowdeck check: no TypeScript compiler found from ${dirname(file)}; install it with npm i -D typescript`);
      return EXIT.badInput;
    }
    const configFile = found.ts.findConfigFile(dirname(file), found.ts.sys.fileExists);
    const key = `${found.path}\0${configFile ?? ''}`;
    const group = groups.get(key) ?? { ts: found.ts, configFile, files: [] };
    group.files.push(file);
    groups.set(key, group);
  }

  let syntaxErrors = 0;
  let typeErrors = 0;
  for (const { ts, configFile, files: roots } of groups.values()) {
    const options = compilerOptions(ts, configFile, io);
    if (!options) return EXIT.badInput;
    const { program: checked, stale } = program(ts, roots, options);
    if (stale !== undefined) {
      const shown = relative(io.cwd, stale) || stale;
      write(io.stderr, neutraliseTerminal(`flowdeck check: ${shown} is another Flowdeck version's copy of its types; checked with this version's (the editor types flows with the copy: Create a Flow, or the Flowdeck extension as it starts, replaces it with the version's own, or copy ${FLOWDECK_TYPES} over it)`));
    }
    // The parser's diagnostics (`const x = ;`) are syntax errors, which also stop a run from loading the
    // flow; the rest (the checker's, the options') are type errors, which do not.
    const syntactic = new Set(checked.getSyntacticDiagnostics().map((d) => diagnosticKey(d)));
    for (const d of ts.getPreEmitDiagnostics(checked)) {
      write(io.stdout, neutraliseTerminal(format(ts, d, io.cwd)));
      if (d.category !== ts.DiagnosticCategory.Error) continue;
      if (syntactic.has(diagnosticKey(d))) syntaxErrors++;
      else typeErrors++;
    }
  }
  const checked = `${files.length} flow file${files.length === 1 ? '' : 's'}`;
  const found = [counted(syntaxErrors, 'syntax error'), counted(typeErrors, 'type error')].filter((c) => c !== undefined);
  write(io.stdout, found.length === 0 ? `No type errors in ${checked}.` : `Found ${found.join(' and ')} in ${checked}.`);
  return notFiles > 0 ? EXIT.badInput : found.length === 0 ? EXIT.ok : EXIT.runFailed;
}

/** `2 syntax errors`, or undefined for none. */
function counted(n: number, what: string): string | undefined {
  return n === 0 ? undefined : `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** A diagnostic's identity across the program's lists: where, which and what it says. */
function diagnosticKey(d: TypeScript.Diagnostic): string {
  const text = typeof d.messageText === 'string' ? d.messageText : d.messageText.messageText;
  return `${d.file?.fileName ?? ''}\0${d.start ?? ''}\0${d.code}\0${text}`;
}

/** Why a flow file is not given to the compiler (not a regular file, over the size limit), or undefined to check it. */
function uncheckable(file: string): string | undefined {
  try {
    const stats = statSync(file);
    const notFile = notAFile(stats);
    if (notFile !== undefined) return notFile;
    return stats.size > MAX_SCAN_BYTES ? `too large to check: ${overScanLimit(stats.size)}` : undefined;
  } catch {
    return undefined; // gone: the compiler says so
  }
}
