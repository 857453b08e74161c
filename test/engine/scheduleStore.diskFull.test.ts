/**
 * A schedule's slot claim on a full disk (a `serve` logged "ENOSPC: no space left on device, write", naming
 * no file): claiming a slot and noting its run fail naming the claim's file and why, as the rest of the
 * embedded store does.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/engine';
import { lastJson, noSmallDisk, tsOnSmallDisk } from '../support/smallDisk';

const T = { timeout: 120_000 };

describe('schedule store: a full disk', T, () => {
  it("claiming a slot and noting its run fail naming the slot's file and the full disk", async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    const r = tsOnSmallDisk(
      256,
      `import { EmbeddedStore } from ${JSON.stringify(join(ROOT, 'src/engine/embeddedStore'))};
import { fillDisk } from ${JSON.stringify(join(ROOT, 'test/support/smallDisk'))};
const outcome = (p: Promise<unknown>) => p.then(() => 'done', (e: Error) => e.message);
(async () => {
  const store = await EmbeddedStore.open('/mnt/home');
  const first = (await store.schedules.claimSlot('00000000cc', 60000)).claimed;
  fillDisk();
  const mark = await outcome(store.schedules.markSlotRun('00000000cc', 60000, 'run-1'));
  const claim = await outcome(store.schedules.claimSlot('00000000cc', 120000));
  console.log(JSON.stringify({ first, mark, claim }));
  process.exit(0);
})();`,
    );
    assert.equal(r.status, 0, r.stderr);
    const { first, mark, claim } = lastJson<{ first: boolean; mark: string; claim: string }>(r);
    assert.equal(first, true, 'the slot is claimed while there is room');
    assert.equal(mark, 'Could not write /mnt/home/schedules/slots/00000000cc/60000: no space left on the device (ENOSPC)');
    assert.equal(claim, 'Could not write /mnt/home/schedules/slots/00000000cc/120000: no space left on the device (ENOSPC)');
  });
});
