/** Fifo: the queue of a Postgres run's unwritten appends (pgRunHandle.ts), taken off in order across its compactions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fifo } from '../../src/engine/fifo';

test('a Fifo gives its items back in the order they came, however pushes and shifts interleave, across compactions', () => {
  const q = new Fifo<number>();
  assert.equal(q.shift(), undefined);
  assert.equal(q.peek(), undefined);
  const out: number[] = [];
  let pushed = 0;
  // A backlog of 50,000 (pgRunHandle's bound) taken off while appends still come, one for every two taken off:
  // compacted several times with items still in it.
  for (; pushed < 50_000; pushed++) q.push(pushed);
  while (q.length >= 2) {
    q.push(pushed++);
    for (let i = 0; i < 2; i++) {
      assert.equal(q.peek(), out.length);
      out.push(q.shift()!);
    }
    assert.equal(q.length, pushed - out.length);
  }
  while (q.length > 0) out.push(q.shift()!);
  assert.equal(q.shift(), undefined);
  assert.deepEqual(out, Array.from({ length: pushed }, (_, i) => i));
  // Emptied, it starts again.
  q.push(7);
  assert.equal(q.length, 1);
  assert.equal(q.shift(), 7);
});
