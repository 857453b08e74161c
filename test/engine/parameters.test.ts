import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parameterInput } from '../../src/cli/parameterArgs';
import { ParameterError, checkDeclarations, parametersFromText, refusalOf, validateParameters, type ParameterDeclarations } from '../../src/engine/parameters';
import { toJsonView } from '../../src/engine/serializer';
import { SecretMasker } from '../../src/engine/secrets';

const LONG_SECRET = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789';
const SHORT_SECRET = 'ghp_0123456789abcdefghij';

function problems(declarations: ParameterDeclarations, given: Record<string, unknown>, mask?: (text: string) => string): string {
  try {
    validateParameters('f', declarations, given, mask === undefined ? {} : { mask });
  } catch (e) {
    assert.ok(e instanceof ParameterError);
    return e.message;
  }
  assert.fail('expected a ParameterError');
}

/** Every 8-character piece of the secret: none may show, or a secret could be read off in pieces. */
function assertNoPieceOf(secret: string, text: string): void {
  for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!text.includes(secret.slice(i, i + 8)), `"${secret.slice(i, i + 8)}" shows in: ${text}`);
}

describe('parameter errors and secrets', { timeout: 30_000 }, () => {
  it('masks a value whole before cutting it short, so no prefix of a secret is quoted', () => {
    const masker = new SecretMasker([LONG_SECRET, SHORT_SECRET]);
    const mask = (text: string): string => masker.mask(text);
    const decl: ParameterDeclarations = { token: { type: 'number' } };
    for (const secret of [LONG_SECRET, SHORT_SECRET]) {
      const message = problems(decl, { token: secret }, mask);
      assert.equal(message, `Invalid parameters for flow 'f': 'token' must be a number, got the string "***"`);
      const embedded = problems(decl, { token: `Bearer ${secret} and then a long tail of ordinary words` }, mask);
      assert.match(embedded, /got the string "Bearer \*\*\* and then a long tail of ordin…"$/);
      assertNoPieceOf(secret, embedded);
    }
    const choice = problems({ mode: { type: 'string', enum: ['fast', 'slow'] } }, { mode: LONG_SECRET }, mask);
    assert.match(choice, /'mode' must be one of "fast", "slow", got "\*\*\*"$/);
    const pattern = problems({ repo: { type: 'string', pattern: '[a-z]+/[a-z]+' } }, { repo: LONG_SECRET }, mask);
    assert.match(pattern, /'repo' = "\*\*\*" does not match the pattern/);
    const key = problems({ repo: { type: 'string' } }, { [LONG_SECRET]: 1 }, mask);
    assert.match(key, /unknown parameter '\*\*\*' \(expected one of: repo\)/);
    const pin = new SecretMasker(['40961234']);
    assert.match(problems({ n: { type: 'integer', maximum: 10 } }, { n: 40961234 }, (t) => pin.mask(t)), /'n' must be ≤ 10, got \*\*\*$/);
  });

  it('without a mask, quotes a string only whole, so masking the message afterwards still works', () => {
    const decl: ParameterDeclarations = { token: { type: 'number' } };
    const short = problems(decl, { token: SHORT_SECRET });
    assert.equal(new SecretMasker([SHORT_SECRET]).mask(short), `Invalid parameters for flow 'f': 'token' must be a number, got the string "***"`);
    const long = problems(decl, { token: LONG_SECRET });
    assert.equal(long, `Invalid parameters for flow 'f': 'token' must be a number, got a string of ${LONG_SECRET.length} characters`);
    assertNoPieceOf(LONG_SECRET, problems({ mode: { type: 'string', enum: ['a'] } }, { mode: LONG_SECRET }));
    assertNoPieceOf(LONG_SECRET, problems({ repo: { type: 'string' } }, { [LONG_SECRET]: 1 }));
    assert.match(problems({ times: { type: 'integer' } }, { times: 'lots' }), /'times' must be an integer, got the string "lots"$/);
    assert.match(problems({ times: { type: 'integer' } }, { times: 1.5 }), /'times' must be an integer, got 1\.5$/);
    // Beyond ±(2^53 − 1) the number is not the integer given (99999999999999999999999 reads as 1e+23).
    assert.match(problems({ times: { type: 'integer' } }, { times: Number('99999999999999999999999') }), /'times' must be an integer from -9007199254740991 to 9007199254740991, which numbers hold exactly; got 1e\+23 \(to pass a larger one, declare 'times' as a string\)$/);
    assert.match(problems({ times: { type: 'integer' } }, { times: -(2 ** 53) }), /'times' must be an integer from -9007199254740991/);
    assert.deepEqual(validateParameters('f', { times: { type: 'integer' } }, { times: Number.MAX_SAFE_INTEGER }), { times: Number.MAX_SAFE_INTEGER });
    assert.match(problems({ on: { type: 'boolean' } }, { on: 3 }), /'on' must be true or false, got number 3$/);
    assert.match(problems({ on: { type: 'boolean' } }, { on: null }), /'on' must be true or false, got null$/);
  });
});

