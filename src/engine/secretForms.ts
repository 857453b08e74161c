/**
 * How a secret shows up once something has encoded it: a URL or a form (percent-encoded), a JSON string
 * (escaped), a Basic auth header or a token blob (base64). Each form is masked like the secret itself.
 */

/**
 * A base64 run shorter than this, cut from the middle of a longer base64 text, could match by chance in
 * unrelated encoded data (images, hashes).
 */
const MIN_BASE64_CORE = 8;

/** The secret itself and its encoded forms. */
export function encodedForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const uri = encodeURIComponent(secret);
  forms.add(uri);
  forms.add(uri.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  forms.add(uri.replace(/%20/g, '+'));
  // application/x-www-form-urlencoded (URLSearchParams, HTML forms) also escapes !'()~.
  forms.add(new URLSearchParams([['', secret]]).toString().slice(1));
  forms.add(JSON.stringify(secret).slice(1, -1));
  const bytes = Buffer.from(secret, 'utf8');
  for (const encoding of ['base64', 'base64url'] as const) {
    // Node pads base64 and not base64url; either is seen with and without padding.
    const bare = bytes.toString(encoding).replace(/=+$/, '');
    forms.add(bare);
    forms.add(bare.padEnd(Math.ceil(bare.length / 4) * 4, '='));
    for (const core of base64Cores(bytes, encoding)) if (core.length >= MIN_BASE64_CORE) forms.add(core);
  }
  return [...forms];
}

/**
 * Encoded inside a longer text (`user:secret` in a Basic auth header), the secret's bytes start at any of
 * three offsets within base64's 3-byte groups. For each offset, the characters that depend on the secret's
 * bytes alone are the same whatever surrounds it.
 */
function base64Cores(bytes: Buffer, encoding: 'base64' | 'base64url'): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(encoding);
    cores.push(encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)));
  }
  return cores;
}
