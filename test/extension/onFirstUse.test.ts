import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnFirstUse } from '../../src/extension/util/onFirstUse';

class Component {
  disposed = 0;
  dispose(): Promise<string> {
    this.disposed++;
    return Promise.resolve('stopped');
  }
}

test('a component is built on the first ask only, and the same one is given after', { timeout: 10_000 }, () => {
  let built = 0;
  const lazy = new OnFirstUse(() => (built++, new Component()));
  assert.equal(built, 0, 'nothing is built before it is asked for');
  const first = lazy.value;
  assert.equal(lazy.value, first);
  assert.equal(built, 1);
});

test('disposing disposes a built component once and hands back what its dispose() returned', { timeout: 10_000 }, async () => {
  const lazy = new OnFirstUse(() => new Component());
  const component = lazy.value;
  assert.equal(await lazy.dispose(), 'stopped');
  assert.equal(component.disposed, 1);
});

test('disposing a component never asked for builds nothing, and nothing is built after disposal', { timeout: 10_000 }, () => {
  let built = 0;
  const lazy = new OnFirstUse(() => (built++, new Component()));
  assert.equal(lazy.dispose(), undefined);
  assert.throws(() => lazy.value, /shutting down/);
  assert.equal(built, 0);
});

test('a component without dispose() can be held too', { timeout: 10_000 }, () => {
  const lazy = new OnFirstUse(() => ({ name: 'account' }));
  assert.equal(lazy.value.name, 'account');
  assert.equal(lazy.dispose(), undefined);
});
