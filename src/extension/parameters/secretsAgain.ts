/**
 * Retry from Failure and Rerun of a run given a secret parameter: the run's records hold `***` in its place, so
 * the engine refuses to start it without the value, naming the parameters (BadInputError.secretsNotKept).
 * Each is asked for in a password box that starts empty — what the run had is nowhere to pre-fill it from —
 * and the start is made again with them; Escape starts nothing.
 */
import { BadInputError } from '../../engine/runRequest';
import { askText } from '../util/stayOpenInput';

/** What `withSecretsAsked` gives when the user pressed Escape in a secret's box. */
export const NOT_GIVEN = Symbol('not given');

/** `start()`; refused for want of secrets, `start(secrets)` with them asked for. Other errors are thrown as they come. */
export async function withSecretsAsked<T>(runName: string, start: (secretParameters?: Record<string, string>) => PromiseLike<T>): Promise<T | typeof NOT_GIVEN> {
  try {
    return await start();
  } catch (e) {
    if (!(e instanceof BadInputError) || e.secretsNotKept === undefined || e.secretsNotKept.length === 0) throw e;
    const given = await askSecretsAgain(runName, e.secretsNotKept);
    return given === undefined ? NOT_GIVEN : start(given);
  }
}

/** The values of the secret parameters `names` of run `runName`, typed into password boxes; undefined on Escape. */
export async function askSecretsAgain(runName: string, names: readonly string[]): Promise<Record<string, string> | undefined> {
  const given: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const value = await askText({
      title: `${runName}: secret parameter '${name}'${names.length > 1 ? ` (${i + 1} of ${names.length})` : ''}`,
      prompt: `Its value is not kept with the run (stored as ***): type it again to go on. It is masked as the run's was, and not stored.`,
      password: true,
      value: '',
      validateInput: (text) => (text === '' ? 'Type its value, or press Escape to start nothing' : undefined),
    });
    if (value === undefined) return undefined;
    // A parameter named `__proto__` is a parameter like any other.
    Object.defineProperty(given, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return given;
}
