/**
 * Every `--json` output gives a run's state and times one way, as `run --json` does (runJson.ts): a state
 * is `{ type, name, message? }` with no epoch-millisecond `timestamp`, and a schedule's slot has its ISO 8601
 * time beside the epoch milliseconds it always had. `cancel`, `delete` and `prune` printed the stored state
 * whole, `timestamp` and all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { state } from '../../src/engine/states';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const FLOWS = {
  'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 1);`),
  'flows/no.flow.ts': flowSource(`export default flow({ name: 'no' }, async () => { throw new Error('no data'); });`),
};

type Doc = { name: string; state: Record<string, unknown> };

describe('the state in --json outputs', () => {
  it('cancel, delete and prune give a run\'s state as run --json does; a schedule\'s slot has its ISO time', { timeout: 120_000 }, async () => {
    const ws = workspace(FLOWS);
    const env = { FLOWDECK_HOME: tempDir() };
    const run = async (file: string, code: number): Promise<Doc> => {
      const r = await runCli(['run', file, '--json'], { cwd: ws, env });
      assert.equal(r.code, code, r.stderr);
      return JSON.parse(r.stdout) as Doc;
    };
    const ok = await run('flows/ok.flow.ts', 0);
    const failed = await run('flows/no.flow.ts', 1);
    const older = await run('flows/ok.flow.ts', 0);
    assert.deepEqual(Object.keys(ok.state), ['type', 'name']);
    assert.deepEqual(Object.keys(failed.state).sort(), ['failure', 'message', 'name', 'type']);

    const cancel = await runCli(['cancel', ok.name, '--json'], { cwd: ws, env });
    assert.equal(cancel.code, 1, cancel.stderr);
    assert.deepEqual((JSON.parse(cancel.stdout) as Doc).state, ok.state);

    const pruned = await runCli(['prune', '--keep', '0', '--flow', 'ok', '--dry-run', '--json'], { cwd: ws, env });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual((JSON.parse(pruned.stdout) as { deleted: Doc[] }).deleted.map((d) => d.state), [older.state, ok.state]);

    const deleted = await runCli(['delete', failed.name, '--json'], { cwd: ws, env });
    assert.equal(deleted.code, 0, deleted.stderr);
    // The run history's summary of a run carries no failure: the rest is as run --json gave it.
    const { failure: _failure, ...summary } = failed.state;
    assert.deepEqual((JSON.parse(deleted.stdout) as { deleted: Doc[] }).deleted.map((d) => d.state), [summary]);

    // A schedule's run: `slot` as the store keeps it (epoch ms), `slotTime` its ISO 8601 text.
    const store = await EmbeddedStore.open(env.FLOWDECK_HOME);
    const slot = Date.parse('2026-06-01T09:00:00.000Z');
    const handle = await store.createRun({ flowName: 'ok', source: 'flows/ok.flow.ts', parameters: {}, trigger: { kind: 'schedule', id: 'abcdef0123', slot }, state: state('Scheduled') });
    await handle.close();
    await store.close();
    const listed = await runCli(['runs', '--json', '--limit', '1'], { cwd: ws, env });
    assert.equal(listed.code, 0, listed.stderr);
    const [scheduled] = JSON.parse(listed.stdout) as { trigger: unknown; state: Record<string, unknown> }[];
    assert.deepEqual(scheduled!.trigger, { kind: 'schedule', id: 'abcdef0123', slot, slotTime: '2026-06-01T09:00:00.000Z' });
    assert.deepEqual(Object.keys(scheduled!.state), ['type', 'name']);
  });

  it('a run failed by a subflow run it awaited names that run: subflowRunId in run, runs and inspect --json', { timeout: 120_000 }, async () => {
    const ws = workspace({
      'flows/parent.flow.ts': flowSource(`const child = flow({ name: 'child' }, async () => { throw new Error('broke'); });
export default flow({ name: 'parent' }, async () => { await child(); });`),
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const ran = await runCli(['run', 'flows/parent.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(ran.code, 1, ran.stderr);
    const parent = JSON.parse(ran.stdout) as Doc & { id: string };
    const listed = await runCli(['runs', '--json'], { cwd: ws, env });
    assert.equal(listed.code, 0, listed.stderr);
    const runs = JSON.parse(listed.stdout) as (Doc & { id: string; parentRunId?: string })[];
    const child = runs.find((r) => r.parentRunId === parent.id)!;
    assert.equal(parent.state.subflowRunId, child.id);
    assert.equal(runs.find((r) => r.id === parent.id)!.state.subflowRunId, child.id);
    const inspected = await runCli(['inspect', parent.id, '--json'], { cwd: ws, env });
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.equal((JSON.parse(inspected.stdout) as Doc).state.subflowRunId, child.id);
  });
});
