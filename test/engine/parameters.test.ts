import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParameterError, validateParameters, type ParameterDeclarations } from '../../src/engine/parameters';
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
    assert.match(problems({ on: { type: 'boolean' } }, { on: 3 }), /'on' must be true or false, got number 3$/);
    assert.match(problems({ on: { type: 'boolean' } }, { on: null }), /'on' must be true or false, got null$/);
  });
});
