/**
 * pauseFlowRun: a run waits, Paused, until a resume brings its input (checked against what it waits for),
 * its time runs out, or it is cancelled — in its own process (the runner) and from another (the store's
 * requests, as `flowdeck resume` sends them).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { FlowRunner } from '../../src/engine/runner';
import type { FlowRunSummary } from '../../src/engine/records';
import { makeRunner, tempDir, valueOf, waitFor, workspace } from '../support/engine';

const TIMEOUT = { timeout: 120_000 };

const DEPLOY = `import { flow, task, pauseFlowRun, PauseTimeoutError, getRunLogger } from 'flowdeck';
const build = task({ name: 'build' }, async () => 'v1.2');
export default flow({ name: 'deploy' }, async () => {
  const version = await build();
  const { approve, note } = await pauseFlowRun({
    description: 'Deploy ' + version + ' to production?',
    timeoutSeconds: 60,
    input: { approve: { type: 'boolean', required: true }, note: { type: 'string', default: 'none' } },
  });
  getRunLogger().info('approved=' + approve + ' note=' + note);
  return { version, approve, note };
});
`;

async function started(source: string, runnerOptions = {}): Promise<{ runner: FlowRunner; store: EmbeddedStore; home: string; ws: string; paused: Promise<FlowRunSummary>; done: Promise<import('../../src/engine/records').FlowRunDetail>; logs: string[]; id: string }> {
  const ws = workspace({ 'p.flow.ts': source });
  const home = tempDir();
  const { store, runner } = await makeRunner(home, runnerOptions);
  after(() => runner.dispose());
  const logs: string[] = [];
  runner.on('log', (l) => logs.push(`${l.level} ${l.message}`));
  let onPaused!: (s: FlowRunSummary) => void;
  const paused = new Promise<FlowRunSummary>((r) => (onPaused = r));
  runner.on('run', (s) => {
    if (s.state.type === 'PAUSED' && s.parentRunId === undefined) onPaused(s);
  });
  const active = await runner.start({ source: { kind: 'file', path: join(ws, 'p.flow.ts') } });
  return { runner, store, home, ws, paused, done: active.done, logs, id: active.id };
}

/** The next time `runner` tells of run `id` Paused. */
function nextPause(runner: FlowRunner, id: string): Promise<FlowRunSummary> {
  return new Promise((resolve) => {
    const listener = (s: FlowRunSummary): void => {
      if (s.id !== id || s.state.type !== 'PAUSED') return;
      runner.off('run', listener);
      resolve(s);
    };
    runner.on('run', listener);
  });
}

