import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeGate } from '../../src/extension/util/changeGate';

/** A view's content the test changes, and the redraws the gate asks for. */
function view(initial: string) {
  const v = { content: initial, redraws: 0, reads: 0 };
  const gate = new ChangeGate(
    async () => {
      v.reads++;
      return v.content;
    },
    (content) => content,
    () => v.redraws++,
  );
  return { v, gate };
}

test('a word that changes nothing shown does not redraw the view', { timeout: 10_000 }, async () => {
  const { v, gate } = view('hello,failing');
  gate.drawn('hello,failing');
  await gate.poke();
  await gate.poke();
  assert.equal(v.redraws, 0);
  assert.equal(v.reads, 2);
});

test('a change redraws once; the same content again does not', { timeout: 10_000 }, async () => {
  const { v, gate } = view('hello');
  gate.drawn('hello');
  v.content = 'hello,ticker';
  await gate.poke();
  assert.equal(v.redraws, 1);
  await gate.poke();
  assert.equal(v.redraws, 1, 'the gate remembers what it asked to draw');
  v.content = 'hello';
  await gate.poke();
  assert.equal(v.redraws, 2, 'a change back is a change too');
});

test('before the first drawing is known, a word redraws', { timeout: 10_000 }, async () => {
  const { v, gate } = view('hello');
  await gate.poke();
  assert.equal(v.redraws, 1);
});

test('a burst of words is read at most twice (the one going and one after it) and redraws once', { timeout: 10_000 }, async () => {
  let release!: () => void;
  const first = new Promise<void>((r) => (release = r));
  let reads = 0;
  let redraws = 0;
  let content = 'a';
  const gate = new ChangeGate(
    async () => {
      reads++;
      if (reads === 1) await first;
      return content;
    },
    (c) => c,
    () => redraws++,
  );
  gate.drawn('a');
  const going = gate.poke();
  await new Promise((r) => setImmediate(r)); // the first check has started and waits in its read
  content = 'b';
  const burst = Array.from({ length: 50 }, () => gate.poke());
  release();
  await Promise.all([going, ...burst]);
  assert.equal(reads, 2, 'words during a check share one check after it');
  assert.equal(redraws, 1, 'the change made during the first read is drawn once');
});

test('a read that fails redraws rather than leave the view stale, and the gate keeps working', { timeout: 10_000 }, async () => {
  let fail = true;
  let redraws = 0;
  const seen: (string | undefined)[] = [];
  const gate = new ChangeGate(
    async () => {
      if (fail) throw new Error('store closed');
      return 'x';
    },
    (c) => c,
    (now) => {
      redraws++;
      seen.push(now);
    },
  );
  gate.drawn('x');
  await gate.poke();
  assert.equal(redraws, 1);
  fail = false;
  await gate.poke();
  assert.equal(redraws, 2, 'after a failed read the drawn content is unknown: the next good read redraws');
  assert.deepEqual(seen, [undefined, 'x'], 'a failed read redraws all (nothing to redraw from), a good one hands its content on');
  await gate.poke();
  assert.equal(redraws, 2);
});
