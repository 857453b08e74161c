import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'devalue';
import { parseSerialized, serialize } from '../../src/engine/serializer';
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
      const text = serialize(v);
      assert.equal(text, stringify(v), `for ${String(v)}`);
      assert.deepEqual(parseSerialized(text), v);
      checked++;
    }
    // Arrays with holes and other prototypes go the long way and still match.
    // eslint-disable-next-line no-sparse-arrays
    for (const v of [[1, , 3], Object.assign(Object.create(null), { 0: 1 })]) assert.equal(serialize(v), stringify(v));
    // One argument, a map's call: its own fast path.
    // eslint-disable-next-line no-sparse-arrays
    for (const v of [[7], ['a'], [undefined], [null], [true], [-0], [NaN], ['"'], [{ a: 1 }], [[1]], [,]]) assert.equal(serialize(v), stringify(v), `for [${String(v[0])}]`);
    console.log(`serializer fast paths: ${checked} values matched devalue`);
  });
});
