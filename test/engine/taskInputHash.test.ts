/** taskInputHash as a cache key: equal data shares a key, different data never does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { taskInputHash } from '../../src/engine/taskInputHash';

describe('taskInputHash', { timeout: 30_000 }, () => {
  it('equal data in another key order shares a key', () => {
    assert.equal(taskInputHash({ b: { d: 1, c: 2 }, a: 1 }), taskInputHash({ a: 1, b: { c: 2, d: 1 } }));
  });

  it("never keys an object with an own `__proto__` key (parsed JSON) as the object without it: such a call is not cached", () => {
    const plain = taskInputHash({ x: 1 });
    for (const text of ['{"__proto__": 5, "x": 1}', '{"__proto__": 6, "x": 1}', '{"x": 1, "__proto__": {"admin": true}}']) {
      let key: string | undefined;
      try {
        key = taskInputHash(JSON.parse(text));
      } catch (e) {
        assert.equal((e as Error).name, 'UnhashableArguments', text);
        continue;
      }
      assert.notEqual(key, plain, `${text} is not { x: 1 }`);
    }
    // Both given as arguments, in any position.
    assert.throws(() => taskInputHash('q', [JSON.parse('{"__proto__": 1}')]), { name: 'UnhashableArguments' });
  });
});
