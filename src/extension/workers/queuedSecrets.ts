/**
 * "Run on Workers…" refuses parameters holding a secret the editor knows, as `flowdeck run --queue` refuses
 * those of its environment (queuedParameterSecrets).
 */
import type { ParameterDeclarations } from '../../engine/parameters';
import { queuedParameterSecrets } from '../../engine/queuedParameterSecrets';
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import type { EditorSecrets } from '../schedules/scheduleSecrets';

/** Throws (the secret masked in its message) when a parameter holds a secret the editor knows, or is declared secret. */
export function refuseQueuedSecrets(parameters: Record<string, unknown>, secrets: EditorSecrets, declarations?: ParameterDeclarations): void {
  const problem = queuedParameterSecrets(parameters, new SecretMasker([...secretsFromEnv(secrets.env), ...secretsFromEnv(secrets.accounts)]), declarations);
  if (problem !== undefined) throw new Error(problem);
}
