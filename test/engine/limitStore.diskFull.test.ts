/**
 * A concurrency-limit slot claimed on a full disk: `tryAcquire` failed with Node's bare "ENOSPC: no space
 * left on device, write", naming no file. It fails naming the slot's file and why, as the rest of the
 * embedded store does; so does a slot whose folder cannot be made (a file where a folder should be).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedLimitStore } from '../../src/engine/embeddedLimitStore';
import { ROOT, tempDir } from '../support/engine';
import { lastJson, noSmallDisk, tsOnSmallDisk } from '../support/smallDisk';

const T = { timeout: 120_000 };
const HOLDER = { runId: 'run-1', taskRunId: 'task-1' };

describe('limit store: a slot the disk refuses', T, () => {
  it("claiming a slot on a full disk fails naming the slot's file and the full disk", async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    const r = tsOnSmallDisk(
      256,
      `import { EmbeddedLimitStore } from ${JSON.stringify(join(ROOT, 'src/engine/embeddedLimitStore'))};
import { fillDisk } from ${JSON.stringify(join(ROOT, 'test/support/smallDisk'))};
(async () => {
  const limits = new EmbeddedLimitStore('/mnt/home', false);
  await limits.set('github-api', 2);
  const first = await limits.tryAcquire('github-api', 2, ${JSON.stringify(HOLDER)});
  fillDisk();
  const second = await limits.tryAcquire('github-api', 2, ${JSON.stringify(HOLDER)}).then(() => 'claimed', (e: Error) => e.name + ': ' + e.message);
  console.log(JSON.stringify({ first: first?.slot, second }));
  process.exit(0);
})();`,
    );
    assert.equal(r.status, 0, r.stderr);
    const { first, second } = lastJson<{ first: number; second: string }>(r);
    assert.equal(first, 0, 'a slot is claimed while there is room');
    assert.equal(second, 'StoreWriteError: Could not write /mnt/home/limits/leases/github-api/1: no space left on the device (ENOSPC)');
  });

  it('a slot whose folder cannot be made fails naming the folder and why', async () => {
    const home = tempDir();
    const limits = new EmbeddedLimitStore(home, false);
    await limits.set('github-api', 1);
    // A file where the slots' folder should be: every write under it fails (ENOTDIR), root or not.
    writeFileSync(join(home, 'limits', 'leases'), '');
    const e = await limits.tryAcquire('github-api', 1, HOLDER).then(() => undefined, (err: unknown) => err as Error & { path?: string });
    assert.equal(e?.name, 'StoreWriteError');
    assert.equal(e?.message, `Could not write ${join(home, 'limits', 'leases', 'github-api')}: a part of the path is a file, not a folder (ENOTDIR)`);
  });
});
