/**
 * A result kept in a file of its own, on a full disk (QA hunt B, bug 6): the write fails, and no part of
 * the file is left behind taking the room that is short.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/engine';
import { lastJson, noSmallDisk, tsOnSmallDisk } from '../support/smallDisk';

const T = { timeout: 120_000 };

describe('results: a file that does not fit', T, () => {
  it('fails saying the disk is full and leaves no half-written file; one that fits is kept', async (t) => {
    const why = noSmallDisk();
    if (why) return t.skip(why);
    // A 1 MiB file system: a 3 MiB result cannot be written whole, a 300 KiB one can.
    const r = tsOnSmallDisk(
      1024,
      `import { readdirSync, statSync } from 'node:fs';
import { keepValue } from ${JSON.stringify(join(ROOT, 'src/engine/worker/results'))};
const dir = '/mnt/home/runs/r.results';
const left = () => readdirSync(dir).map((f) => f + ' ' + statSync(dir + '/' + f).size);
let big: string;
try {
  keepValue('y'.repeat(3 * 1024 * 1024), "Task run 'big'", dir, 'big.dv');
  big = 'kept';
} catch (e) {
  big = (e as Error).message;
}
const afterBig = left();
const small = keepValue('z'.repeat(300 * 1024), "Task run 'small'", dir, 'small.dv').kind;
console.log(JSON.stringify({ big, afterBig, small, afterSmall: left() }));
process.exit(0);`,
    );
    assert.equal(r.status, 0, r.stderr);
    const { big, afterBig, small, afterSmall } = lastJson<{ big: string; afterBig: string[]; small: string; afterSmall: string[] }>(r);
    assert.match(big, /ENOSPC/);
    assert.deepEqual(afterBig, [], 'the part of the result that was written is removed');
    assert.equal(small, 'file');
    assert.equal(afterSmall.length, 1, afterSmall.join(', '));
    assert.match(afterSmall[0]!, /^small\.dv \d+$/);
  });
});
