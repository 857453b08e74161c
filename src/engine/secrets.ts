/**
 * Masks secret values as `***` in everything the engine stores or prints. Values come from the
 * environment, stored credentials, and whatever flows register at run time (access tokens).
 *
 * A secret rarely leaks only verbatim: it ends up in a URL query, a JSON string or a Basic auth header, so
 * each secret is searched for in all its encoded forms (secretForms.ts), worked out once when it is added.
 * The union of every match is masked, so overlapping secrets cannot leave a piece showing.
 */
import { LiteralMatcher } from './literalMatcher';
import { encodedForms } from './secretForms';

export const MASK = '***';

/** Shorter secrets would mask ordinary words everywhere; a secret that short protects nothing anyway. */
const MIN_SECRET_LENGTH = 4;

export class SecretMasker {
  private readonly secrets = new Set<string>();
  /** Finds every form of every secret. */
  private readonly matcher = new LiteralMatcher();
  /** The longest form of any secret: how far past a cut one may reach. */
  private longest = 0;

  constructor(values: Iterable<string> = []) {
    for (const v of values) this.add(v);
  }

  add(value: string | undefined | null): void {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    for (const form of encodedForms(value)) {
      if (form.length < MIN_SECRET_LENGTH) continue;
      this.matcher.add(form);
      this.longest = Math.max(this.longest, form.length);
    }
  }

  /** The secret values (not their encodings), to hand to a worker that must mask the same. */
  values(): string[] {
    return [...this.secrets];
  }

  /** How many secrets (not counting their encodings). */
  get size(): number {
    return this.secrets.size;
  }

  mask(text: string): string {
    if (this.secrets.size === 0) return text;
    const found = this.matcher.find(text);
    if (found === undefined) return text;
    let out = '';
    let done = 0;
    let start = found[0]!;
    let end = found[1]!;
    for (let i = 2; i < found.length; i += 2) {
      // Matches come in order of their start; one starting within (or right after) the last extends it.
      if (found[i]! <= end) {
        end = Math.max(end, found[i + 1]!);
        continue;
      }
      out += `${text.slice(done, start)}${MASK}`;
      done = end;
      start = found[i]!;
      end = found[i + 1]!;
    }
    return `${out}${text.slice(done, start)}${MASK}${text.slice(end)}`;
  }

  /**
   * The first `chars` characters of `text`, masked: a secret reaching across the cut is kept whole, so masked
   * (never left showing in part, as masking a text already cut would), and nothing after it is kept. Text
   * that is cut must be cut this way, not cut and then masked.
   */
  maskedHead(text: string, chars: number): string {
    if (text.length <= chars) return this.mask(text);
    if (this.secrets.size === 0) return text.slice(0, chars);
    const window = text.slice(0, chars + this.longest);
    const found = this.matcher.find(window) ?? [];
    let cut = chars;
    for (let i = 0; i < found.length; i += 2) if (found[i]! < cut && found[i + 1]! > cut) cut = found[i + 1]!;
    return this.mask(text.slice(0, cut));
  }

  /**
   * A copy of `value` with every string masked, object keys and Map keys included, inside plain objects,
   * arrays, Maps and Sets at any depth. Other objects (Dates, class instances, buffers) are kept as they
   * are: callers hand over JSON-shaped data (results are made JSON-safe before they reach the host).
   * Shared and cyclic references stay shared and cyclic in the copy.
   */
  maskValue<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    return maskTree(value, (text) => this.mask(text)) as T;
  }
}

/**
 * The error as a user would want it printed — its stack (or `name: message`) and every `cause` after it —
 * with every secret masked. Own properties are left out: HTTP clients keep request headers there.
 */
export function maskError(masker: SecretMasker, error: unknown): string {
  return masker.mask(describeError(error));
}

const MAX_CAUSES = 8;

function describeError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (parts.length <= MAX_CAUSES && !seen.has(current)) {
    seen.add(current);
    parts.push(errorText(current));
    if (!(current instanceof Error) || current.cause === undefined) break;
    current = current.cause;
  }
  return parts.join('\nCaused by: ');
}

function errorText(error: unknown): string {
  try {
    if (error instanceof Error) {
      const stack = typeof error.stack === 'string' ? error.stack : '';
      // A stack read before the message was changed holds the old message: keep only its frames.
      const frames = stack.indexOf('\n    at ');
      const text = stack.includes(error.message) ? stack : `${error.name}: ${error.message}${frames === -1 ? '' : stack.slice(frames)}`;
      if (error instanceof AggregateError && Array.isArray(error.errors)) {
        return [text, ...error.errors.map((e: unknown, i: number) => `  [${i}] ${errorText(e).split('\n')[0]}`)].join('\n');
      }
      return text;
    }
    return String(error);
  } catch {
    // A getter or toString that throws: the type is all that can be said.
    return `(an unprintable ${typeof error})`;
  }
}

/** Environment variables whose values are secrets, whatever their length. */
export const SECRET_ENV_NAMES = [
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'FLOWDECK_GOOGLE_CLIENT_SECRET',
  'FLOWDECK_YOUTUBE_REFRESH_TOKEN',
  // `flowdeck serve`'s webhook, which its runs inherit: an incoming webhook's URL is its credential.
  'FLOWDECK_NOTIFY_URL',
] as const;