describe('--param text, read by the declared type', { timeout: 30_000 }, () => {
  const decl: ParameterDeclarations = {
    version: { type: 'string' },
    ratio: { type: 'number' },
    times: { type: 'integer' },
    dry: { type: 'boolean' },
    options: { type: 'object' },
    tags: { type: 'array' },
  };
  const textProblems = (texts: Record<string, string>, declarations: ParameterDeclarations | undefined = decl): string => {
    try {
      parametersFromText('f', declarations, texts);
    } catch (e) {
      assert.ok(e instanceof ParameterError);
      return e.message;
    }
    assert.fail('expected a ParameterError');
  };

  it('keeps a string as typed, parses numbers, booleans and JSON, and guesses only undeclared parameters as JSON', () => {
    const texts = { version: '2.0', ratio: '0.25', times: '3', dry: 'false', options: '{"a":[1]}', tags: '["x"]' };
    assert.deepEqual(parametersFromText('f', decl, texts), { version: '2.0', ratio: 0.25, times: 3, dry: false, options: { a: [1] }, tags: ['x'] });
    assert.deepEqual(parametersFromText('f', decl, { version: 'true' }), { version: 'true' });
    assert.deepEqual(parametersFromText('f', undefined, { version: '2.0', name: 'Ada', on: 'true', list: '[1]' }), { version: 2, name: 'Ada', on: true, list: [1] });
  });

  it('rejects a value with its text and says how to pass it', () => {
    assert.equal(textProblems({ ratio: '1e400' }), `Invalid parameters for flow 'f': 'ratio' must be a number, got "1e400" (not a finite number); pass it as --param ratio=0.5`);
    assert.match(textProblems({ ratio: 'NaN' }), /'ratio' must be a number, got "NaN" \(not a number\); pass it as --param ratio=0\.5/);
    assert.match(textProblems({ times: 'lots' }), /'times' must be a whole number, got "lots" \(not a number\); pass it as --param times=42/);
    assert.match(textProblems({ dry: 'yes' }), /'dry' must be true or false, got "yes" \(neither true nor false\); pass it as --param dry=true or --param dry=false/);
    assert.match(textProblems({ options: '{a:1}' }), /'options' must be a JSON object, got "\{a:1\}" \(not JSON\); pass it as --param 'options=\{"key":"value"\}'/);
    assert.match(textProblems({ tags: '{"a":1}' }), /'tags' must be a JSON array, got "\{\\"a\\":1\}" \(JSON, but not an array\); pass it as --param 'tags=\["a","b"\]'/);
    assert.match(textProblems({ big: '1e400' }, undefined), /'big' = "1e400" is not a finite number; to pass it as text, declare 'big' as a string parameter/);
    // A whole number is checked by the declaration itself after reading.
    assert.match(problems({ times: { type: 'integer' } }, parametersFromText('f', { times: { type: 'integer' } }, { times: '1.5' })), /'times' must be an integer, got 1\.5/);
  });

  it('reads a number only as a decimal JSON number and a boolean only as true or false, as README says; refuses what Number() or a lower-cased guess would have read', () => {
    assert.deepEqual(parametersFromText('f', decl, { ratio: '1e3', times: '-0' }), { ratio: 1000, times: -0 });
    assert.deepEqual(parametersFromText('f', decl, { ratio: '-0.5E-2', dry: 'true' }), { ratio: -0.005, dry: true });
    for (const [text, reason] of [
      ['0x10', 'not a decimal number as JSON writes it, like 16, -0.5 or 1e3'],
      ['0b1', 'not a decimal number as JSON writes it, like 16, -0.5 or 1e3'],
      ['0o7', 'not a decimal number as JSON writes it, like 16, -0.5 or 1e3'],
      ['+1', 'not a decimal number as JSON writes it, like 16, -0.5 or 1e3'],
      ['.5', 'not a decimal number as JSON writes it, like 16, -0.5 or 1e3'],
      ['012', 'not a decimal number as JSON writes it, like 16, -0.5 or 1e3'],
      ['1_000', 'not a number'],
      [' 12 ', 'spaces around the number'],
      ['', 'empty'],
      ['Infinity', 'not a finite number'],
      ['-Infinity', 'not a finite number'],
    ] as const) {
      assert.equal(textProblems({ ratio: text }), `Invalid parameters for flow 'f': 'ratio' must be a number, got ${JSON.stringify(text)} (${reason}); pass it as --param ratio=0.5`, text);
    }
    assert.match(textProblems({ times: '0x10' }), /'times' must be a whole number, got "0x10" \(not a decimal number as JSON writes it, like 16, -0\.5 or 1e3\); pass it as --param times=42/);
    for (const text of ['TRUE', 'True', ' true', 'false\n']) {
      assert.match(textProblems({ dry: text }), new RegExp(`'dry' must be true or false, got .+ \\(write it as (true|false), in lower case and nothing around it\\); pass it as --param dry=true or --param dry=false`), JSON.stringify(text));
    }
    for (const text of ['yes', '1', '0', '']) assert.match(textProblems({ dry: text }), /'dry' must be true or false, got "[^"]*" \(neither true nor false\)/, text);
  });

  it('never quotes a piece of a secret in a JSON text it cannot read', () => {
    const masker = new SecretMasker([LONG_SECRET]);
    let message = '';
    try {
      parametersFromText('f', decl, { options: `{"token": ${LONG_SECRET}}` }, { mask: (t) => masker.mask(t) });
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, /'options' must be a JSON object, got "\{\\"token\\": \*\*\*\}" \(not JSON\)/);
    assertNoPieceOf(LONG_SECRET, message);
  });
});

