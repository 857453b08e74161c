/**
 * Parameters of a run queued for workers (`flowdeck run --queue`, the editor's Run on Workers…) wait in the
 * store, shared by every machine, as given — a worker could not run with `***` — until a worker takes the run
 * up: one holding a secret the queuing process knows is refused, never stored.
 */
import type { SecretMasker } from './secrets';
import type { ParameterDeclarations } from './types';

/** Shown of the parameters, masked, in the refusal. */
const SHOWN_PARAMETERS = 200;

/**
 * Why `parameters` may not be queued (the secret masked in it), or undefined when they may. A parameter
 * `declarations` declare secret (`secret: true`) is a secret whatever its value: given, it is refused too
 * (left out, the worker fills its default in from the flow file, stored nowhere).
 */
export function queuedParameterSecrets(parameters: Record<string, unknown>, masker: SecretMasker, declarations?: ParameterDeclarations): string | undefined {
  const declared = Object.keys(parameters).find((key) => declarations !== undefined && Object.hasOwn(declarations, key) && declarations[key]!.secret === true);
  if (declared !== undefined) {
    return `parameter '${declared}' is declared secret; a queued run's parameters are kept in the store until a worker takes it up, so nothing was queued: leave it out for its default, or let the flow read the secret from the worker's environment instead`;
  }
  const text = JSON.stringify(parameters);
  const masked = masker.mask(text);
  if (masked === text) return undefined;
  const shown = masked.length > SHOWN_PARAMETERS ? `${masked.slice(0, SHOWN_PARAMETERS - 1)}…` : masked;
  return `a parameter holds a secret (${shown}); a queued run's parameters are kept in the store until a worker takes it up, so nothing was queued: let the flow read the secret from the worker's environment instead`;
}
