/**
 * "Run on Workers…" refuses parameters holding a secret the editor knows, as `flowdeck run --queue` refuses
 * those of its environment: a queued run's parameters wait in the store, shared by every machine, as given
 * (a worker could not run with `***`), for a worker to take it up.
 */
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import type { EditorSecrets } from '../schedules/scheduleSecrets';

/** Shown of the parameters, masked, in the refusal. */
const SHOWN_PARAMETERS = 200;

/** Throws (the secret masked in its message) when a parameter holds a secret the editor knows. */
export function refuseQueuedSecrets(parameters: Record<string, unknown>, secrets: EditorSecrets): void {
  const masker = new SecretMasker([...secretsFromEnv(secrets.env), ...secretsFromEnv(secrets.accounts)]);
  const text = JSON.stringify(parameters);
  const masked = masker.mask(text);
  if (masked === text) return;
  const shown = masked.length > SHOWN_PARAMETERS ? `${masked.slice(0, SHOWN_PARAMETERS - 1)}…` : masked;
  throw new Error(`a parameter holds a secret (${shown}); a queued run's parameters are kept in the store until a worker takes it up, so nothing was queued: let the flow read the secret from the worker's environment instead`);
}
