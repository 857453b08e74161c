/** A number option's value is read from decimal digits only, not every form Number() takes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decimalNumber } from '../../src/cli/decimalNumber';

test('decimal digits are a number; hex, exponents, Infinity, padding, signs and empty text are not', { timeout: 10_000 }, () => {
  assert.equal(decimalNumber('16'), 16);
  assert.equal(decimalNumber('016'), 16);
  assert.equal(decimalNumber('0'), 0);
  for (const text of ['0x10', '0b1', '0o7', '1e3', '1E3', 'Infinity', ' 5', '5 ', '', '+5', '-1', '1.5', '1.', '.5', '99999999999999999999']) {
    assert.equal(decimalNumber(text), undefined, JSON.stringify(text));
  }
  assert.equal(decimalNumber('1.5', { fraction: true }), 1.5);
  assert.equal(decimalNumber('2', { fraction: true }), 2);
  for (const text of ['1e1', '1.', '.5', 'Infinity', '0x1']) assert.equal(decimalNumber(text, { fraction: true }), undefined, JSON.stringify(text));
});
