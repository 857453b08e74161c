/**
 * suspendFlowRun: a run's attempt ends Suspended and its worker exits, nothing waiting; a resume with the
 * input runs it again from its checkpoints and the suspension returns the input at once. A suspension whose
 * time ran out ends Failed when the store's runs are settled (or when resumed too late); a cancel ends it
 * at once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { makeRunner, tempDir, valueOf, waitFor, workspace } from '../support/engine';

const TIMEOUT = { timeout: 120_000 };

const PUBLISH = (timeoutSeconds = 3600): string => `import { flow, task, suspendFlowRun, getRunLogger } from 'flowdeck';
const build = task({ name: 'build' }, async () => 'report-7');
export default flow({ name: 'publish' }, async () => {
  const report = await build();
  const { approve, channel } = await suspendFlowRun({
    description: 'Publish ' + report + '?',
    timeoutSeconds: ${timeoutSeconds},
    input: { approve: { type: 'boolean', required: true }, channel: { type: 'string', default: 'news' } },
  });
  getRunLogger().info('approve=' + approve + ' channel=' + channel);
  return { report, approve, channel };
});
`;

async function suspended(source: string, options: { clock?: { now(): number } } = {}) {
  const ws = workspace({ 'p.flow.ts': source });
  const home = tempDir();
  const { store, runner } = await makeRunner(home, options);
  after(() => runner.dispose());
  const logs: string[] = [];
  runner.on('log', (l) => logs.push(`${l.level} ${l.message}`));
  const active = await runner.start({ source: { kind: 'file', path: join(ws, 'p.flow.ts') } });
  return { runner, store, home, logs, id: active.id, first: await active.done };
}

describe('suspendFlowRun', () => {
  it('ends the attempt Suspended (its worker gone, what it waits for on record); a resume with the input runs it from its checkpoints and the suspension returns the input', TIMEOUT, async () => {
    const { runner, store, logs, id, first } = await suspended(PUBLISH());
    assert.equal(first.state.name, 'Suspended', first.state.message);
    assert.equal(first.state.type, 'PAUSED');
    assert.equal(first.state.message, 'Publish report-7?');
    assert.equal(first.state.pause?.key, 'pause-1');
    assert.deepEqual(Object.keys(first.state.pause?.input ?? {}), ['approve', 'channel']);
    assert.ok(first.endTime !== undefined, 'its attempt ended');
    assert.equal(runner.liveRun(id), undefined, 'nothing runs it: its worker is gone');
    assert.ok(logs.some((l) => l.startsWith('INFO Suspending flow run') && l.includes('its process ends meanwhile') && l.includes('approve (boolean, required)')), logs.join('\n'));
    assert.ok(logs.includes("INFO Finished in state Suspended('Publish report-7?')"), 'its attempt finished, no error: ' + logs.join('\n'));
    // The store agrees, and settling the store's runs leaves it alone.
    await store.markCrashed();
    assert.equal((await store.get(id))?.state.name, 'Suspended');
    assert.equal((await store.readRun(id))?.state.name, 'Suspended');

    // Input that does not fit is refused before anything runs; the run stays Suspended.
    await assert.rejects(runner.resume(id), /Invalid input for flow run '.+': missing required input 'approve'/);
    await assert.rejects(runner.resume(id, { input: { approve: 'yes' } }), /'approve' must be true or false/);
    assert.equal((await store.get(id))?.state.name, 'Suspended');

    const done = await (await runner.resume(id, { input: { approve: true } })).done;
    assert.equal(done.state.name, 'Completed', done.state.message);
    assert.deepEqual(valueOf(done), { report: 'report-7', approve: true, channel: 'news' });
    assert.deepEqual(done.states.map((s) => s.name), ['Pending', 'Running', 'Suspended', 'AwaitingRetry', 'Running', 'Completed']);
    assert.equal(done.attempt, 2);
    assert.equal(done.taskRuns.find((t) => t.flowAttempt === 2 && t.taskName === 'build')?.state.name, 'Cached', 'the build before the suspension is not done again');
    assert.deepEqual(done.inputs?.['pause-1']?.value, { approve: true, channel: 'news' });
    assert.equal(done.inputs?.['pause-1']?.attempt, 2);
    assert.ok(logs.includes("INFO Going on after suspension 'pause-1' with input approve, channel"), logs.join('\n'));
    assert.ok(logs.includes('INFO approve=true channel=news'), logs.join('\n'));
    const replayed = (await store.readRun(id))!;
    assert.deepEqual(replayed.states.map((s) => s.name), done.states.map((s) => s.name));
    assert.deepEqual(replayed.inputs, done.inputs);
    // A completed run is not resumed; a run not suspended takes no input.
    await assert.rejects(runner.resume(id, { input: { approve: true } }), /completed; there is nothing to resume/);
  });

  it('refuses to suspend a subflow run, or with task runs going; such a call throws in the flow, which goes on', TIMEOUT, async () => {
    const { first } = await suspended(`import { flow, task, suspendFlowRun } from 'flowdeck';
const slow = task({ name: 'slow' }, async () => { await new Promise((r) => setTimeout(r, 200)); return 1; });
const child = flow({ name: 'child' }, async () => { try { await suspendFlowRun(); return 'suspended'; } catch (e) { return (e as Error).message; } });
export default flow({ name: 'parent' }, async () => {
  const inSubflow = await child();
  const going = slow();
  let withTask = '';
  try { await suspendFlowRun(); } catch (e) { withTask = (e as Error).message; }
  await going;
  return [inSubflow, withTask];
});
`);
    assert.equal(first.state.name, 'Completed', first.state.message);
    const [inSubflow, withTask] = valueOf(first) as string[];
    assert.match(inSubflow!, /^suspendFlowRun\(\) was called in subflow run '.+': a subflow run cannot be suspended/);
    assert.match(withTask!, /^suspendFlowRun\(\) was called while 1 task or subflow run of flow run '.+' was going: await it first/);
  });

  it('a suspension whose time ran out ends Failed once the store settles its runs; a resume of one too late ends it so too and says how to go on', TIMEOUT, async () => {
    const { home, id, first } = await suspended(PUBLISH(60));
    assert.equal(first.state.name, 'Suspended');
    // Another process, an hour later (its clock), settles the store's runs.
    const later = await EmbeddedStore.open(home, { clock: { now: () => Date.now() + 3_600_000 } });
    after(() => later.close());
    await later.markCrashed();
    const failed = (await later.readRun(id))!;
    assert.equal(failed.state.name, 'Failed');
    assert.match(failed.state.message ?? '', /^PauseTimeoutError: Flow run '.+' was suspended and not resumed within 1 min$/);
    assert.equal((await later.get(id))?.state.name, 'Failed');

    const late = await suspended(PUBLISH(0.05));
    await waitFor(() => Date.now() > late.first.state.pause!.until, 'the suspension ran out', 10_000);
    await assert.rejects(late.runner.resume(late.id, { input: { approve: true } }), /was suspended until .+ and not resumed in time, so it ended Failed\. Resume it again to run it from its checkpoints/);
    assert.equal((await late.store.get(late.id))?.state.name, 'Failed');
    // Resumed again, it is suspended anew (nothing answered it), with a new deadline.
    const again = await (await late.runner.resume(late.id)).done;
    assert.equal(again.state.name, 'Suspended');
    assert.equal(again.attempt, 2);
  });

  it('a cancel ends a suspended run Cancelled at once (nothing runs it to hear one)', TIMEOUT, async () => {
    const { store, id } = await suspended(PUBLISH());
    assert.equal(await store.requestCancel(id, 'Not publishing'), 'cancelled');
    const detail = (await store.readRun(id))!;
    assert.equal(detail.state.name, 'Cancelled');
    assert.equal(detail.state.message, 'Not publishing');
    assert.equal(await store.requestCancel(id, 'again'), 'finished');
  });
});
