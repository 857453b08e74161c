/** `flowdeck variable set|get|ls|rm` and `flowdeck variables`: the store's variables (Prefect's Variables). */
import { VariableError, checkVariableName, refuseSecretVariable, typedVariableValue, variableJson, type Variable } from '../../engine/variables';
import { neutraliseTerminal, neutraliseTerminalJson } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { knownSecrets } from '../knownSecrets';
import { ageText } from '../../engine/ageText';
import { textTableLines } from '../textTable';

export const VARIABLE_HELP = `Usage: flowdeck variable set <name> <value> [--string]
       flowdeck variable get <name> [--json]
       flowdeck variable ls [--json]        (also: flowdeck variables)
       flowdeck variable rm <name>

Variables (Prefect's Variables): named JSON values in the store, for every process and machine sharing
it. Flows read them with getVariable('name', fallback) and write them with setVariable — configuration
that changes without editing code. A name is 1 to 64 lowercase letters, digits, '_' and '-'; a value is
JSON up to 64 KiB. Not for secrets: anyone listing the store sees them (a value holding a secret the
CLI knows, such as GITHUB_TOKEN's, is refused).

<value> is read as JSON when it is JSON (42, true, null, '["a","b"]', '{"max":3}'), else as text;
--string keeps it as text whatever it looks like (--string 42 is "42").

get prints a text value as it is and any other value as JSON. At a terminal, control characters in it
(escape sequences, \\r, bidirectional overrides: a flow may have set the value) are shown as escapes
(\\x1b, \\u202e); piped or redirected, the value is written byte for byte, for scripts. --json output,
as every command's, has DEL, C1, bidirectional controls and U+2028/U+2029 as \\uHHHH: the same value.

Options:
  --string     set the value as the text given
  --json       get: the value as JSON alone; ls: [{"name", "value", "updated"}]
  -h, --help   this help

Examples:
  flowdeck variable set repos '["octo/hello", "octo/world"]'
  flowdeck variable set min_stars 100
  flowdeck variable get repos --json | jq '.[]'`;

/** A value as the table shows it: on its row — a line break or tab in a string is written `\n`, `\t` (one split the row). */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value.replace(/\r?\n/g, '\\n').replace(/\t/g, '\\t') : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export async function variableCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('variable', argv, { json: { type: 'boolean' }, string: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    write(values.help ? io.stdout : io.stderr, VARIABLE_HELP);
    return values.help ? EXIT.ok : EXIT.badInput;
  }
  const name = (n: string | undefined): string => {
    try {
      return checkVariableName(n);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  switch (action) {
    case 'set': {
      if (rest.length !== 2) throw new UsageError(`variable set takes a name and a value, like \`flowdeck variable set min_stars 100\` (quote a value with spaces)`);
      const key = name(rest[0]);
      const store = await openStore(io);
      try {
        const value = values.string === true ? rest[1]! : typedVariableValue(rest[1]!);
        const masker = knownSecrets(io.env, store.home);
        try {
          // As `schedule add` refuses a parameter holding one: a value is kept in the store and shown to whoever
          // lists variables, so a secret the command knows (GITHUB_TOKEN, a stored token…) never goes there.
          // Checked first, as the value's own refusal may quote what was typed.
          refuseSecretVariable(key, value, (text) => masker.mask(text));
          variableJson(key, value, values.string === true ? undefined : rest[1]!);
        } catch (e) {
          throw e instanceof VariableError ? new UsageError(e.message) : e;
        }
        const v = await store.variables.set(key, value);
        // As JSON: the text "42" and the number 42 are told apart.
        const json = JSON.stringify(v.value);
        write(io.stdout, neutraliseTerminal(`Variable '${key}' set to ${json.length > 80 ? `${json.slice(0, 79)}…` : json}.`));
      } finally {
        await store.close();
      }
      return EXIT.ok;
    }
    case 'get': {
      if (rest.length !== 1) throw new UsageError('variable get takes one name');
      const key = name(rest[0]);
      const store = await openStore(io, 'read');
      try {
        const v = await store.variables.get(key);
        if (!v) {
          write(io.stderr, `flowdeck variable: no variable '${key}' in ${store.location}; \`flowdeck variable ls\` lists them, \`flowdeck variable set ${key} <value>\` sets it`);
          return EXIT.badInput;
        }
        // Text as it is; anything else as JSON. --json: always JSON (a string quoted). A flow may have set
        // it: at a terminal its control characters are shown as escapes; piped, a script gets it as set.
        const asJson = values.json === true || typeof v.value !== 'string';
        const text = asJson ? JSON.stringify(v.value) : (v.value as string);
        const terminal = (io.stdout as { isTTY?: boolean }).isTTY === true;
        write(io.stdout, !terminal ? text : asJson ? neutraliseTerminalJson(text) : neutraliseTerminal(text));
      } finally {
        await store.close();
      }
      return EXIT.ok;
    }
    case 'ls':
      if (rest.length !== 0) throw new UsageError('variable ls takes no arguments');
      return listVariables(io, values.json === true);
    case 'rm': {
      if (rest.length !== 1) throw new UsageError('variable rm takes one name');
      const key = name(rest[0]);
      const store = await openStore(io);
      try {
        if (!(await store.variables.remove(key))) {
          write(io.stderr, `flowdeck variable: no variable '${key}' in ${store.location} (see \`flowdeck variable ls\`)`);
          return EXIT.badInput;
        }
      } finally {
        await store.close();
      }
      write(io.stdout, `Removed variable '${key}'.`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown variable action '${neutraliseTerminal(action)}'; the actions are set, get, ls, rm\n\n${VARIABLE_HELP}`);
  }
}

/** `flowdeck variables`: `variable ls`. */
export async function variablesCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('variables', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, VARIABLE_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`flowdeck variables takes no arguments; \`flowdeck variable get ${positionals[0]}\` reads one`);
  return listVariables(io, values.json === true);
}

async function listVariables(io: CliIo, json: boolean): Promise<number> {
  const store = await openStore(io, 'read');
  try {
    const vars: Variable[] = await store.variables.list();
    if (json) write(io.stdout, JSON.stringify(vars.map((v) => ({ name: v.name, value: v.value, updated: new Date(v.updated).toISOString() })), null, 2));
    else if (vars.length === 0) write(io.stdout, 'No variables. Set one with `flowdeck variable set <name> <value>`; flows read it with getVariable(\'name\').');
    else {
      const now = Date.now();
      const rows = vars.map((v) => [v.name, shown(v.value), ageText(now - v.updated)].map(neutraliseTerminal));
      const header = ['NAME', 'VALUE', 'UPDATED'];
      for (const line of textTableLines(header, rows)) write(io.stdout, line);
    }
  } finally {
    await store.close();
  }
  return EXIT.ok;
}
