import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRunCompact } from '../../src/engine/records';
import { compactTaskLine } from '../../src/engine/worker/compactTaskLine';
import { seeded } from '../support/seeded';

describe('the trun line a quick task run sends', { timeout: 60_000 }, () => {
  it('is exactly JSON.stringify of the record, value spliced in, for common and uncommon task runs alike', () => {
    const rnd = seeded(11);
    const texts = ['noop', 'fetch "repo"', 'back\\slash', 'line\nbreak', 'é', '\u2028', '\ud800', '😀', '', '</script>'];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    let plain = 0;
    for (let i = 0; i < 2000; i++) {
      const taskName = pick(texts);
      const r: Omit<TaskRunCompact, 'value'> = {
        k: 'trun',
        runId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
        // Mostly as the worker makes them; sometimes anything (a name or id that only looks like one).
        id: rnd() < 0.9 ? `abcd1234-${i.toString(36)}` : pick(['ABCD-1', 'x"1', 'a\\b', 'é-1', '']),
        name: rnd() < 0.8 ? `${taskName}-${i}` : pick([`${taskName}-`, `${taskName}-x${i}`, `${taskName}y-${i}`, `${taskName}+${i}`, `${taskName}-${i}"`, pick(texts)]),
        taskName,
        ts: 1_700_000_000_000 + i,
        start: 1_700_000_000_001 + i,
        end: 1_700_000_000_002 + i,
        state: pick(['Completed', 'Cached'] as const),
      };
      if (rnd() < 0.1) r.attempt = 2;
      if (rnd() < 0.1) r.message = pick(texts);
      if (rnd() < 0.1) r.cacheKey = pick(texts);
      if (rnd() < 0.1) r.tags = [pick(texts)];
      const call = rnd();
      if (call < 0.5) r.call = { key: `${taskName}#${i}`, argsHash: `=[${pick(texts).length}]` };
      else if (call < 0.6) r.call = { key: pick([`${taskName}#`, `${taskName}#1.5`, `${taskName}-${i}`, pick(texts)]), argsHash: `=[${JSON.stringify(pick(texts))}]` };
      else if (call < 0.7) r.call = { key: `${taskName}#${i}` };
      if (rnd() < 0.05) r.reusedFrom = { attempt: 1, taskRunId: 'x-1' };
      if (rnd() < 0.05) r.ref = { file: 'x.dv', bytes: 300_000 };
      else if (rnd() < 0.05) r.note = pick(texts);
      const value = rnd() < 0.8 ? JSON.stringify([pick(texts), i]) : undefined;
      if (Object.keys(r).length <= 10) plain++;
      const expected = JSON.stringify(value === undefined ? r : { ...r, value: JSON.parse(value) as unknown });
      assert.equal(compactTaskLine(r, value), expected);
    }
    assert.ok(plain > 500, `the common shape was tried (${plain} times)`);
  });
});
