/**
 * The run index's compaction on a full disk (QA hunt B, bug 2): it is an optimisation, so a store whose
 * index is due for one still opens (every writing command opens it), and a failed attempt leaves nothing
 * behind — no part of a snapshot, no new empty segment.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/engine';
import { lastJson, noSmallDisk, tsOnSmallDisk } from '../support/smallDisk';

const T = { timeout: 120_000 };

describe('run index: compaction on a full disk', T, () => {
  it('does not keep the store from opening, leaves no temporary file nor empty segment, and happens once there is room', async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    const r = tsOnSmallDisk(
      2048,
      `import { readdirSync, rmSync } from 'node:fs';
import { EmbeddedStore } from ${JSON.stringify(join(ROOT, 'src/engine/embeddedStore'))};
import { state } from ${JSON.stringify(join(ROOT, 'src/engine/states'))};
import { fillDisk } from ${JSON.stringify(join(ROOT, 'test/support/smallDisk'))};
const files = () => readdirSync('/mnt/home/runs').filter((f) => !['claims', 'names'].includes(f)).sort();
const outcome = (p: Promise<unknown>) => p.then(() => 'opened', (e: Error) => e.message);
(async () => {
  // One run with 1,200 index lines (a flow that retries): a compaction is due at the next open.
  const store = await EmbeddedStore.open('/mnt/home', { durable: false });
  await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
  const id = (await store.list())[0]!.id;
  for (let i = 0; i < 1200; i++) await store.setRunState(id, state(i % 2 ? 'Running' : 'AwaitingRetry'));
  await store.setRunState(id, state('Failed', 'again'));
  await store.close();
  const before = files();
  fillDisk();
  const opens = [];
  for (let i = 0; i < 3; i++) {
    let opened: EmbeddedStore | undefined;
    opens.push(await outcome(EmbeddedStore.open('/mnt/home').then((s) => (opened = s))));
    await opened?.close();
  }
  const full = files();
  rmSync('/mnt/filler');
  const again = await EmbeddedStore.open('/mnt/home');
  const listed = (await again.list()).map((r) => r.state.name);
  await again.close();
  console.log(JSON.stringify({ before, opens, full, room: files(), listed }));
  process.exit(0);
})();`,
    );
    assert.equal(r.status, 0, r.stderr);
    const { before, opens, full, room, listed } = lastJson<{ before: string[]; opens: string[]; full: string[]; room: string[]; listed: string[] }>(r);
    assert.deepEqual(opens, ['opened', 'opened', 'opened'], 'the store opens on a full disk though its compaction is due');
    assert.deepEqual(full, before, 'failed compactions leave no temporary file and no new segment');
    assert.ok(room.some((f) => /^snapshot-\d+\.jsonl$/.test(f)), `compacted once there is room: ${room.join(', ')}`);
    assert.deepEqual(room.filter((f) => f.endsWith('.tmp')), [], 'and no temporary file is left');
    assert.deepEqual(listed, ['Failed']);
  });
});
