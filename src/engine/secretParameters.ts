/**
 * Parameters declared `secret: true` (a password or a token the run is given): their values are masked as a
 * secret from the environment is — registered with the run's masker before anything quotes them (a
 * parameter error, the run's records, its name, its logs), so they are stored and shown as `***`. Only a
 * string parameter can be secret (checkDeclarations): a masker finds text.
 */
import { MASK } from './secrets';
import type { ParameterDeclarations } from './types';

/** The string values `sources` give the parameters `declarations` declares secret (a default counts once it is filled in). */
export function secretParameterValues(declarations: ParameterDeclarations | undefined, ...sources: (Readonly<Record<string, unknown>> | undefined)[]): string[] {
  if (declarations === undefined) return [];
  const values: string[] = [];
  for (const [key, declaration] of Object.entries(declarations)) {
    if (declaration.secret !== true) continue;
    for (const source of sources) {
      const value = source !== undefined && Object.hasOwn(source, key) ? source[key] : undefined;
      if (typeof value === 'string') values.push(value);
    }
  }
  return values;
}

/** `declarations` as shown (a tooltip, `flowdeck flows`): a secret's default, the flow file's, as `***`. */
export function secretDefaultsMasked(declarations: ParameterDeclarations): ParameterDeclarations;
export function secretDefaultsMasked(declarations: ParameterDeclarations | undefined): ParameterDeclarations | undefined;
export function secretDefaultsMasked(declarations: ParameterDeclarations | undefined): ParameterDeclarations | undefined {
  if (declarations === undefined || !Object.values(declarations).some((d) => d.secret === true && d.default !== undefined)) return declarations;
  return Object.fromEntries(Object.entries(declarations).map(([key, d]) => [key, d.secret === true && d.default !== undefined ? { ...d, default: MASK } : d]));
}

/** Said of a secret parameter given as `***`: what a run's records hold in its place (a resume, a rerun). */
export const SECRET_NOT_KEPT = `a run's records hold ${MASK} in a secret's place`;

/**
 * The secret parameters of `declarations` that `parameters` give as `***`: a resume or a rerun takes the
 * parameters from the run's records, which hold `***` in a secret's place; run with, the flow would get `***`
 * for a password and fail (or worse) far from the cause. Each must be given again (RunRequest.secretParameters).
 */
export function secretsNotKept(declarations: ParameterDeclarations | undefined, parameters: Readonly<Record<string, unknown>> | undefined): string[] {
  if (declarations === undefined || parameters === undefined) return [];
  return Object.keys(declarations).filter((key) => declarations[key]!.secret === true && Object.hasOwn(parameters, key) && parameters[key] === MASK);
}

/** Why a run cannot be run with the secret parameters `names` (secretsNotKept). */
export function secretsNotKeptText(names: readonly string[]): string {
  const which = names.map((n) => `'${n}'`).join(', ');
  return `parameter${names.length > 1 ? 's' : ''} ${which} ${names.length > 1 ? 'are secret and their values were' : 'is secret and its value was'} not kept (${SECRET_NOT_KEPT})`;
}

/** Said of a value given again for a parameter not declared secret (notSecretGivenAgain). */
export const ONLY_SECRETS_GIVEN_AGAIN = "only a secret parameter, whose value a run's records do not hold, is given again";

/**
 * Of the values given again for secret parameters (RunRequest.secretParameters), those `declarations` do not
 * declare secret, said (never quoting a value): a resume runs with the parameters the run ran with, and only a
 * secret one, whose value its records do not hold, is given again. Undefined when all are.
 */
export function notSecretGivenAgain(declarations: ParameterDeclarations | undefined, given: Readonly<Record<string, string>>): string | undefined {
  const names = Object.keys(given).filter((key) => declarations === undefined || !Object.hasOwn(declarations, key) || declarations[key]!.secret !== true);
  if (names.length === 0) return undefined;
  const which = names.map((n) => `'${n}'`).join(', ');
  return `parameter${names.length > 1 ? 's' : ''} ${which} ${names.length > 1 ? 'are' : 'is'} not declared secret: ${ONLY_SECRETS_GIVEN_AGAIN}; the others are the run's own`;
}
