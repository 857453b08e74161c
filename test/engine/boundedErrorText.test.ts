/** Error texts are cut to a bounded head on a character boundary, saying how long they were. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundedErrorText, failureOf, MAX_ERROR_TEXT_CHARS } from '../../src/engine/worker/errors';

test('an error text is cut to its head, never inside a surrogate pair, and says how long it was', { timeout: 30_000 }, () => {
  assert.equal(boundedErrorText('short'), 'short');
  const exact = 'x'.repeat(MAX_ERROR_TEXT_CHARS);
  assert.equal(boundedErrorText(exact), exact);
  // An emoji (two UTF-16 units) across the cut is left out whole, not halved.
  const text = `${'x'.repeat(MAX_ERROR_TEXT_CHARS - 1)}🚀${'y'.repeat(100)}`;
  const cut = boundedErrorText(text);
  assert.equal(cut, `${'x'.repeat(MAX_ERROR_TEXT_CHARS - 1)}… (cut: ${text.length.toLocaleString('en-US')} characters in all; error texts are limited to 16,384)`);
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(cut));
});

test("a failure's message, stack and causes are each bounded", { timeout: 30_000 }, () => {
  const huge = 'z'.repeat(1024 * 1024);
  const f = failureOf(new Error(huge, { cause: new Error(huge) }), '/nowhere');
  assert.ok(f.message.length < MAX_ERROR_TEXT_CHARS + 100);
  assert.ok(f.stack!.length < MAX_ERROR_TEXT_CHARS + 100);
  assert.ok(f.causes!.every((c) => c.length < MAX_ERROR_TEXT_CHARS + 100));
});
