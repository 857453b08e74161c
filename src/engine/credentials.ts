/**
 * The CLI's credential store: `<FLOWDECK_HOME>/credentials.json`, one entry per service
 * (`{ "youtube": { "client_id": ..., "refresh_token": ... } }`), readable only by its owner (mode 0600).
 * The VS Code extension keeps the same entries in SecretStorage instead; this module never imports vscode.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withLock } from './fileLock';
import { secretsFromEnv } from './secrets';
import { makeDirsSync } from './makeDirs';

export type ServiceCredentials = Record<string, unknown>;
export type CredentialStore = Record<string, ServiceCredentials>;

export class CredentialsFileError extends Error {
  override readonly name = 'CredentialsFileError';
}

export function credentialsPath(home: string): string {
  return join(home, 'credentials.json');
}

/** The stored credentials; `{}` when the file does not exist yet. */
export function readCredentials(home: string): CredentialStore {
  const path = credentialsPath(home);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  return parseStore(text, path);
}

/**
 * Merges `patch` into the entry of `service` and writes the file atomically with mode 0600, under a
 * cross-process lock so a flow run saving a refreshed token and `flowdeck auth` storing new ones do not
 * lose each other's update. Keys whose value is `undefined` are left as they are (a refreshed token answer
 * has no refresh_token and must not erase the stored one); `null` removes a key. Returns the merged entry.
 */
export function mergeCredentials(home: string, service: string, patch: ServiceCredentials): ServiceCredentials {
  const path = credentialsPath(home);
  makeDirsSync(dirname(path), 0o700);
  return withLock(`${path}.lock`, () => {
    const store = readCredentials(home);
    const entry: ServiceCredentials = { ...(store[service] ?? {}) };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete entry[key];
      else if (value !== undefined) entry[key] = value;
    }
    store[service] = entry;
    writeAtomically(path, `${JSON.stringify(store, null, 2)}\n`);
    return entry;
  });
}

/**
 * The environment variables that hand a service's credentials to runs directly, for headless runs (CI).
 * Only services whose flows refresh tokens are listed: the others have nothing to hand back.
 */
const CREDENTIAL_ENV_NAMES: Readonly<Record<string, readonly string[]>> = {
  youtube: ['FLOWDECK_GOOGLE_CLIENT_ID', 'FLOWDECK_GOOGLE_CLIENT_SECRET', 'FLOWDECK_YOUTUBE_REFRESH_TOKEN'],
};

/**
 * Whether tokens a run refreshed for `service` may be stored, given the environment the host itself was
 * started with (not what it adds to a run from its own store). When any of the service's credentials came
 * from that environment the refreshed tokens are theirs, not the stored account's: they stay in memory,
 * so credentials given to a CI job never end up on its disk.
 */
export function mayStoreRefreshedCredentials(service: string, hostEnv: NodeJS.ProcessEnv): boolean {
  return !(CREDENTIAL_ENV_NAMES[service] ?? []).some((name) => (hostEnv[name] ?? '').trim() !== '');
}

/** Stored keys whose values are secret: access_token, refresh_token, id_token, client_secret, token, password... */
const SECRET_KEY = /(^|_)(token|secret|password)$|(Token|Secret|Password)$/;

/** Shorter stored values would mask ordinary words in logs; real tokens and secrets are far longer. */
const MIN_SECRET_LENGTH = 6;

/**
 * Every secret value a run could print, for masking as `***`: the secret environment variables
 * (GITHUB_TOKEN, FLOWDECK_GOOGLE_CLIENT_SECRET, FLOWDECK_YOUTUBE_REFRESH_TOKEN, ...) and every token or
 * secret in the stored credentials. Longest first, so a secret that contains another is masked whole.
 */
export function secretValuesFrom(env: NodeJS.ProcessEnv, creds: CredentialStore): string[] {
  const values = new Set<string>(secretsFromEnv(env));
  for (const entry of Object.values(creds)) {
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH && SECRET_KEY.test(key)) values.add(value);
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

function parseStore(text: string, path: string): CredentialStore {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The content is not echoed: it holds secrets.
    throw new CredentialsFileError(`${path} is not valid JSON. Fix it or delete it and connect the services again.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CredentialsFileError(`${path} must hold a JSON object with one entry per service. Fix it or delete it.`);
  }
  const store: CredentialStore = {};
  for (const [service, entry] of Object.entries(parsed)) {
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) store[service] = entry as ServiceCredentials;
  }
  return store;
}

/** A reader never sees a half-written file: the content goes to a private temp file that replaces the old one. */
function writeAtomically(path: string, content: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The rename error is the one worth reporting.
    }
    throw error;
  }
}
