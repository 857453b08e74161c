/**
 * `prune` and `delete` on a full disk: they write the runs' deletions to the index before removing their
 * files, and a full disk can take part of that batch — the last block of the index file has room for a few
 * dozen lines. The deletions that reached the disk stand, so those runs' files must go too (they are the
 * room the user wants back); the others stay listed with their files. Before: 72 of 150 runs vanished from
 * every listing while prune said it had failed, their journals left on the disk (a later prune did not
 * remove them either).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/engine';
import { lastJson, noSmallDisk, tsOnSmallDisk } from '../support/smallDisk';

const T = { timeout: 120_000 };

describe('prune on a full disk', T, () => {
  it('lists exactly the runs whose files are still there, and removes the files of those it recorded deleted', async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    const r = tsOnSmallDisk(
      4096,
      `import { readdirSync, rmSync } from 'node:fs';
import { EmbeddedStore } from ${JSON.stringify(join(ROOT, 'src/engine/embeddedStore'))};
import { state } from ${JSON.stringify(join(ROOT, 'src/engine/states'))};
import { fillDisk } from ${JSON.stringify(join(ROOT, 'test/support/smallDisk'))};
const journals = () => readdirSync('/mnt/home/runs').filter((f) => /^[0-9a-f-]{36}\\.jsonl$/.test(f)).map((f) => f.slice(0, 36)).sort();
const listed = async () => {
  const s = await EmbeddedStore.open('/mnt/home');
  const ids = (await s.list({ limit: 1000 })).map((x) => x.id).sort();
  await s.close();
  return ids;
};
(async () => {
  const store = await EmbeddedStore.open('/mnt/home', { durable: false });
  for (let i = 0; i < 150; i++) {
    const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
    await store.setRunState(h.id, state('Completed'));
    await h.close();
  }
  await store.close();
  const made = journals().length;
  fillDisk();
  const full = await EmbeddedStore.open('/mnt/home');
  const pruned = await full.prune(0).then((ids) => 'deleted ' + ids.length, (e: Error) => e.message);
  // What this process lists after the failure: the runs it did not delete are still there.
  const sameProcess = (await full.list({ limit: 1000 })).map((x) => x.id).sort();
  await full.close();
  const filesThen = journals();
  rmSync('/mnt/filler');
  const listedThen = await listed();
  const again = await EmbeddedStore.open('/mnt/home');
  const second = await again.prune(0).then((ids) => 'deleted ' + ids.length, (e: Error) => e.message);
  await again.close();
  console.log(JSON.stringify({ made, pruned, sameProcess, filesThen, listedThen, second, filesAfter: journals(), listedAfter: await listed() }));
  process.exit(0);
})();`,
    );
    assert.equal(r.status, 0, r.stderr);
    const out = lastJson<{ made: number; pruned: string; sameProcess: string[]; filesThen: string[]; listedThen: string[]; second: string; filesAfter: string[]; listedAfter: string[] }>(r);
    assert.equal(out.made, 150);
    assert.match(out.pruned, /no space left on the device \(ENOSPC\)/);
    assert.deepEqual(out.listedThen, out.filesThen, 'every run listed has its files, and every run whose files are there is listed');
    assert.deepEqual(out.sameProcess, out.filesThen, 'so in the process whose prune failed');
    assert.ok(out.filesThen.length > 0 && out.filesThen.length < 150, `part of the batch reached the disk, as the test means to show: ${out.filesThen.length} left`);
    assert.equal(out.second, `deleted ${out.filesThen.length}`);
    assert.deepEqual(out.filesAfter, []);
    assert.deepEqual(out.listedAfter, []);
  });
});
