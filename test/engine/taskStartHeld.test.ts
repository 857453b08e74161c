/**
 * A task run's start is held back (one `trun` record for a quick task) only once its task has shown itself
 * quick: a task whose code keeps the worker busy without yielding is on record as Running while it runs,
 * and a map of quick tasks still costs one record a task run.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, makeRunner, tempDir, waitFor, workspace } from '../support/engine';

const T = { timeout: 120_000 };

/** The records of run `id`'s journal in the store at `home`, as written so far. */
function journal(home: string, id: string): { k: string; name?: string; taskName?: string }[] {
  const file = join(home, 'runs', `${id}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as { k: string; name?: string; taskName?: string });
}

describe('a task run that keeps the worker busy', T, () => {
  it('is on record as Running while its code runs without yielding, and the run ends as usual', async () => {
    const dir = tempDir();
    const go = join(dir, 'go');
    // The task spins on the worker's thread until the test lets it go (at most 60 s, so a failing test ends).
    const ws = workspace({
      'spin.flow.ts': flowSource(`import { existsSync } from 'node:fs';
const spin = task({ name: 'spin' }, async () => {
  const until = Date.now() + 60_000;
  while (!existsSync(${JSON.stringify(go)}) && Date.now() < until);
  return existsSync(${JSON.stringify(go)});
});
export default flow({ name: 'spin' }, async () => spin());`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    const active = await runner.start({ source: { kind: 'file', path: join(ws, 'spin.flow.ts') } });
    try {
      await waitFor(
        () => {
          const records = journal(home, active.id);
          return records.some((r) => r.k === 'task' && r.name === 'spin-0') && records.some((r) => r.k === 'tstate' && r.name === 'Running');
        },
        "task run spin-0 on record as Running while it spins",
        30_000,
      );
      assert.ok(!journal(home, active.id).some((r) => r.k === 'trun' || (r.k === 'tstate' && r.name === 'Completed')), 'still running');
    } finally {
      writeFileSync(go, '');
    }
    const detail = await active.done;
    assert.equal(detail.state.name, 'Completed');
    assert.deepEqual(detail.taskRuns.map((t) => [t.name, t.state.name]), [['spin-0', 'Completed']]);
  });

  it('holds back the starts of a quick task after its first run, and of none of a task whose code kept the worker 50 ms', async () => {
    const ws = workspace({
      'mix.flow.ts': flowSource(`const quick = task({ name: 'quick' }, async (i: number) => i);
const busy = task({ name: 'busy' }, (i: number) => { const until = Date.now() + 60; while (Date.now() < until); return i; });
export default flow({ name: 'mix' }, async () => {
  const out = await quick.map(Array.from({ length: 300 }, (_, i) => i), { concurrency: 1 });
  for (let i = 0; i < 3; i++) await busy(i);
  return out.length;
});`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'mix.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed');
    assert.equal(detail.taskRuns.length, 303);
    assert.ok(detail.taskRuns.every((t) => t.state.name === 'Completed'));
    const records = journal(home, detail.id);
    const count = (k: string, taskName: string): number => records.filter((r) => r.k === k && r.taskName === taskName).length;
    // The quick task's first run went out at its start; its others are one record each. (A worker stalled
    // 50 ms inside one, as a busy machine may stall it, makes the next start go out too, after every start
    // still held back: paced one at a time, none is, so a stall lets out one start. In a map begun all at
    // once a stall lets out the whole window begun so far — 261 of 300 on a loaded CI machine.)
    assert.ok(count('task', 'quick') >= 1 && count('task', 'quick') <= 10, `${count('task', 'quick')} starts of 300 went out`);
    assert.equal(count('task', 'quick') + count('trun', 'quick'), 300);
    // Every run of the busy task went out at its start.
    assert.equal(count('task', 'busy'), 3);
    assert.equal(count('trun', 'busy'), 0);
  });

  it('follows at most 1,000 task names: tasks made on the fly with names of their own are held back past them', async () => {
    const ws = workspace({
      // Begun together (a held start is released when the worker falls idle, which calls one by one may let it).
      'names.flow.ts': flowSource(`export default flow({ name: 'names' }, async () => {
  const out = await Promise.all(Array.from({ length: 1200 }, (_, i) => task({ name: 'item' + i }, async () => i)()));
  return out.length;
});`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'names.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(detail.taskRuns.length, 1200);
    const records = journal(home, detail.id);
    assert.equal(records.filter((r) => r.k === 'task').length, 1000);
    assert.equal(records.filter((r) => r.k === 'trun').length, 200);
  });
});