describe('parameters named __proto__ or constructor', { timeout: 30_000 }, () => {
  it('stay parameters, through --params, --param, validation and the JSON view, and pollute nothing', () => {
    const input = parameterInput({ params: '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}', param: ['__proto__={"polluted":"yes"}', 'toString=x'] }, (t) => t, '/');
    const merged = { ...input.parameters, ...parametersFromText('f', undefined, input.parameterText) };
    const validated = validateParameters('f', undefined, merged);
    for (const value of [input.parameters, input.parameterText, merged, validated]) {
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
      assert.ok(Object.hasOwn(value, '__proto__'));
    }
    assert.deepEqual(Object.keys(validated).sort(), ['__proto__', 'constructor', 'toString']);
    const view = toJsonView(validated) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(view)), { ['__proto__']: { polluted: 'yes' }, constructor: { prototype: { polluted: 'yes' } }, toString: 'x' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });

  it('a declared parameter named constructor gets its default, not Object.prototype.constructor', () => {
    const declarations: ParameterDeclarations = Object.fromEntries([['constructor', { type: 'string', default: 'ctor' }]]);
    assert.deepEqual(validateParameters('f', declarations, {}), { constructor: 'ctor' });
    assert.match(problems({ version: { type: 'string' } }, JSON.parse('{"__proto__": 1}') as Record<string, unknown>), /unknown parameter '__proto__'/);
  });
});

