import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretMasker, maskError, secretsFromEnv } from '../../src/engine/secrets';

/** Bytes chosen so that base64 and base64url differ (`+`/`/` against `-`/`_`) and URL-encoding changes it. */
const SECRET = 'ş3cr~t p@ss/wörd+?>>!';

describe('SecretMasker', { timeout: 30_000 }, () => {
  it('maskedHead: a secret across the cut is masked whole and nothing after it kept; one past the cut is left out, not shown in part', () => {
    const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    const masker = new SecretMasker([token]);
    const text = `${'a'.repeat(10)}${token} tail ${token}`;
    for (let chars = 0; chars <= text.length; chars++) {
      const head = masker.maskedHead(text, chars);
      for (let i = 0; i + 5 <= token.length; i++) assert.ok(!head.includes(token.slice(i, i + 5)), `cut at ${chars}: '${head}'`);
      assert.ok(head.startsWith('a'.repeat(Math.min(chars, 10))), head);
    }
    assert.equal(masker.maskedHead(text, 12), `${'a'.repeat(10)}***`);
    assert.equal(masker.maskedHead(text, 10), 'a'.repeat(10));
    assert.equal(masker.maskedHead(text, text.length), `${'a'.repeat(10)}*** tail ***`);
    assert.equal(new SecretMasker().maskedHead(text, 4), 'aaaa');
  });

  it('masks a secret verbatim and as URLs, forms, JSON and base64 encode it', () => {
    const masker = new SecretMasker([SECRET]);
    const b64 = Buffer.from(SECRET).toString('base64');
    const b64url = Buffer.from(SECRET).toString('base64url');
    assert.notEqual(b64.replace(/=+$/, ''), b64url, 'the secret should exercise both alphabets');
    const forms = {
      verbatim: SECRET,
      encodeURIComponent: encodeURIComponent(SECRET),
      'lower-case percent escapes': encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      'form with + for spaces': encodeURIComponent(SECRET).replace(/%20/g, '+'),
      URLSearchParams: new URLSearchParams({ q: SECRET }).toString().slice(2),
      'JSON string': JSON.stringify(SECRET).slice(1, -1),
      'base64 padded': b64,
      'base64 unpadded': b64.replace(/=+$/, ''),
      'base64url unpadded': b64url,
      'base64url padded': b64url.padEnd(Math.ceil(b64url.length / 4) * 4, '='),
    };
    for (const [name, form] of Object.entries(forms)) {
      assert.equal(masker.mask(`before ${form} after`), 'before *** after', name);
    }
    assert.equal(masker.mask(`https://api.example/x?token=${encodeURIComponent(SECRET)}&page=2`), 'https://api.example/x?token=***&page=2');
  });

  it('masks a secret base64-encoded inside a longer text, at each of the three byte offsets', () => {
    const masker = new SecretMasker(['hunter2-is-my-password']);
    for (const user of ['a', 'ab', 'abc', 'alice']) {
      const prefix = Buffer.byteLength(`${user}:`);
      for (const encoding of ['base64', 'base64url'] as const) {
        const header = Buffer.from(`${user}:hunter2-is-my-password`).toString(encoding);
        const masked = masker.mask(`Basic ${header}`);
        // What may stay visible: the characters that encode `user:` and the few that mix in the last bytes.
        assert.match(masked, new RegExp(`^Basic [A-Za-z0-9+/_-]{0,${Math.ceil((prefix * 8) / 6)}}\\*\\*\\*[A-Za-z0-9+/_-]{0,3}=*$`), `${user} ${encoding}: ${masked}`);
        const trailing = Buffer.from(`${user}:hunter2-is-my-password\n`).toString(encoding);
        assert.ok(masker.mask(trailing).includes('***'), `${user} ${encoding} followed by more bytes`);
      }
    }
  });

  it('masks the union of overlapping secrets and a longer secret whole', () => {
    const masker = new SecretMasker(['abcdef12', 'ef12ghij', 'secret', 'secret-longer']);
    assert.equal(masker.mask('x abcdef12ghij y'), 'x *** y');
    assert.equal(masker.mask('secret-longer secret'), '*** ***');
    assert.equal(masker.mask('secretsecret and abcdef12abcdef12'), '*** and ***');
    assert.equal(masker.mask('nothing to see'), 'nothing to see');
    assert.equal(masker.size, 4);
  });

  it('masks as well with hundreds of secrets (registered tokens) as with a few', () => {
    const secrets = Array.from({ length: 500 }, (_, i) => `tok-${i.toString(36)}-${'x'.repeat(i % 7)}${i * 7919}`);
    const masker = new SecretMasker(secrets);
    for (const secret of secrets) {
      assert.equal(masker.mask(`a ${secret} b ${Buffer.from(secret).toString('base64')} c`), 'a *** b *** c', secret);
    }
    assert.equal(masker.mask('tok-without-a-number'), 'tok-without-a-number');
  });

  it('ignores values too short to be secrets and treats regular-expression characters literally', () => {
    const masker = new SecretMasker(['abc', '', 'a.b*c+d?(e)[f]{g}|h\\i^j$k/l-m']);
    assert.equal(masker.size, 1);
    assert.equal(masker.mask('abc a.b*c+d?(e)[f]{g}|h\\i^j$k/l-m aXbcccd'), 'abc *** aXbcccd');
    masker.add(undefined);
    masker.add(null);
    assert.equal(new SecretMasker().mask('anything'), 'anything');
  });

  it('masks strings, object keys and Map keys at any depth, and copes with any value', () => {
    const masker = new SecretMasker(['tok-1234567']);
    const date = new Date(0);
    class Box {
      constructor(readonly inside: string) {}
    }
    const box = new Box('tok-1234567');
    const input = {
      'tok-1234567': ['a tok-1234567', { deep: [['tok-1234567']] }],
      map: new Map<unknown, unknown>([['tok-1234567', new Set(['tok-1234567', 1])]]),
      date,
      box,
      n: 1,
      nothing: null,
      missing: undefined,
    };
    const out = masker.maskValue(input) as unknown as Record<string, unknown>;
    assert.deepEqual(out['***'], ['a ***', { deep: [['***']] }]);
    assert.deepEqual(out.map, new Map([['***', new Set(['***', 1])]]));
    assert.equal(out.date, date);
    assert.equal(out.box, box, 'class instances are kept as they are');
    assert.equal(out.n, 1);
    assert.equal(out.nothing, null);
    assert.ok('missing' in out);
    assert.deepEqual(input['tok-1234567'], ['a tok-1234567', { deep: [['tok-1234567']] }], 'the input is not changed');

    const cyclic: Record<string, unknown> = { name: 'tok-1234567' };
    cyclic.self = cyclic;
    cyclic.list = [cyclic];
    const copy = masker.maskValue(cyclic);
    assert.equal(copy.name, '***');
    assert.equal(copy.self, copy);
    assert.equal((copy.list as unknown[])[0], copy);

    let deep: unknown = 'tok-1234567';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let inner = masker.maskValue(deep);
    for (let i = 0; i < 100_000; i++) inner = (inner as unknown[])[0];
    assert.equal(inner, '***');

    const proto = masker.maskValue(JSON.parse('{"__proto__": {"polluted": "tok-1234567"}}') as Record<string, unknown>);
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, { polluted: '***' });

    const getter = masker.maskValue({
      get broken(): string {
        throw new Error('no');
      },
      ok: 'tok-1234567',
    });
    assert.deepEqual(getter, { ok: '***' });
    assert.equal(masker.maskValue('tok-1234567'), '***');
    assert.equal(masker.maskValue(7n), 7n);
  });
});