describe('pauseFlowRun', () => {
  it('pauses the run (Paused, its description the message, what it waits for on record) and goes on with the input a resume gives, defaults filled in', TIMEOUT, async () => {
    const { runner, store, paused, done, logs, id } = await started(DEPLOY);
    const p = await paused;
    assert.equal(p.state.name, 'Paused');
    assert.equal(p.state.message, 'Deploy v1.2 to production?');
    // What it waits for is part of its Paused state: in the list (no journal read needed) and in the journal,
    // which the list follows (the runner tells of a state as it hands it to the store).
    await waitFor(async () => (await store.refresh(), (await store.get(id))?.state.type === 'PAUSED'), 'the run listed Paused');
    const stored = (await store.readRun(id))!;
    assert.equal(stored.state.name, 'Paused');
    assert.deepEqual(Object.keys(stored.state.pause?.input ?? {}), ['approve', 'note']);
    assert.ok(stored.state.pause!.until > p.state.timestamp && stored.state.pause!.until <= p.state.timestamp + 60_000 + 1000);
    assert.deepEqual(p.state.pause, stored.state.pause, 'as the runner tells it');
    assert.deepEqual((await store.get(id))!.state.pause, stored.state.pause, 'as the store lists it');
    assert.ok(logs.some((l) => l.startsWith('INFO Pausing flow run') && l.includes('approve (boolean, required), note (string)')), logs.join('\n'));

    assert.equal(runner.resumePaused(id, { approve: true }), undefined);
    const detail = await done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(valueOf(detail), { version: 'v1.2', approve: true, note: 'none' });
    assert.deepEqual(detail.states.map((s) => s.name), ['Pending', 'Running', 'Paused', 'Running', 'Completed']);
    assert.equal(detail.states[3]!.message, 'Resumed');
    assert.equal(detail.state.pause, undefined, 'no pause once it goes on');
    assert.deepEqual(Object.keys(detail.states[2]!.pause?.input ?? {}), ['approve', 'note'], 'the Paused state in its history keeps what it waited for');
    assert.ok(logs.includes('INFO approved=true note=none'), logs.join('\n'));
    assert.ok(logs.some((l) => l.includes("Resuming flow run") && l.endsWith('with input approve, note')), logs.join('\n'));
    // The store's replay agrees with the live fold.
    const replayed = (await store.readRun(id))!;
    assert.deepEqual(replayed.states.map((s) => s.name), detail.states.map((s) => s.name));
    assert.deepEqual(replayed.states.map((s) => s.pause), detail.states.map((s) => s.pause));
  });

  it('refuses input that does not fit, saying why in the run log; the run stays paused and a fitting resume still goes on', TIMEOUT, async () => {
    const { runner, paused, done, logs, id } = await started(DEPLOY);
    await paused;
    const problem = runner.resumePaused(id, { approve: 'yes', colour: 'red' });
    assert.match(problem ?? '', /Invalid input for flow run '.+': unknown input 'colour' \(expected one of: approve, note\); 'approve' must be true or false, got the string "yes"/);
    assert.ok(logs.some((l) => l.startsWith('WARNING A resume was refused, so the run stays paused: Invalid input')), logs.join('\n'));
    assert.match(runner.resumePaused(id, {}) ?? '', /missing required input 'approve'/);
    assert.equal(runner.liveRun(id)!.fold.detail.state.name, 'Paused');
    assert.equal(runner.resumePaused(id, { approve: false, note: 'not today' }), undefined);
    assert.match(runner.resumePaused(id, { approve: true }) ?? '', /being resumed already|is not paused/);
    const detail = await done;
    assert.equal(detail.state.name, 'Completed');
    assert.deepEqual(valueOf(detail), { version: 'v1.2', approve: false, note: 'not today' });
  });

  it('not resumed in time: pauseFlowRun throws a PauseTimeoutError, which fails the run — or the flow catches it and goes on', TIMEOUT, async () => {
    const failing = await started(`import { flow, pauseFlowRun } from 'flowdeck';
export default flow({ name: 'wait' }, async () => { await pauseFlowRun({ timeoutSeconds: 0.3 }); return 'never'; });
`);
    const failed = await failing.done;
    assert.equal(failed.state.name, 'Failed');
    assert.match(failed.state.message ?? '', /^PauseTimeoutError: Flow run '.+' was paused and not resumed within 300 ms$/);
    assert.deepEqual(failed.states.map((s) => s.name), ['Pending', 'Running', 'Paused', 'Running', 'Failed']);
    assert.equal(failed.states[3]!.message, 'Not resumed within 300 ms');

    const caught = await started(`import { flow, pauseFlowRun, PauseTimeoutError } from 'flowdeck';
export default flow({ name: 'wait' }, async () => {
  try { await pauseFlowRun({ timeoutSeconds: 0.3 }); return 'resumed'; }
  catch (e) { return e instanceof PauseTimeoutError ? 'went on without approval' : 'other: ' + e; }
});
`);
    const detail = await caught.done;
    assert.equal(detail.state.name, 'Completed');
    assert.equal(valueOf(detail), 'went on without approval');
  });

  it('a paused run cancelled ends Cancelled (the wait ends with the cancel); its timeout ends it TimedOut', TIMEOUT, async () => {
    const { runner, paused, done, id } = await started(`import { flow, pauseFlowRun } from 'flowdeck';
export default flow({ name: 'wait' }, async () => { await pauseFlowRun(); return 'never'; });
`);
    await paused;
    assert.equal(runner.cancel(id, 'Not needed'), true);
    const detail = await done;
    assert.equal(detail.state.name, 'Cancelled');

    const timed = await started(`import { flow, pauseFlowRun } from 'flowdeck';
export default flow({ name: 'wait', timeoutSeconds: 0.5 }, async () => { await pauseFlowRun({ timeoutSeconds: 60 }); return 'never'; });
`);
    const t = await timed.done;
    assert.equal(t.state.name, 'TimedOut');
    assert.match(t.state.message ?? '', /exceeded timeout of 0.5 second/);
  });

  it('refuses what cannot pause: a call in a task run, bad options, a declaration that is no declaration', TIMEOUT, async () => {
    const { done } = await started(`import { flow, task, pauseFlowRun } from 'flowdeck';
const inTask = task({ name: 'in-task' }, async () => { await pauseFlowRun(); });
const tries: string[] = [];
const attempt = async (f: () => Promise<unknown>) => { try { await f(); tries.push('paused'); } catch (e) { tries.push((e as Error).message); } };
export default flow({ name: 'bad' }, async () => {
  await attempt(() => inTask());
  await attempt(() => pauseFlowRun({ timeoutSeconds: -1 }));
  await attempt(() => pauseFlowRun({ timeout: 5 } as never));
  await attempt(() => pauseFlowRun({ input: { ok: { type: 'bool' } } } as never));
  await attempt(() => pauseFlowRun({ input: { big: { type: 'string', description: 'x'.repeat(20_000) } } }));
  await attempt(() => pauseFlowRun({ key: 'two' + String.fromCharCode(10) + 'lines' }));
  await attempt(() => pauseFlowRun({ key: 'k'.repeat(201) }));
  return tries;
});
`);
    const detail = await done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    const tries = valueOf(detail) as string[];
    assert.match(tries[0]!, /^pauseFlowRun\(\) was called in task run 'in-task-0': a flow run pauses, not a task run/);
    assert.match(tries[1]!, /pauseFlowRun\(\) in flow 'bad': timeoutSeconds must be a number > 0 and ≤ 2000000, got -1/);
    assert.match(tries[2]!, /unknown option 'timeout' \(expected timeoutSeconds, description, input or key\)/);
    assert.match(tries[3]!, /pauseFlowRun\(\) in flow 'bad': input 'ok' has type "bool", which is not a parameter type/);
    assert.match(tries[4]!, /pauseFlowRun\(\) in flow 'bad': input is declared in 2\d{4} bytes of JSON; at most 16384/);
    assert.match(tries[5]!, /pauseFlowRun\(\) in flow 'bad': key must be a string of 1 to 200 characters on one line/);
    assert.match(tries[6]!, /key must be a string of 1 to 200 characters/);
  });

  it('a description over the limit is masked before it is cut: a secret across the cut never shows in part', TIMEOUT, async () => {
    const token = 'ghp_pausedSecret0123456789abcdefghijklmn';
    const { paused, done, home, runner, id } = await started(`import { flow, getRunContext, pauseFlowRun } from 'flowdeck';
export default flow({ name: 'long-description' }, async () => {
  getRunContext().registerSecret(${JSON.stringify(token)});
  await pauseFlowRun({ description: 'x'.repeat(480) + ${JSON.stringify(token)} + ' and more', timeoutSeconds: 60 });
  return 'resumed';
});
`);
    const message = (await paused).state.message ?? '';
    assert.equal(message, `${'x'.repeat(480)}***…`);
    assert.equal(runner.cancel(id, 'Not needed'), true);
    await done;
    const journal = readdirSync(join(home, 'runs')).filter((f) => f.endsWith('.jsonl')).map((f) => readFileSync(join(home, 'runs', f), 'utf8')).join('');
    for (let i = 0; i + 6 <= token.length; i++) assert.ok(!journal.includes(token.slice(i, i + 6)), token.slice(i, i + 6));
  });

  it('a subflow run pauses on its own: it is Paused, its parent Running, and a resume of the subflow run goes on', TIMEOUT, async () => {
    const { runner, store, done } = await started(`import { flow, pauseFlowRun } from 'flowdeck';
const child = flow({ name: 'child' }, async () => (await pauseFlowRun({ input: { n: { type: 'integer', required: true } } })).n * 2);
export default flow({ name: 'parent' }, async () => child());
`);
    let sub: FlowRunSummary | undefined;
    runner.on('run', (s) => {
      if (s.state.type === 'PAUSED' && s.parentRunId !== undefined) sub = s;
    });
    await waitFor(() => sub !== undefined, 'the subflow run paused', 60_000);
    await waitFor(async () => (await store.refresh(), (await store.get(sub!.parentRunId!))?.state.name === 'Running'), 'its parent listed Running');
    assert.equal(runner.resumePaused(sub!.id, { n: 21 }), undefined);
    const detail = await done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(valueOf(detail), 42);
  });

  it("is resumed from another process through the store's request (as `flowdeck resume` asks): the run's own process takes it; a request for a run not paused says why", TIMEOUT, async () => {
    const { home, paused, done, id } = await started(DEPLOY);
    const other = await EmbeddedStore.open(home);
    after(() => other.close());
    assert.equal(await other.requestResumePaused('no-such-run', {}), 'unknown');
    await paused;
    // What another process goes by: the store's list (written just after the journal).
    await waitFor(async () => (await other.refresh(), (await other.get(id))?.state.type === 'PAUSED'), 'the run listed Paused');
    assert.equal(await other.requestResumePaused(id, { approve: true, note: 'from elsewhere' }), 'requested');
    const detail = await done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(valueOf(detail), { version: 'v1.2', approve: true, note: 'from elsewhere' });
    assert.equal(await other.requestResumePaused(id, { approve: true }), 'finished');
  });
});

