import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { ROOT, tempDir, waitFor } from '../support/engine';

const STORE = join(ROOT, 'src', 'engine', 'embeddedStore.ts');

test('limits are set, listed and removed; bad tags and limits are refused saying why', { timeout: 30_000 }, async () => {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  await store.limits.set('github-api', 2);
  await store.limits.set('api', 1);
  await store.limits.set('api', 3);
  assert.deepEqual(await store.limits.list(), [{ tag: 'api', limit: 3 }, { tag: 'github-api', limit: 2 }]);
  assert.equal(await store.limits.remove('api'), true);
  assert.equal(await store.limits.remove('api'), false);
  assert.deepEqual(await store.limits.list(), [{ tag: 'github-api', limit: 2 }]);
  await assert.rejects(store.limits.set('../etc', 1), /cannot be limited/);
  await assert.rejects(store.limits.set('api', 0), /whole number from 1 to 1000/);
  await assert.rejects(store.limits.set('api', 1.5), /whole number/);
  await store.close();
});

test('a limit of 2 gives out two slots; a released slot is given again', { timeout: 30_000 }, async () => {
  const store = await EmbeddedStore.open(tempDir());
  const holder = (n: number) => ({ runId: 'r', taskRunId: `t${n}` });
  const a = await store.limits.tryAcquire('api', 2, holder(1));
  const b = await store.limits.tryAcquire('api', 2, holder(2));
  assert.ok(a && b);
  assert.equal(await store.limits.tryAcquire('api', 2, holder(3)), undefined);
  assert.deepEqual((await store.limits.leases('api')).map((l) => l.holder.taskRunId), ['t1', 't2']);
  await store.limits.release(a);
  const c = await store.limits.tryAcquire('api', 2, holder(3));
  assert.equal(c?.slot, a.slot);
  await store.close();
});

test("a killed holder's slot is taken back at once", { timeout: 60_000 }, async () => {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  const script = `const { EmbeddedStore } = require(${JSON.stringify(STORE)});
(async () => { const s = await EmbeddedStore.open(${JSON.stringify(home)}); const l = await s.limits.tryAcquire('api', 1, { runId: 'other', taskRunId: 't' }); console.log(l ? 'held' : 'none'); setInterval(() => {}, 1000); })();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise((r) => child.on('close', r));
  await waitFor(() => out.includes('held'), 'the other process to hold the slot', 30_000);
  assert.equal(await store.limits.tryAcquire('api', 1, { runId: 'me', taskRunId: 't' }), undefined);
  child.kill('SIGKILL');
  await exited;
  const lease = await store.limits.tryAcquire('api', 1, { runId: 'me', taskRunId: 't' });
  assert.ok(lease, 'the slot of the killed process is free');
  assert.deepEqual((await store.limits.leases('api')).map((l) => l.holder.runId), ['me']);
  await store.close();
});