describe('secretsFromEnv', { timeout: 30_000 }, () => {
  it('takes secret-sounding names, by word or by suffix, and leaves settings and short values', () => {
    const env = {
      GITHUB_TOKEN: 'ghp_abc',
      NPM_TOKEN: 'npm_abcdefgh',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-123',
      PGPASSWORD: 'pg-password-1',
      SMTP_PASS: 'smtp-pass-12',
      DB_PASSWD: 'db-passwd-12',
      MYSQL_PWD: 'mysql-pwd-12',
      STRIPE_KEY: 'sk_live_abcdef',
      NPM_CONFIG__AUTH: 'bnBtOmF1dGg=',
      PWD: '/home/someone/project',
      OLDPWD: '/home/someone',
      SSH_ASKPASS: '/usr/lib/ssh/x11-ssh-askpass',
      SSH_AUTH_SOCK: '/tmp/ssh-XXXX/agent.1',
      SORT_KEY: 'id',
      FEATURE_KEY: '1',
      USE_AUTH: 'true',
      TOKENIZERS_PARALLELISM: 'false',
      HOME: '/home/someone',
      EMPTY_TOKEN: '',
    };
    assert.deepEqual(new Set(secretsFromEnv(env)), new Set(['ghp_abc', 'npm_abcdefgh', 'aws-secret-123', 'pg-password-1', 'smtp-pass-12', 'db-passwd-12', 'mysql-pwd-12', 'sk_live_abcdef', 'bnBtOmF1dGg=']));
  });

  it('takes passwords from URLs and connection strings under any name, as written and decoded', () => {
    const env = {
      DATABASE_URL: 'postgres://app:s3cr%40t-pw@db.internal:5432/flows',
      CACHE: 'redis://:r3dis-pass@cache:6379/0',
      NOTIFY: 'https://bot:pw@hooks.example/notify',
      PLAIN: 'https://host:8080/path@not-a-password',
      PGCONN: "host=db user=app password='kw secret 1' dbname=x",
      MSSQL: 'Server=db;User Id=app;Password=ado-secret-2;',
      JDBC_URL: 'jdbc:postgresql://db/x?user=app&password=jdbc%2Bsecret&ssl=true',
    };
    const masker = new SecretMasker(secretsFromEnv(env));
    assert.equal(masker.mask('connecting to postgres://app:s3cr%40t-pw@db.internal:5432/flows'), 'connecting to postgres://***db.internal:5432/flows');
    assert.equal(masker.mask('password s3cr@t-pw'), 'password ***');
    assert.equal(masker.mask(`Authorization: Basic ${Buffer.from('app:s3cr@t-pw').toString('base64')}`), 'Authorization: Basic ***');
    assert.equal(masker.mask('redis://:r3dis-pass@cache:6379/0 and r3dis-pass'), 'redis://***cache:6379/0 and ***');
    // A password too short to mask everywhere is still masked inside its URL.
    assert.equal(masker.mask('posting to https://bot:pw@hooks.example/notify, pw stays a word'), 'posting to https://***hooks.example/notify, pw stays a word');
    assert.equal(masker.mask('https://host:8080/path@not-a-password'), 'https://host:8080/path@not-a-password');
    assert.equal(masker.mask('kw secret 1, ado-secret-2, jdbc+secret'), '***, ***, ***');
    assert.equal(masker.mask('jdbc:postgresql://db/x?user=app&password=jdbc%2Bsecret&ssl=true'), 'jdbc:postgresql://db/x?user=app&password=***&ssl=true');
    assert.deepEqual(secretsFromEnv({ MIRROR: 'ftp://anonymous@host/pub', SITE: 'https://example.com:8443/a?b=c' }), []);
    // libpq's TLS key passphrase, which the store's location leaves out as it leaves out the password.
    const tls = new SecretMasker(secretsFromEnv({ FLOWDECK_STORE: 'postgres://app@db/x?sslmode=verify-full&sslpassword=key-pass-77' }));
    assert.equal(tls.mask('postgres://app@db/x?sslmode=verify-full&sslpassword=key-pass-77'), 'postgres://app@db/x?sslmode=verify-full&sslpassword=***');
    // A query's `+` is a space to node-postgres, as to URLSearchParams: the password it connects with.
    const spaced = 'postgres://db/x?user=app&password=two+word+pass';
    assert.equal(new SecretMasker(secretsFromEnv({ FLOWDECK_STORE: spaced })).mask(`pw ${new URL(spaced).searchParams.get('password')}`), 'pw ***');
  });

  it("takes FLOWDECK_NOTIFY_URL whole: an incoming webhook's URL is its credential, and serve's runs inherit it", () => {
    const url = 'https://hooks.slack.com/services/T0001/B0002/WebhookPathSecret99';
    const masker = new SecretMasker(secretsFromEnv({ FLOWDECK_NOTIFY_URL: url }));
    assert.equal(masker.mask(`posting to ${url} failed`), 'posting to *** failed');
    assert.equal(masker.mask(`url=${encodeURIComponent(url)}`), 'url=***');
  });

  it('takes a password holding an unescaped @ whole, to the last @ before the host, as URL parsers and node-postgres read it', () => {
    const url = 'postgres://app:ab@Cdefgh12XY@db.internal:5432/flows';
    const masker = new SecretMasker(secretsFromEnv({ FLOWDECK_STORE: url }));
    const parsed = new URL(url);
    assert.equal(masker.mask(url), 'postgres://***db.internal:5432/flows');
    assert.equal(masker.mask(`pw ${decodeURIComponent(parsed.password)} as parsed ${parsed.password}`), 'pw *** as parsed ***');
    assert.equal(masker.mask(`Basic ${Buffer.from('app:ab@Cdefgh12XY').toString('base64')}`), 'Basic ***');
  });
});

