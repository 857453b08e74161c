/**
 * `flowdeck resume <run> --param token=…`: values of the run's secret parameters, given again. Its records hold
 * `***` in their place (secretParameters.ts), so a resume of a run given one needs them once more; the
 * others are the run's own (the worker refuses a value for any parameter not declared secret).
 */
import { BadInputError } from '../engine/runRequest';
import { UsageError, type TerminalInput } from './io';
import { FROM_STDIN, secretFromStdin } from './stdinSecret';

/** `key=value` → [key, value]; one that is not is refused without quoting it (it is a secret). */
function assignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param expects KEY=VALUE (or KEY=${FROM_STDIN}, the value read from stdin), got something else (not quoted: it may be a secret)`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** The `--param` values by name; `name=-` is read from stdin's first line (one parameter at most). */
export async function secretParameterArgs(assignments: readonly string[], stdin: TerminalInput | undefined): Promise<Record<string, string>> {
  const given: Record<string, string> = {};
  const pairs = assignments.map(assignment);
  const fromStdin = pairs.filter(([, value]) => value === FROM_STDIN);
  if (fromStdin.length > 1) throw new UsageError(`--param ${fromStdin[0]![0]}=${FROM_STDIN} and --param ${fromStdin[1]![0]}=${FROM_STDIN}: stdin gives one value; give the others with --param KEY=VALUE`);
  for (const [key, value] of pairs) {
    if (value !== FROM_STDIN) {
      Object.defineProperty(given, key, { value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const read = await secretFromStdin(stdin);
    if (read === undefined) throw new UsageError(`--param ${key}=${FROM_STDIN}: stdin held no value (give it on stdin's first line: \`flowdeck resume … --param ${key}=${FROM_STDIN} < file\`)`);
    Object.defineProperty(given, key, { value: read, enumerable: true, writable: true, configurable: true });
  }
  return given;
}

/**
 * A resume refused as the run's secret parameters were not given again, saying how to give them to
 * `flowdeck resume <ref>`; any other error as it is.
 */
export function withSecretFlags(e: unknown, ref: string): unknown {
  if (!(e instanceof BadInputError) || e.secretsNotKept === undefined || e.secretsNotKept.length === 0) return e;
  const [first, ...rest] = e.secretsNotKept;
  const others = rest.map((n) => ` --param ${n}=VALUE`).join('');
  const how = `Give ${rest.length > 0 ? 'them' : 'it'} with --param: \`flowdeck resume ${ref} --param ${first}=-${others}\` reads ${first}'s value from stdin's first line; --param ${first}=VALUE puts it on the command line, which other users of this machine can see (\`ps\`).`;
  return new BadInputError(e.reason, `${e.message} ${how}`, e.secretsNotKept);
}
