import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'devalue';
import { devalueText, identityText, isStoredForm, parseSerialized, serialize, storedJsonView, textJsonView, toJsonView } from '../../src/engine/serializer';
import { SecretMasker } from '../../src/engine/secrets';
import { seeded } from '../support/seeded';

describe('serializer fast paths', { timeout: 60_000 }, () => {
  it('write exactly what devalue writes for primitives and short arrays of them (call identities depend on it)', () => {
    const rnd = seeded(7);
    const pieces = ['a', 'noop', '', '<', '"', '\\', '\n', 'é', '\u2028', '\ud800', '😀', 'x'.repeat(199), 'x'.repeat(200)];
    const value = (): unknown => {
      const r = rnd();
      if (r < 0.25) return Math.floor(rnd() * 2000) - 1000;
      if (r < 0.3) return [0.5, -0, NaN, Infinity, -Infinity, 1e21, 2 ** 53][Math.floor(rnd() * 7)];
      if (r < 0.35) return rnd() < 0.5;
      if (r < 0.4) return null;
      if (r < 0.45) return undefined;
      if (r < 0.5) return { a: 1 };
      return pieces[Math.floor(rnd() * pieces.length)]! + (rnd() < 0.3 ? String(Math.floor(rnd() * 3)) : '');
    };
    let checked = 0;
    for (let i = 0; i < 5000; i++) {
      const v = rnd() < 0.3 ? value() : Array.from({ length: Math.floor(rnd() * 20) }, value);
      const text = devalueText(v);
      assert.equal(text, stringify(v), `for ${String(v)}`);
      if (Array.isArray(v)) assert.equal(identityText(v).text, text, 'a short argument list is its devalue text');
      assert.deepEqual(parseSerialized(text), v);
      checked++;
    }
    // Arrays with holes and other prototypes go the long way and still match.
    // eslint-disable-next-line no-sparse-arrays
    for (const v of [[1, , 3], Object.assign(Object.create(null), { 0: 1 })]) assert.equal(devalueText(v), stringify(v));
    // One argument, a map's call: its own fast path.
    // eslint-disable-next-line no-sparse-arrays
    for (const v of [[7], ['a'], [undefined], [null], [true], [-0], [NaN], ['"'], [{ a: 1 }], [[1]], [,]]) assert.equal(devalueText(v), stringify(v), `for [${String(v[0])}]`);
    console.log(`serializer fast paths: ${checked} values matched devalue`);
  });
});

/** A random JSON-plain value: objects and arrays of strings, finite numbers, booleans and null. */
function plainValue(rnd: () => number, depth = 0): unknown {
  const r = rnd();
  if (depth < 4 && r < 0.2) return Array.from({ length: Math.floor(rnd() * 6) }, () => plainValue(rnd, depth + 1));
  if (depth < 4 && r < 0.4) {
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 6); i > 0; i--) o[['a', 'b', '10', '2', 'é', 'x y', '"', ''][Math.floor(rnd() * 8)]! + String(Math.floor(rnd() * 3))] = plainValue(rnd, depth + 1);
    return o;
  }
  if (r < 0.55) return Math.floor(rnd() * 2e6) / 7 - 1e5;
  if (r < 0.65) return rnd() < 0.5;
  if (r < 0.7) return null;
  return ['', 'a', '\n', '\u2028', '\ud800', '😀', '"q"', '\\', '<script>', 'x'.repeat(300)][Math.floor(rnd() * 10)]!;
}

