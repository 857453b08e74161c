/**
 * Masks secret values as `***` in everything the engine stores or prints. Values come from the
 * environment, stored credentials, and whatever flows register at run time (access tokens).
 */

/** Environment variables whose values are secrets, whatever their length. */
export const SECRET_ENV_NAMES = [
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'FLOWDECK_GOOGLE_CLIENT_SECRET',
  'FLOWDECK_YOUTUBE_REFRESH_TOKEN',
] as const;

const SECRETISH_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
/** Shorter values are too likely to occur by chance in ordinary text (`true`, `1`, ...). */
const MIN_GENERIC_LENGTH = 8;

export class SecretMasker {
  private secrets: string[] = [];

  constructor(values: Iterable<string> = []) {
    for (const v of values) this.add(v);
  }

  add(value: string | undefined | null): void {
    if (typeof value !== 'string' || value.length < 4 || this.secrets.includes(value)) return;
    this.secrets.push(value);
    // Longest first, so a secret containing another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** The secret values, to hand to a worker that must mask the same. */
  values(): string[] {
    return [...this.secrets];
  }

  get size(): number {
    return this.secrets.length;
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join('***');
    }
    return out;
  }

  /** Deep copy of a JSON-like value with every string masked. */
  maskValue<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.mask(k)] = this.walk(v);
      return out;
    }
    return value;
  }
}

/** The secret values found in an environment. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if ((SECRET_ENV_NAMES as readonly string[]).includes(name)) out.push(value);
    else if (SECRETISH_NAME.test(name) && value.length >= MIN_GENERIC_LENGTH) out.push(value);
  }
  return out;
}
