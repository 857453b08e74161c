/** The embedded store's limits across real processes (what every backend keeps is in storeContract.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { ROOT, tempDir, waitFor } from '../support/engine';

const STORE = join(ROOT, 'src', 'engine', 'embeddedStore.ts');

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