describe('stored values in JSON form', { timeout: 60_000 }, () => {
  it('keep a JSON-plain value as its JSON, and bring it back equal, keys in their order', () => {
    const rnd = seeded(11);
    let json = 0;
    for (let i = 0; i < 3000; i++) {
      const v = { rows: plainValue(rnd), at: i };
      const text = serialize(v);
      assert.ok(text.startsWith('{"json":'), `JSON form for ${text.slice(0, 80)}`);
      json++;
      const back = parseSerialized(text);
      assert.deepEqual(back, v);
      assert.equal(JSON.stringify(back), JSON.stringify(v), 'same keys in the same order');
      assert.ok(isStoredForm(JSON.parse(text)));
      assert.deepEqual(textJsonView(text), toJsonView(v));
    }
    console.log(`stored values in JSON form: ${json} values round-tripped`);
  });

  it('keep what JSON would change the long way (devalue), and bring it back as it was', () => {
    const shared = { s: 1 };
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    class Point {
      constructor(readonly x: number) {}
    }
    const withToJson = Object.assign([1, 2], { toJSON: () => 'x' });
    const cases: [string, unknown][] = [
      ['-0', { n: -0 }],
      ['NaN', { n: NaN }],
      ['Infinity', [Infinity]],
      ['undefined in an object', { a: undefined }],
      ['undefined in an array', [1, undefined]],
      ['a hole', [1, , 3]], // eslint-disable-line no-sparse-arrays
      ['a shared object', { a: shared, b: shared }],
      ['a cycle', cyclic],
      ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
      ['a class instance', { p: new Point(1) }],
      ['a toJSON key', { toJSON: 'not a function' }],
      ['an array with toJSON', withToJson],
      ['a Date', { when: new Date(0) }],
      ['a Map', { m: new Map([[1, 2]]) }],
      ['a bigint', { b: 1n }],
    ];
    for (const [what, v] of cases) {
      const text = serialize(v);
      assert.ok(!text.startsWith('{"json"'), `${what}: devalue's form, got ${text}`);
      assert.equal(text, devalueText(v), `${what}: devalue's text`);
    }
    // They come back as they were.
    const back = parseSerialized(serialize({ a: shared, b: shared })) as { a: object; b: object };
    assert.equal(back.a, back.b, 'a shared object stays shared');
    const cycle = parseSerialized(serialize(cyclic)) as { self: unknown };
    assert.equal(cycle.self, cycle);
    assert.ok(Object.is((parseSerialized(serialize({ n: -0 })) as { n: number }).n, -0));
    // A `__proto__` key is not JSON's to keep (JSON.parse would make it an own key, other readers a prototype).
    assert.throws(() => serialize(JSON.parse('{"rows": [{"__proto__": {"polluted": true}}]}')), /Cannot keep objects with __proto__ keys/);
    // What cannot be kept at all still names where.
    assert.throws(() => serialize({ rows: [{ f: () => 1 }] }), /Cannot keep a function at \.rows\[0\]\.f/);
  });

  it('mask a secret in a JSON-plain value, in a string or a key', () => {
    const masker = new SecretMasker(['hunter2-secret']);
    const mask = (t: string): string => masker.mask(t);
    for (const v of [{ rows: [{ token: 'Bearer hunter2-secret' }] }, { rows: { 'hunter2-secret': 1 } }, ['a', 'hunter2-secret']]) {
      const text = serialize(v, mask);
      assert.ok(!text.includes('hunter2'), text);
      assert.match(JSON.stringify(toJsonView(parseSerialized(text))), /\*\*\*/);
    }
    // Without a secret in it, a masked value keeps the JSON form.
    assert.ok(serialize({ rows: [{ token: 'none here' }] }, mask).startsWith('{"json":'));
  });

  it('read both forms, and tell them from anything else', () => {
    assert.deepEqual(parseSerialized(stringify({ a: [1, 2] })), { a: [1, 2] });
    assert.deepEqual(parseSerialized('{"json":{"a":[1,2]}}'), { a: [1, 2] });
    assert.deepEqual(storedJsonView(JSON.parse(stringify({ when: new Date(0) }))), { when: '1970-01-01T00:00:00.000Z' });
    for (const form of [[1], -1, { json: null }]) assert.ok(isStoredForm(form), JSON.stringify(form));
    for (const other of ['x', null, true, {}, { json: 1, more: 2 }, { value: 1 }]) assert.ok(!isStoredForm(other), JSON.stringify(other));
  });

  it("make a long plain argument list's identity from its JSON, a short one from devalue", () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ id: i }));
    const long = identityText([rows]);
    assert.equal(long.json, true);
    assert.equal(long.text, JSON.stringify([rows]));
    const short = identityText([{ id: 1 }]);
    assert.deepEqual(short, { json: false, text: stringify([{ id: 1 }]) });
    // Few values, however long: devalue's text, without a look at their JSON (a map's call of one small object).
    assert.deepEqual(identityText(['x'.repeat(5000)]), { json: false, text: stringify(['x'.repeat(5000)]) });
    const dated = identityText([rows, new Date(0)]);
    assert.deepEqual(dated, { json: false, text: stringify([rows, new Date(0)]) });
  });
});

