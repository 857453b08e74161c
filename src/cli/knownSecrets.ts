/**
 * A masker of the secrets a command knows — the secret environment variables and, given the store's home,
 * the stored credentials' tokens — for what it writes itself (a cancel's reason, a check of given tags)
 * before any run's host masks it.
 */
import { readCredentials, secretValuesFrom, type CredentialStore } from '../engine/credentials';
import { SecretMasker } from '../engine/secrets';

export function knownSecrets(env: NodeJS.ProcessEnv, home?: string): SecretMasker {
  let stored: CredentialStore = {};
  if (home !== undefined) {
    try {
      stored = readCredentials(home);
    } catch {
      // An unreadable credentials file: its tokens cannot be known here (the run's host says why).
    }
  }
  return new SecretMasker(secretValuesFrom(env, stored));
}