/**
 * Names that say "secret" anywhere (`NPM_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `PGPASSWORD`) or end like one
 * (`MYSQL_PWD`, `SMTP_PASS`, `STRIPE_KEY`, `NPM_CONFIG__AUTH`). Only suffixes after an underscore count,
 * so `PWD` (the working folder) and `SSH_ASKPASS` (a program) are not secrets.
 */
const SECRETISH_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL|_(?:PASS|PASSWD|PWD|KEY|AUTH)$/i;

/**
 * A value under a secret-sounding name is masked only from this length: `SORT_KEY=id`, `USE_AUTH=1` and
 * `TOKENIZERS_PARALLELISM=false` are settings, and masking `1` or `false` would ruin every log line.
 */
const MIN_GENERIC_LENGTH = 8;

/**
 * `scheme://user:password@`: the userinfo runs to the last `@` before the host (an unescaped `/`, `?` or `#`
 * ends the authority), and the password from its first `:`, as URL parsers (and node-postgres) read it, so
 * `postgres://app:p@ss@db/x` has the password `p@ss`.
 */
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/([^\s/?#]*)@/gi;

/**
 * `password=...` in key/value connection strings (libpq's `host=db password=pw`, ADO.NET's `Password=pw;`)
 * and URL queries (JDBC's `jdbc:postgresql://db/x?user=app&password=pw`); libpq's `sslpassword` (the TLS
 * key's passphrase) too, as the store's own redaction takes it.
 */
const KEYWORD_PASSWORD = /(?:^|[\s;?&])(?:(?:ssl)?password|pwd)\s*=\s*(?:'([^']+)'|"([^"]+)"|([^\s;&'"]+))/gi;

/**
 * The secret values found in an environment: the values of secret-sounding variables, and passwords in
 * connection strings under any name (`FLOWDECK_STORE=postgres://app:pw@db/flows`).
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if ((SECRET_ENV_NAMES as readonly string[]).includes(name)) out.add(value);
    else if (SECRETISH_NAME.test(name) && value.length >= MIN_GENERIC_LENGTH) out.add(value);
    for (const secret of connectionSecrets(value)) out.add(secret);
  }
  return [...out];
}

/**
 * Passwords in URLs and connection strings, as written and decoded; for URLs also `user:password` (what
 * Basic auth encodes) and `user:password@` as written, which masks the credentials in the URL itself even
 * when the password is too short to mask on its own.
 */
function connectionSecrets(text: string): string[] {
  const out = new Set<string>();
  for (const [, userinfo = ''] of text.matchAll(URL_USERINFO)) {
    const colon = userinfo.indexOf(':');
    const user = userinfo.slice(0, Math.max(colon, 0));
    const password = colon === -1 ? '' : userinfo.slice(colon + 1);
    if (password === '') continue;
    const decodedUser = decodeOrKeep(user);
    const decoded = decodeOrKeep(password);
    out.add(password);
    out.add(decoded);
    out.add(`${user}:${password}@`);
    out.add(`${decodedUser}:${decoded}`);
  }
  for (const match of text.matchAll(KEYWORD_PASSWORD)) {
    const password = match[1] ?? match[2] ?? match[3];
    if (password === undefined) continue;
    out.add(password).add(decodeOrKeep(password));
    // In a URL query, `+` is a space (URLSearchParams, node-postgres): `password=two+words` is `two words`.
    if (/^[?&]/.test(match[0])) out.add(decodeOrKeep(password.replace(/\+/g, ' ')));
  }
  return [...out];
}

function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Walks without recursion (a deeply nested value cannot overflow the stack) and copies what it can hold. */
function maskTree(root: unknown, mask: (text: string) => string): unknown {
  const copies = new Map<object, object>();
  const pending: Array<() => void> = [];
  const convert = (value: unknown): unknown => {
    if (typeof value === 'string') return mask(value);
    if (value === null || typeof value !== 'object') return value;
    const known = copies.get(value);
    if (known !== undefined) return known;
    const copy = emptyCopy(value);
    if (copy === undefined) return value;
    copies.set(value, copy);
    pending.push(() => fill(value, copy));
    return copy;
  };
  const fill = (source: object, copy: object): void => {
    if (Array.isArray(source)) {
      const out = copy as unknown[];
      for (let i = 0; i < source.length; i++) out[i] = convert(source[i]);
    } else if (source instanceof Map) {
      for (const [k, v] of source) (copy as Map<unknown, unknown>).set(convert(k), convert(v));
    } else if (source instanceof Set) {
      for (const v of source) (copy as Set<unknown>).add(convert(v));
    } else {
      for (const key of Object.keys(source)) {
        let v: unknown;
        try {
          v = (source as Record<string, unknown>)[key];
        } catch {
          continue;
        }
        const masked = mask(key);
        // `__proto__` as an own key (JSON.parse makes those) must stay a key, not become the prototype.
        if (masked === '__proto__') Object.defineProperty(copy, masked, { value: convert(v), enumerable: true, writable: true, configurable: true });
        else (copy as Record<string, unknown>)[masked] = convert(v);
      }
    }
  };
  const result = convert(root);
  for (let job = pending.pop(); job !== undefined; job = pending.pop()) job();
  return result;
}

function emptyCopy(value: object): object | undefined {
  try {
    if (Array.isArray(value)) return new Array<unknown>(value.length);
    if (value instanceof Map) return new Map();
    if (value instanceof Set) return new Set();
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype) return {};
    if (proto === null) return Object.create(null) as object;
  } catch {
    // A Proxy that refuses to say what it is is left alone.
  }
  return undefined;
}
