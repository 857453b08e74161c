/**
 * The one decision `flowdeck variable set` and the editor's "Variables…" make before a variable is stored: a
 * name or value holding a secret they know is refused (a variable is shown to whoever lists them, never
 * masked), and the refusal never quotes the secret.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SecretMasker } from '../../src/engine/secrets';
import { VariableError, refuseSecretVariable, typedVariableValue } from '../../src/engine/variables';

const token = 'ghp_' + 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8';
const masker = new SecretMasker([token]);
const mask = (text: string): string => masker.mask(text);

test('a value holding a known secret, as typed or inside a list, is refused without quoting it; plain data passes', { timeout: 10_000 }, () => {
  for (const typed of [token, `["octo/a", "Bearer ${token}"]`, `{"auth": {"token": "${token}"}}`]) {
    assert.throws(
      () => refuseSecretVariable('tok', typedVariableValue(typed), mask),
      (e: unknown) => e instanceof VariableError && /^variable 'tok' was given a secret's value \(GITHUB_TOKEN, a stored token…\): variables are kept in the store/.test(e.message) && !e.message.includes(token),
      typed,
    );
  }
  assert.doesNotThrow(() => refuseSecretVariable('tok', typedVariableValue('["octo/a", 3]'), mask));
  assert.doesNotThrow(() => refuseSecretVariable('tok', 'plain', mask));
});

test('a name holding a known secret is refused, the name masked in the message', { timeout: 10_000 }, () => {
  const lower = 'abcdef0123456789abcdef';
  const lowerMask = new SecretMasker([lower]);
  assert.throws(
    () => refuseSecretVariable(`x_${lower}`, 1, (t) => lowerMask.mask(t)),
    (e: unknown) => e instanceof VariableError && e.message.startsWith("variable 'x_***' was given a secret's value") && !e.message.includes(lower),
  );
});