describe('declarations', { timeout: 30_000 }, () => {
  it('a misspelt type names the types, a default must fit its declaration, unknown fields are named', () => {
    assert.throws(() => checkDeclarations('f', JSON.parse('{"version": { "type": "strng" }}')), /flow 'f': parameter 'version' has type "strng", which is not a parameter type; the types are string, number, integer, boolean, object, array/);
    assert.throws(() => checkDeclarations('f', { n: { type: 'integer', default: 1.5 } }), /parameter 'n' has a default that does not fit its declaration: 'n' must be an integer, got 1\.5/);
    assert.throws(() => checkDeclarations('f', { mode: { type: 'string', enum: ['a', 'b'], default: 'c' } }), /default that does not fit.*must be one of "a", "b", got "c"/);
    assert.throws(() => checkDeclarations('f', { n: { type: 'number', defualt: 1 } }), /parameter 'n' has an unknown field 'defualt'; the fields are type, description, default/);
    assert.throws(() => checkDeclarations('f', { n: { type: 'number', minimum: '1' } }), /minimum must be a number/);
    assert.deepEqual(checkDeclarations('f', { n: { type: 'integer', default: 2, minimum: 1 } }), { n: { type: 'integer', default: 2, minimum: 1 } });
  });

  it('refuses a field its type never reads (pattern of a number, minimum of a string), bounds no value fits and enum values of another type', () => {
    assert.throws(() => checkDeclarations('f', { n: { type: 'number', pattern: '[0-9]+' } }), /^TypeError: flow 'f': parameter 'n': pattern is for a string parameter, not a number$/);
    assert.throws(() => checkDeclarations('f', { s: { type: 'string', minimum: 3 } }), /^TypeError: flow 'f': parameter 's': minimum is for a number or integer parameter, not a string$/);
    assert.throws(() => checkDeclarations('f', { a: { type: 'array', maximum: 3 } }), /maximum is for a number or integer parameter, not an array/);
    assert.throws(() => checkDeclarations('f', { n: { type: 'integer', minimum: 10, maximum: 1 } }), /parameter 'n': minimum 10 is greater than maximum 1, so no value fits/);
    assert.throws(() => checkDeclarations('f', { c: { type: 'string', enum: ['red', 2] } }), /parameter 'c': enum value 2 is not a string, so it can never be given/);
    assert.throws(() => checkDeclarations('f', { n: { type: 'integer', enum: [1, 1.5] } }), /enum value 1\.5 is not an integer/);
    assert.deepEqual(checkDeclarations('f', { n: { type: 'number', enum: [1, 2.5], minimum: 1, maximum: 1 } }), { n: { type: 'number', enum: [1, 2.5], minimum: 1, maximum: 1 } });
  });
});

describe('what a worker will refuse, judged before queuing (refusalOf)', { timeout: 30_000 }, () => {
  const declared = { who: { type: 'string', required: true }, times: { type: 'integer', default: 1 } };
  it('names the problems of parameters the declaration refuses, and takes what it accepts (defaults applying)', () => {
    const missing = refusalOf('greet', declared, {});
    assert.ok(missing instanceof ParameterError);
    assert.equal(missing.message, "Invalid parameters for flow 'greet': missing required parameter 'who'");
    assert.match(refusalOf('greet', declared, { who: 'Ada', times: 'often' })!.message, /'times' must be an integer, got the string "often"/);
    assert.equal(refusalOf('greet', declared, { who: 'Ada' }), undefined);
  });
  it('leaves to the worker a flow without a declaration, and a declaration the worker itself refuses', () => {
    assert.equal(refusalOf('any', undefined, { anything: 1 }), undefined);
    assert.equal(refusalOf('bad', { who: { type: 'strng' } }, {}), undefined);
  });
});
