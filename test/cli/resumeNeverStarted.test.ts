/**
 * `flowdeck resume` of a schedule's run that never started (prepared ahead by a `serve` killed before its slot
 * came due, left Crashed): refused, as `inspect` offers no resume for it — a scheduler of its schedule takes
 * its slot over (runs it) or lets it go, and a resume by hand raced it for the slot.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { currentProcess } from '../../src/engine/processIdentity';
import { state } from '../../src/engine/states';
import { makeRunner, runCli, tempDir, workspace } from '../support/engine';

const FLOWS = {
  'demo.flow.ts': `import { flow } from 'flowdeck';
export default flow({ name: 'demo' }, async () => 'ran');
`,
};

/** A run of schedule abcdef0123's slot, made ahead by a process that is gone before it started. */
async function leftBehind(home: string, ws: string, options: { resumeOnCrash?: boolean } = {}): Promise<string> {
  const store = await EmbeddedStore.open(home);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const handle = await store.createRun({
    flowName: 'demo',
    source: join(ws, 'demo.flow.ts'),
    parameters: {},
    trigger: { kind: 'schedule', id: 'abcdef0123', slot: Date.parse('2026-06-01T09:00:00.000Z') },
    state: state('Scheduled'),
    owner: { ...currentProcess(), pid: dead, startTicks: 1 },
    ...(options.resumeOnCrash ? { resumeOnCrash: true } : {}),
  });
  const name = handle.name;
  await handle.close();
  await store.close();
  return name;
}

describe("flowdeck resume: a schedule's run that never started", { timeout: 120_000 }, () => {
  it('is refused (exit 2) saying its scheduler runs its slot or lets it go, or to delete it; the run stays as it is', async () => {
    const home = tempDir();
    const ws = workspace(FLOWS);
    const name = await leftBehind(home, ws);
    const env = { FLOWDECK_HOME: home };

    const resumed = await runCli(['resume', name], { cwd: ws, env });
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.equal(resumed.stderr.trim(), `flowdeck resume: run '${name}' cannot be resumed: it never started: a scheduler of schedule abcdef0123 runs its slot or lets it go. Or delete it: flowdeck delete ${name}`);
    const run = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as { name: string; state: { name: string }; attempt: number }[];
    assert.deepEqual(run.map((r) => [r.name, r.state.name, r.attempt]), [[name, 'Crashed', 1]]);
  });

  it('is not resumed by `resume --crashed` though its flow asks to be resumed when it crashes', async () => {
    const home = tempDir();
    const ws = workspace(FLOWS);
    const name = await leftBehind(home, ws, { resumeOnCrash: true });
    const env = { FLOWDECK_HOME: home };

    const resumed = await runCli(['resume', '--crashed'], { cwd: ws, env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^No crashed runs to resume/);
    const run = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as { name: string; state: { name: string }; attempt: number }[];
    assert.deepEqual(run.map((r) => [r.name, r.state.name, r.attempt]), [[name, 'Crashed', 1]]);
  });

  it("is refused by the engine's resume too (the editor's Resume), with the same reason", async () => {
    const home = tempDir();
    const ws = workspace(FLOWS);
    const name = await leftBehind(home, ws);
    const { store, runner } = await makeRunner(home);
    try {
      await assert.rejects(runner.resume(name, { cwd: ws }), { name: 'BadInputError', message: `Run '${name}' cannot be resumed: it never started: a scheduler of schedule abcdef0123 runs its slot or lets it go. Or delete it: flowdeck delete ${name}` });
      assert.deepEqual([(await store.resolve(name)).run?.state.name, (await store.resolve(name)).run?.attempt], ['Crashed', 1]);
    } finally {
      await store.close();
    }
  });
});
