/**
 * Claim files (claimFiles.ts): what a reader makes of one — a claim of a live or a dead process, a claim torn by
 * its writer's death (judged by its age), no file at all.
 */
import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClaim, isAbandoned, readClaim, UNREADABLE_CLAIM_MS } from '../../src/engine/claimFiles';
import { currentProcess } from '../../src/engine/processIdentity';
import { tempDir } from '../support/engine';

test('a claim is abandoned when its owner is dead, or when it stays unreadable past the bound; a live one never', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const live = join(dir, 'live');
  const created = await createClaim(live, { n: 1 });
  assert.ok(created);
  assert.equal(await createClaim(live, { n: 2 }), undefined, 'a second claim of the same file is refused');
  const held = await readClaim<{ n: number }>(live);
  assert.deepEqual(held?.claim, created);
  assert.equal(isAbandoned(held!), false);

  // The same process, started at another time: its PID was reused, so the owner is gone.
  const dead = join(dir, 'dead');
  const me = currentProcess();
  writeFileSync(dead, JSON.stringify({ owner: { ...me, startTicks: (me.startTicks ?? 0) + 1 }, nonce: 'abc', data: null }));
  const deadHeld = (await readClaim(dead))!;
  assert.equal(deadHeld.claim?.nonce, 'abc');
  assert.equal(isAbandoned(deadHeld), true);

  // Torn by a writer that died mid-write: not a claim, judged by the file's age.
  const torn = join(dir, 'torn');
  writeFileSync(torn, '{"owner":{"pid":');
  const fresh = (await readClaim(torn))!;
  assert.equal(fresh.claim, undefined);
  assert.equal(isAbandoned(fresh), false, 'a claim being written right now is left alone');
  const old = (Date.now() - UNREADABLE_CLAIM_MS - 60_000) / 1000;
  utimesSync(torn, old, old);
  const stale = (await readClaim(torn))!;
  assert.equal(stale.text, '{"owner":{"pid":');
  assert.equal(isAbandoned(stale), true);

  assert.equal(await readClaim(join(dir, 'none')), undefined);
});
