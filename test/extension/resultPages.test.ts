import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeOf, pageOf, PAGE_SIZE, valueAt } from '../../src/extension/runDetails/resultPages';

test('values preview as the viewer shows them before they open', () => {
  assert.deepEqual(nodeOf({ a: 1, b: 2 }), { kind: 'object', preview: '{…}', size: 2 });
  assert.deepEqual(nodeOf([1, 2, 3]), { kind: 'array', preview: '[…]', size: 3 });
  assert.deepEqual(nodeOf('hi "you"'), { kind: 'string', preview: '"hi \\"you\\""' });
  assert.deepEqual(nodeOf(null), { kind: 'null', preview: 'null' });
  assert.deepEqual(nodeOf(false), { kind: 'boolean', preview: 'false' });
  assert.ok(nodeOf('x'.repeat(100_000)).preview.length < 2100, 'a long string is cut');
});

test('a container opens a page at a time; paths reach into objects and arrays', () => {
  const result = { rows: Array.from({ length: 450 }, (_, i) => ({ id: i })), meta: { 'a.b': true } };
  const first = pageOf(result, ['rows'], 0)!;
  assert.equal(first.total, 450);
  assert.equal(first.entries.length, PAGE_SIZE);
  assert.deepEqual(first.entries[0], { key: '0', node: { kind: 'object', preview: '{…}', size: 1 } });
  const last = pageOf(result, ['rows'], 400)!;
  assert.deepEqual(last.entries.map((e) => e.key).slice(0, 2), ['400', '401']);
  assert.equal(last.entries.length, 50);
  assert.deepEqual(pageOf(result, ['rows', '7'], 0)!.entries, [{ key: 'id', node: { kind: 'number', preview: '7' } }]);
  assert.deepEqual(valueAt(result, ['meta', 'a.b']), { found: true, value: true });
});

test('paths that lead nowhere (or to a scalar, or up the prototype chain) give nothing', () => {
  const result = { rows: [1] };
  assert.equal(pageOf(result, ['nope'], 0), undefined);
  assert.equal(pageOf(result, ['rows', 0], 0), undefined, 'a number is not a container');
  assert.equal(pageOf(result, ['rows', '5'], 0), undefined);
  assert.equal(pageOf(result, ['__proto__'], 0), undefined);
  assert.equal(pageOf(result, ['constructor'], 0), undefined);
});
