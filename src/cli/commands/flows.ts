import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { discoverFile, findFlowFiles } from '../../engine/flowDiscovery';
import { defaultHome } from '../../engine/storeHome';
import type { ParameterDeclarations } from '../../engine/parameters';
import { secretDefaultsMasked } from '../../engine/secretParameters';
import { neutraliseTerminal } from '../../engine/terminalText';
import { BUILTIN_FLOWS, type BuiltinFlowInfo } from '../../flows/builtins';
import { parseCommandArgs } from '../args';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { knownSecrets } from '../knownSecrets';

export const FLOWS_HELP = `Usage: flowdeck flows [file or folder] [--json]

Lists the flows in a flow file, or in every *.flow.{ts,mts,js,mjs} file under a folder (default: the
current folder, after the built-in flows), without running anything.

Options:
  --json       a JSON array, one item a file: {"file", "flows": [{"name", "description", "parameters",
               "exportName", "line", "column", "schedules", "tags", …}], "problems", "subflows"?, "error"?};
               without a file or folder the built-in flows come first, each an item
               {"file": "builtin:<id>", "builtin": true, "id", "flows": [{"name", "description", "parameters"}],
               "problems": []}
  -h, --help   this help

Exit codes: 0 listed; 2 a file that cannot be read (a syntax error, two flows with one name, over 1 MiB, not a
regular file), or no such file or folder.`;

/** A built-in flow as `flows --json` gives it: an item as a file's is, named `builtin:<id>` as runs record its source. */
function builtinJson(b: BuiltinFlowInfo) {
  return { file: `builtin:${b.id}`, builtin: true, id: b.id, flows: [{ name: b.name, description: b.description, parameters: b.parameters }], problems: [] };
}

/** A name longer than this is not padded to: it pushes its own line's file over, not every line's. */
const MAX_NAME_COLUMN = 32;

/** As TypeScript writes them: `b: number` needs a value, `b?: number` may be left out, `a: number = 1` has a default. */
function describeParameters(parameters: ParameterDeclarations | undefined): string {
  const params = Object.entries(parameters ?? {}).map(([k, d]) => (d.default !== undefined ? `${k}: ${d.type} = ${JSON.stringify(d.default)}` : `${k}${d.required ? '' : '?'}: ${d.type}`));
  return params.length ? `  (${params.join(', ')})` : '';
}

export async function flowsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('flows', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, FLOWS_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`flowdeck flows takes one file or folder\n\n${FLOWS_HELP}`);
  const target = resolve(io.cwd, positionals[0] ?? '.');
  if (!existsSync(target)) {
    write(io.stderr, `flowdeck: no such file or folder: ${target}`);
    return EXIT.badInput;
  }
  // A schedule's parameters (or a parameter's default, a description) written in a flow file may hold a secret
  // the command knows: listed masked, in the text as in --json, as `schedules --json` prints them. The store is
  // not opened; its credentials are read.
  const masker = knownSecrets(io.env, defaultHome(io.env));
  // A secret parameter's default is listed as `***` whatever its value.
  const results = masker.maskValue(findFlowFiles(target).map(discoverFile)).map((r) => ({ ...r, flows: r.flows.map((f) => ({ ...f, parameters: secretDefaultsMasked(f.parameters) })) }));
  if (values.json) {
    write(io.stdout, JSON.stringify(masker.maskValue([...(positionals.length === 0 ? BUILTIN_FLOWS.map(builtinJson) : []), ...results]), null, 2));
    return results.some((r) => r.error) ? EXIT.badInput : EXIT.ok;
  }
  // Names in a column (as wide as the widest, within reason), then where each is and its parameters.
  const names = [...(positionals.length === 0 ? BUILTIN_FLOWS : []), ...results.flatMap((r) => r.flows)].map((f) => f.name.length);
  const width = Math.min(Math.max(0, ...names), MAX_NAME_COLUMN);
  if (positionals.length === 0) {
    for (const b of BUILTIN_FLOWS) write(io.stdout, `${b.name.padEnd(width)}  built-in${describeParameters(b.parameters)}  — ${b.description}`);
  }
  if (results.length === 0) write(io.stdout, `No flow files (*.flow.ts, *.flow.mts, *.flow.js, *.flow.mjs) under ${target}`);
  for (const r of results) {
    const shown = relative(io.cwd, r.file) || r.file;
    if (r.error) {
      write(io.stdout, neutraliseTerminal(`${shown}${r.error.line === undefined ? '' : `:${r.error.line}:${r.error.column ?? 1}`}: error: ${r.error.message}`));
      continue;
    }
    if (r.flows.length === 0 && r.problems.length === 0) write(io.stdout, `${shown}: no flows`);
    for (const f of r.flows) {
      write(io.stdout, neutraliseTerminal(`${f.name.padEnd(width)}  ${shown}:${f.line}${describeParameters(f.parameters)}${f.description ? `  — ${f.description}` : ''}`));
    }
    for (const p of r.problems) write(io.stdout, neutraliseTerminal(`${shown}:${p.line}:${p.column}: warning: ${p.message}`));
  }
  return results.some((r) => r.error) ? EXIT.badInput : EXIT.ok;
}
