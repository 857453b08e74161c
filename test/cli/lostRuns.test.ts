/**
 * Runs a damaged run index lost (a garbage line in a segment, a segment emptied) are listed again from
 * their journals by the next process that may write the store (lostRuns.ts): with their name, state and
 * parameters; a run the index records deleted stays deleted.
 */
import assert from 'node:assert/strict';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const T = { timeout: 180_000 };

const FLOW = flowSource(`export default flow({ name: 'greet', parameters: { who: { type: 'string' } } }, async ({ who }) => 'hello ' + who);`);

interface Listed {
  id: string;
  name: string;
  state: { name: string };
}

async function cli(args: string[], home: string, cwd: string): Promise<{ stdout: string; stderr: string }> {
  const r = await runCli(args, { cwd, env: { FLOWDECK_HOME: home } });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

async function listed(home: string, cwd: string): Promise<Listed[]> {
  return JSON.parse((await cli(['runs', '--json'], home, cwd)).stdout) as Listed[];
}

/** Two finished runs of `greet`, the first with who=ada, the second with who=bob. */
async function twoRuns(): Promise<{ home: string; ws: string; ada: Listed; bob: Listed; segment: string }> {
  const home = tempDir();
  const ws = workspace({ 'greet.flow.ts': FLOW });
  const ada = JSON.parse((await cli(['run', 'greet.flow.ts', '--json', '--param', 'who=ada'], home, ws)).stdout) as Listed;
  const bob = JSON.parse((await cli(['run', 'greet.flow.ts', '--json', '--param', 'who=bob'], home, ws)).stdout) as Listed;
  return { home, ws, ada, bob, segment: join(home, 'runs', 'index-0000000000.jsonl') };
}

describe('runs a damaged run index lost are listed again', T, () => {
  it('a garbage line in place of a run\'s index lines: the next writing command lists it again, with its name, state and parameters, and says so', async () => {
    const { home, ws, ada, bob, segment } = await twoRuns();
    // Every index line of ada's run turned to garbage (a torn write, a hand edit).
    writeFileSync(segment, readFileSync(segment, 'utf8').split('\n').map((l) => (l.includes(ada.id) ? '{"k":"run","id":"' : l)).join('\n'));

    // `runs` itself repairs where it may write the store, and says what it did.
    const r = await runCli(['runs'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`flowdeck: the run index in .* had lost 1 run \\(damaged or emptied index files\\); listed again from its journal: '${ada.name}' \\(Completed, ${ada.id}\\)\\.`));
    assert.match(r.stderr, /flowdeck runs: \d+ lines? of the run index in .* could not be read \(damaged\); the runs it had lost are listed again \(above\)/);
    assert.match(r.stdout, new RegExp(`${ada.name}\\s+greet\\s+Completed`));

    const runs = await listed(home, ws);
    assert.deepEqual(runs.map((x) => [x.id, x.name, x.state.name]), [[bob.id, bob.name, 'Completed'], [ada.id, ada.name, 'Completed']]);
    const inspected = JSON.parse((await cli(['inspect', ada.id, '--json'], home, ws)).stdout) as { parameters: unknown; result: unknown };
    assert.deepEqual(inspected.parameters, { who: 'ada' });
    assert.equal(inspected.result, 'hello ada');
    const again = await runCli(['runs'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(again.stderr, '', 'repaired once: the damaged lines were folded away');
  });

  it('an emptied index segment: the day\'s first writing command lists the runs again; a run the index records deleted is not brought back', async () => {
    const { home, ws, ada, bob, segment } = await twoRuns();
    // Emptied (a restore from a backup, a hand edit), but for bob's deletion, recorded before its process died
    // and left its files.
    writeFileSync(segment, `${JSON.stringify({ k: 'del', id: bob.id })}\n`);
    assert.deepEqual(await listed(home, ws), []);
    // A day later (the last sweep's mark a day old): a command that writes the store.
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    utimesSync(join(home, 'runs', '.swept'), old, old);
    const r = await cli(['run', 'greet.flow.ts', '--param', 'who=cy'], home, ws);
    assert.match(r.stderr, new RegExp(`listed again from its journal: '${ada.name}' \\(Completed, ${ada.id}\\)`));
    const runs = await listed(home, ws);
    assert.deepEqual(runs.slice(1).map((x) => [x.id, x.name, x.state.name]), [[ada.id, ada.name, 'Completed']]);
    assert.ok(!runs.some((x) => x.id === bob.id), 'the deleted run stays deleted');
  });
});