describe('maskError', { timeout: 30_000 }, () => {
  it('prints the stack and every cause, masked', () => {
    const masker = new SecretMasker(['tok-1234567']);
    const root = new Error('socket closed for tok-1234567');
    const outer = new Error('request with tok-1234567 failed', { cause: root });
    const text = maskError(masker, outer);
    assert.ok(!text.includes('tok-1234567'));
    assert.match(text, /^Error: request with \*\*\* failed\n\s+at /);
    assert.match(text, /\nCaused by: Error: socket closed for \*\*\*\n\s+at /);
  });

  it('copes with causes that loop, aggregate errors, non-errors and a message changed after creation', () => {
    const masker = new SecretMasker(['tok-1234567']);
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(maskError(masker, a).split('Caused by:').length, 2);
    const aggregate = new AggregateError([new Error('one tok-1234567'), 'two'], 'both failed');
    assert.match(maskError(masker, aggregate), /both failed[\s\S]*\[0\] Error: one \*\*\*\n {2}\[1\] two/);
    assert.equal(maskError(masker, 'plain tok-1234567'), 'plain ***');
    assert.equal(maskError(masker, { toString: () => { throw new Error('no'); } }), '(an unprintable object)');
    const changed = new Error('first');
    assert.ok(changed.stack);
    changed.message = 'second tok-1234567';
    assert.match(maskError(masker, changed), /^Error: second \*\*\*\n {4}at /);
    assert.ok(!maskError(masker, changed).includes('first'));
    assert.equal(maskError(masker, new Error('x', { cause: 'why tok-1234567' })).split('\n').at(-1), 'Caused by: why ***');
  });
});
