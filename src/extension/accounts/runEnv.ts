/**
 * The environment a run's worker gets from the editor: tokens from sign-ins and SecretStorage, the API
 * URL setting. Whatever the extension host's own environment already sets wins, as in the CLI (CI and
 * the end-to-end tests point flows at loopback APIs that way), so those names are left out here; the
 * worker inherits them from the host.
 */

export type EnvCandidates = Record<string, string | undefined>;

export function runEnv(hostEnv: NodeJS.ProcessEnv, candidates: EnvCandidates): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(candidates)) {
    if (value === undefined || value.trim() === '') continue;
    const own = hostEnv[name];
    if (own !== undefined && own.trim() !== '') continue;
    out[name] = value;
  }
  return out;
}

/** The YouTube credentials as SecretStorage keeps them (the same keys as the CLI's credentials.json). */
export interface YouTubeSecret {
  client_id: string;
  client_secret: string;
  refresh_token: string;
  access_token?: string;
  expiry_date?: number;
}

export function parseYouTubeSecret(text: string | undefined): YouTubeSecret | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const p = parsed as Record<string, unknown>;
  if (typeof p.client_id !== 'string' || typeof p.client_secret !== 'string' || typeof p.refresh_token !== 'string') return undefined;
  const secret: YouTubeSecret = { client_id: p.client_id, client_secret: p.client_secret, refresh_token: p.refresh_token };
  if (typeof p.access_token === 'string') secret.access_token = p.access_token;
  if (typeof p.expiry_date === 'number') secret.expiry_date = p.expiry_date;
  return secret;
}

/**
 * Folds a flow's refreshed tokens into the stored entry, as the CLI's mergeCredentials does: absent or
 * undefined keys keep their value (a refresh answer has no refresh_token), null removes an optional key.
 */
export function mergeYouTubeSecret(current: YouTubeSecret, patch: Record<string, unknown>): YouTubeSecret {
  const next: YouTubeSecret = { ...current };
  for (const key of ['client_id', 'client_secret', 'refresh_token', 'access_token'] as const) {
    const value = patch[key];
    if (typeof value === 'string' && value !== '') next[key] = value;
    else if (value === null && key === 'access_token') delete next[key];
  }
  if (typeof patch.expiry_date === 'number') next.expiry_date = patch.expiry_date;
  else if (patch.expiry_date === null) delete next.expiry_date;
  return next;
}

export function youTubeEnv(secret: YouTubeSecret | undefined): EnvCandidates {
  return {
    FLOWDECK_GOOGLE_CLIENT_ID: secret?.client_id,
    FLOWDECK_GOOGLE_CLIENT_SECRET: secret?.client_secret,
    FLOWDECK_YOUTUBE_REFRESH_TOKEN: secret?.refresh_token,
  };
}