describe('the input a pause was resumed with is recorded', () => {
  // Deploys after the approval; the release fails until its marker file exists (a flaky target, fixed).
  const deploying = (marker: string, input = "{ approve: { type: 'boolean', required: true }, note: { type: 'string', default: 'none' } }"): string => `import { existsSync } from 'node:fs';
import { flow, task, pauseFlowRun } from 'flowdeck';
const build = task({ name: 'build' }, async () => 'v1.2');
const release = task({ name: 'release' }, async (version: string) => { if (!existsSync(${JSON.stringify(marker)})) throw new Error('target down'); return 'released ' + version; });
export default flow({ name: 'deploy' }, async () => {
  const version = await build();
  const answer = await pauseFlowRun({ description: 'Deploy?', input: ${input} });
  return { answer, released: await release(version) };
});
`;

  it('a run resumed from its checkpoints goes on with that input instead of pausing again: its answer is not asked for twice', TIMEOUT, async () => {
    const marker = join(tempDir(), 'up');
    const { runner, store, paused, done, logs, id } = await started(deploying(marker));
    const p = await paused;
    assert.equal(p.state.pause?.key, 'pause-1', 'the first pause of the run');
    assert.equal(runner.resumePaused(id, { approve: true, note: 'go' }), undefined);
    const failed = await done;
    assert.equal(failed.state.name, 'Failed');
    assert.match(failed.state.message ?? '', /target down/);
    assert.deepEqual(failed.inputs?.['pause-1']?.value, { approve: true, note: 'go' });
    assert.equal(failed.inputs?.['pause-1']?.attempt, 1);
    assert.deepEqual((await store.readRun(id))!.inputs?.['pause-1']?.value, { approve: true, note: 'go' }, 'on record in the journal');

    writeFileSync(marker, '');
    const resumed = await (await runner.resume(id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    assert.deepEqual(valueOf(resumed), { answer: { approve: true, note: 'go' }, released: 'released v1.2' });
    const second = resumed.states.slice(resumed.states.findIndex((s) => s.name === 'AwaitingRetry'));
    assert.deepEqual(second.map((s) => s.name), ['AwaitingRetry', 'Running', 'Completed'], 'no pause in attempt 2');
    assert.ok(logs.includes("INFO Not pausing again: pause 'pause-1' was resumed in attempt 1 with input approve, note"), logs.join('\n'));
    assert.equal(resumed.taskRuns.find((t) => t.taskName === 'build' && t.flowAttempt === 2)?.state.name, 'Cached');
  });

  it('a run resumed from its checkpoints that went on past a pause that timed out times out there again, taking the same way; one the timeout ended pauses again', TIMEOUT, async () => {
    const marker = join(tempDir(), 'up');
    const { runner, store, done, logs, id } = await started(`import { flow, task, pauseFlowRun, PauseTimeoutError } from 'flowdeck';
import { existsSync } from 'node:fs';
const skip = task({ name: 'skip-deploy' }, async () => 'skipped');
const deploy = task({ name: 'deploy' }, async () => 'deployed');
const notify = task({ name: 'notify' }, async (what: string) => { if (!existsSync(${JSON.stringify(marker)})) throw new Error('chat down'); return 'told: ' + what; });
export default flow({ name: 'gated' }, async () => {
  let approved = false;
  try { approved = (await pauseFlowRun({ key: 'approval', timeoutSeconds: 0.3 })).approve === true; }
  catch (e) { if (!(e instanceof PauseTimeoutError)) throw e; }
  const what = approved ? await deploy() : await skip();
  return notify(what);
});
`);
    const failed = await done;
    assert.equal(failed.state.name, 'Failed');
    assert.match(failed.state.message ?? '', /chat down/);
    assert.equal(failed.inputs?.approval?.timedOut, true, 'the timeout the flow went on past is on record');
    assert.equal((await store.readRun(id))!.inputs?.approval?.timedOut, true, 'in the journal');

    // Resumed: the pause times out again at once (no Paused state, no wait), and the run takes the way it took.
    writeFileSync(marker, '');
    const resumed = await (await runner.resume(id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    assert.equal(valueOf(resumed), 'told: skipped');
    const second = resumed.states.slice(resumed.states.findIndex((s) => s.name === 'AwaitingRetry'));
    assert.deepEqual(second.map((s) => s.name), ['AwaitingRetry', 'Running', 'Completed'], 'no pause in attempt 2');
    assert.ok(logs.includes("INFO Not pausing again: pause 'approval' was not resumed in time in attempt 1 and the flow went on, so it times out again (PauseTimeoutError)"), logs.join('\n'));
    assert.equal(resumed.taskRuns.find((t) => t.taskName === 'skip-deploy' && t.flowAttempt === 2)?.state.name, 'Cached');
    assert.equal(resumed.taskRuns.some((t) => t.taskName === 'deploy'), false);

    // A timeout the flow did not go on past (it ended the attempt) is not kept: a resume pauses again.
    const uncaught = await started(`import { flow, pauseFlowRun } from 'flowdeck';
export default flow({ name: 'wait' }, async () => (await pauseFlowRun({ key: 'go', timeoutSeconds: 0.3, input: { ok: { type: 'boolean' } } })).ok);
`);
    const ended = await uncaught.done;
    assert.match(ended.state.message ?? '', /^PauseTimeoutError/);
    assert.equal(ended.inputs?.go, undefined);
    const again = nextPause(uncaught.runner, uncaught.id);
    const active = await uncaught.runner.resume(uncaught.id);
    assert.equal((await again).attempt, 2);
    assert.equal(uncaught.runner.resumePaused(uncaught.id, { ok: true }), undefined);
    const finished = await active.done;
    assert.equal(finished.state.name, 'Completed', finished.state.message);
    assert.equal(valueOf(finished), true);
  });

  it('a pause that timed out, the flow going on past it with no task, subflow or pause after (a plain step) before failing, is on record: a resume times out there again; a failure that is the timeout (or wraps it) pauses again', TIMEOUT, async () => {
    const marker = join(tempDir(), 'up');
    const { runner, store, done, logs, id } = await started(`import { flow, pauseFlowRun, PauseTimeoutError, getRunLogger } from 'flowdeck';
import { existsSync } from 'node:fs';
export default flow({ name: 'gated-plain' }, async () => {
  let approved = false;
  try { approved = (await pauseFlowRun({ key: 'approval', timeoutSeconds: 0.3 })).approve === true; }
  catch (e) { if (!(e instanceof PauseTimeoutError)) throw e; }
  getRunLogger().info('way: ' + (approved ? 'deploy' : 'skip'));
  // A plain step (no task): a call to a chat service, say.
  if (!existsSync(${JSON.stringify(marker)})) throw new Error('chat down');
  return approved ? 'deployed' : 'skipped';
});
`);
    const failed = await done;
    assert.equal(failed.state.name, 'Failed');
    assert.match(failed.state.message ?? '', /chat down/);
    assert.equal(failed.inputs?.approval?.timedOut, true, 'the timeout the flow went on past is on record');
    assert.equal((await store.readRun(id))!.inputs?.approval?.timedOut, true, 'in the journal');

    writeFileSync(marker, '');
    let pausedAgain = false;
    runner.on('run', (s) => {
      if (s.id === id && s.state.type === 'PAUSED' && s.attempt === 2) pausedAgain = true;
    });
    const resumed = await (await runner.resume(id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    assert.equal(valueOf(resumed), 'skipped');
    assert.equal(pausedAgain, false, 'no pause in attempt 2');
    assert.ok(logs.includes("INFO Not pausing again: pause 'approval' was not resumed in time in attempt 1 and the flow went on, so it times out again (PauseTimeoutError)"), logs.join('\n'));

    // The timeout wrapped in the flow's own error ended the attempt: not kept, a resume pauses again.
    const wrapped = await started(`import { flow, pauseFlowRun } from 'flowdeck';
export default flow({ name: 'wait-wrapped' }, async () => {
  try { return (await pauseFlowRun({ key: 'go', timeoutSeconds: 0.3, input: { ok: { type: 'boolean' } } })).ok; }
  catch (e) { throw new Error('nobody approved', { cause: e }); }
});
`);
    const ended = await wrapped.done;
    assert.match(ended.state.message ?? '', /nobody approved/);
    assert.equal(ended.inputs?.go, undefined);
    const again = nextPause(wrapped.runner, wrapped.id);
    const active = await wrapped.runner.resume(wrapped.id);
    assert.equal((await again).attempt, 2);
    assert.equal(wrapped.runner.resumePaused(wrapped.id, { ok: true }), undefined);
    const finished = await active.done;
    assert.equal(finished.state.name, 'Completed', finished.state.message);
    assert.equal(valueOf(finished), true);
  });

  it('a pause whose declaration changed since asks again, saying why; the new answer is the one kept', TIMEOUT, async () => {
    const marker = join(tempDir(), 'up');
    const { runner, ws, paused, done, logs, id } = await started(deploying(marker));
    await paused;
    assert.equal(runner.resumePaused(id, { approve: true }), undefined);
    assert.equal((await done).state.name, 'Failed');

    writeFileSync(join(ws, 'p.flow.ts'), deploying(marker, "{ approve: { type: 'boolean', required: true }, replicas: { type: 'integer', required: true } }"));
    writeFileSync(marker, '');
    const again = nextPause(runner, id);
    const active = await runner.resume(id);
    const p = await again;
    assert.equal(p.attempt, 2);
    assert.ok(logs.some((l) => l.startsWith("WARNING The input pause 'pause-1' was resumed with in attempt 1 does not fit it now, so it pauses again:") && l.includes("missing required input 'replicas'")), logs.join('\n'));
    assert.equal(runner.resumePaused(id, { approve: false, replicas: 3 }), undefined);
    const detail = await active.done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual((valueOf(detail) as { answer: unknown }).answer, { approve: false, replicas: 3 });
    assert.deepEqual(detail.inputs?.['pause-1'], { ...detail.inputs!['pause-1']!, value: { approve: false, replicas: 3 }, attempt: 2 });
  });

  it("the flow's own retries go on with it too, and a pause given a key is asked once however often it is reached", TIMEOUT, async () => {
    const { runner, paused, done, logs, id } = await started(`import { flow, pauseFlowRun } from 'flowdeck';
let tries = 0;
export default flow({ name: 'approve-twice', retries: 1 }, async () => {
  const seen: unknown[] = [];
  for (const item of ['a', 'b']) seen.push((await pauseFlowRun({ key: 'approval', input: { ok: { type: 'boolean', required: true } } })).ok);
  if (++tries === 1) throw new Error('first try fails');
  return seen;
});
`);
    const p = await paused;
    assert.equal(p.state.pause?.key, 'approval');
    assert.equal(runner.resumePaused(id, { ok: true }), undefined);
    const detail = await done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.deepEqual(valueOf(detail), [true, true]);
    assert.equal(detail.states.filter((s) => s.name === 'Paused').length, 1, detail.states.map((s) => s.name).join(' '));
    // Reached again in the attempt it was answered in, then twice in the retry.
    assert.deepEqual(logs.filter((l) => l.includes("Not pausing again: pause 'approval' was resumed")).map((l) => l.replace(/.*was resumed /, '')), ['before with input ok', 'in attempt 1 with input ok', 'in attempt 1 with input ok'], logs.join('\n'));
  });
});
