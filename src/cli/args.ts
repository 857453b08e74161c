/**
 * Command-line options, read by Node's parseArgs and judged here, so every mistake gets Flowdeck's own
 * message naming the command (parseArgs's own say "argument is ambiguous" for `--limit -1` and leave a
 * quote open for an unknown flag). A value may start with a dash when it is a number (`--limit -1` is the
 * value -1, which the command then judges), and so may an argument (`limit set tag -1` has the
 * positional -1: no option is a digit). A lone `-` is a value too, stdin by convention (`--client-secret-value -`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values'];

const NUMBER = /^-\d/;

export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O): { values: Values<O>; positionals: string[] } {
  const { values, tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const help = `\`flowdeck ${command} --help\` lists its options`;
  // A negative number standing alone reads to parseArgs as short options (`-1.5`: -1, -., -5): it is an argument.
  const isNumberArg = (t: (typeof tokens)[number]): boolean => t.kind === 'option' && !t.rawName.startsWith('--') && NUMBER.test(argv[t.index]!);
  const positionals: string[] = [];
  let lastNumberArg = -1;
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    else if (isNumberArg(token) && token.index !== lastNumberArg) {
      positionals.push(argv[token.index]!);
      lastNumberArg = token.index;
    }
  }
  for (const token of tokens) {
    if (token.kind !== 'option' || isNumberArg(token)) continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown option '${token.rawName}'; ${help}`);
    if (spec.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, got '${token.value}'`);
    if (spec.type === 'string') {
      const missing = token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-' && !NUMBER.test(token.value));
      if (missing) throw new UsageError(`${token.rawName} needs a value${token.value === undefined ? '' : ` (to pass '${token.value}' as its value, write ${token.rawName}=${token.value})`}`);
    }
  }
  // Every option was checked against its spec above, so the values have the types the spec says.
  return { values: values as Values<O>, positionals };
}
