/**
 * `flowdeck cancel`: a run started by another process — a `flowdeck run` in another terminal — is
 * cancelled from this one, on the embedded store (a request file its host watches) and on Postgres (a
 * notification its host listens to); a queued run no worker took is cancelled at once.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, startedRun, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  // Waits two minutes unless cancelled; its cleanup logs when the signal fires.
  'flows/slow.flow.ts': flowSource(
    `export default flow({ name: 'slow' }, async () => { getRunLogger().info('slow started'); await new Promise((r, j) => { const t = setTimeout(r, 120_000); getRunContext().signal.addEventListener('abort', () => { clearTimeout(t); getRunLogger().info('cleaning up'); j(new Error('stopped')); }); }); });`,
  ),
  'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 1);`),
  // Resumed by itself when its host dies; each start of its code leaves a line in a file beside the flow.
  'flows/again.flow.ts': flowSource(
    `import { appendFileSync } from 'node:fs'; export default flow({ name: 'again', resumeOnCrash: true }, async () => { appendFileSync(new URL('./started.txt', import.meta.url), 'x\\n'); getRunLogger().info('slow started'); await new Promise((r) => setTimeout(r, 120_000)); });`,
  ),
  'flows/parent.flow.ts': flowSource(`
const child = flow({ name: 'child' }, async () => 2);
export default flow({ name: 'parent' }, async () => child({}));`),
};


async function cancelsFromAnotherProcess(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const { name, done } = await startedRun(ws, env);
  const cancel = await runCli(['cancel', name], { cwd: ws, env });
  assert.equal(cancel.code, 0, cancel.stderr + cancel.stdout);
  assert.match(cancel.stdout, new RegExp(`Flow run '${name}' is Running: asked the process running it to cancel it`));
  assert.match(cancel.stdout, new RegExp(`Flow run '${name}' - Finished in state Cancelled\\('Cancelled by flowdeck cancel'\\)`));
  // The run's own process ends it Cancelled, its flow's cleanup having run.
  const run = await done;
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /cleaning up/);
  assert.match(run.stderr, /Finished in state Cancelled\('Cancelled by flowdeck cancel'\)/);

  if (!env.FLOWDECK_STORE) {
    // The embedded store's request file went with the run's cancel: its process took it.
    assert.deepEqual(readdirSync(join(env.FLOWDECK_HOME!, 'runs', 'cancels')), []);
    // One left for a run that ended before its process looked goes at the next request.
    writeFileSync(join(env.FLOWDECK_HOME!, 'runs', 'cancels', (JSON.parse((await runCli(['runs', '--json', '--limit', '1'], { cwd: ws, env })).stdout) as { id: string }[])[0]!.id), '{"reason":"late"}');
  }
  // Again: nothing to cancel, and JSON says so.
  const again = await runCli(['cancel', name, '--json'], { cwd: ws, env });
  assert.equal(again.code, 1, again.stderr);
  const doc = JSON.parse(again.stdout) as { name: string; outcome: string; state: { name: string } };
  assert.deepEqual([doc.name, doc.outcome, doc.state.name], [name, 'finished', 'Cancelled']);
  assert.match(again.stderr, /had already ended: Cancelled\('Cancelled by flowdeck cancel'\)\. Nothing to cancel\./);
  if (!env.FLOWDECK_STORE) assert.deepEqual(readdirSync(join(env.FLOWDECK_HOME!, 'runs', 'cancels')), []);

  // A run that ends by itself is left alone; bad input exits 2 naming what was wrong.
  const ok = await runCli(['run', 'flows/ok.flow.ts'], { cwd: ws, env });
  assert.equal(ok.code, 0, ok.stderr);
  const unknown = await runCli(['cancel', 'no-such-run'], { cwd: ws, env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /flowdeck cancel: no run with id, id prefix or name 'no-such-run'/);
  // A subflow run is cancelled with the run it belongs to.
  const parent = await runCli(['run', 'flows/parent.flow.ts', '--json'], { cwd: ws, env });
  assert.equal(parent.code, 0, parent.stderr);
  const parentName = (JSON.parse(parent.stdout) as { name: string }).name;
  const listed = JSON.parse((await runCli(['runs', '--json', '--flow', 'child'], { cwd: ws, env })).stdout) as { name: string }[];
  const sub = await runCli(['cancel', listed[0]!.name], { cwd: ws, env });
  assert.equal(sub.code, 2, sub.stderr);
  assert.match(sub.stderr, new RegExp(`is a subflow run; cancel the run it belongs to \\('${parentName}'\\)`));
  // The history by state type: the cancelled run alone; several types at once; none in a type; a bad type.
  const cancelled = JSON.parse((await runCli(['runs', '--json', '--state', 'cancelled'], { cwd: ws, env })).stdout) as { name: string }[];
  assert.deepEqual(cancelled.map((r) => r.name), [name]);
  const both = JSON.parse((await runCli(['runs', '--json', '--state', 'CANCELLED', '--state', 'completed'], { cwd: ws, env })).stdout) as { name: string }[];
  assert.equal(both.length, 4, JSON.stringify(both.map((r) => r.name)));
  const none = await runCli(['runs', '--state', 'failed'], { cwd: ws, env });
  assert.deepEqual([none.code, none.stdout.trim()], [0, 'No runs in state failed.']);
  // A state's name narrows within its type (TimedOut is failed).
  const timedOut = await runCli(['runs', '--state', 'TimedOut'], { cwd: ws, env });
  assert.deepEqual([timedOut.code, timedOut.stdout.trim()], [0, 'No runs in state TimedOut.']);
  const badState = await runCli(['runs', '--state', 'stuck'], { cwd: ws, env });
  assert.equal(badState.code, 2);
  assert.match(badState.stderr, /--state takes a state type, one of scheduled, pending, running, cancelling, paused, completed, failed, cancelled, crashed, or a state's name \(late, awaitingretry, awaitingconcurrencyslot, retrying, cached, timedout, suspended\); got 'stuck'/);
  const badWait = await runCli(['cancel', name, '--wait', 'soon'], { cwd: ws, env });
  assert.equal(badWait.code, 2);
  assert.match(badWait.stderr, /^flowdeck cancel: --wait must be a number of seconds from 0 to 3600, not 'soon'$/m);
  assert.doesNotMatch(badWait.stderr, /flowdeck cancel: flowdeck/);

  // Asked with --json and ended Cancelled within the wait: the outcome says so (it said `requested`).
  const second = await startedRun(ws, env);
  const asJson = await runCli(['cancel', second.name, '--json'], { cwd: ws, env });
  assert.equal(asJson.code, 0, asJson.stderr);
  const said = JSON.parse(asJson.stdout) as { name: string; outcome: string; state: { type: string; name: string } };
  assert.deepEqual([said.name, said.outcome, said.state.type], [second.name, 'cancelled', 'CANCELLED']);
  assert.match(asJson.stderr, /asked the process running it to cancel it/);
  assert.equal((await second.done).code, 1);
}

async function cancelsCrashResume(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const { name, child, done } = await startedRun(ws, env, 'flows/again.flow.ts');
  child.kill('SIGKILL');
  assert.equal((await done).signal, 'SIGKILL');
  // Crashed once the host is found dead: at once on the embedded store, once its lease lapses on Postgres.
  for (let i = 0; i < 60; i++) {
    const listed = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as { state: { type: string } }[];
    if (listed[0]?.state.type === 'CRASHED') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const cancel = await runCli(['cancel', name, '--json'], { cwd: ws, env });
  const said = JSON.parse(cancel.stdout) as { name: string; outcome: string; state: { type: string; message?: string } };
  assert.deepEqual([cancel.code, said.outcome, said.state.type, said.state.message], [0, 'cancelled', 'CANCELLED', 'Cancelled by flowdeck cancel'], cancel.stderr);
  // As a resume cancelled while it takes a run over: its next attempt ends Cancelled, having run nothing.
  // No host resumes it any more (before, this one did, and its code ran again after the cancel).
  const crashed = await runCli(['resume', '--crashed'], { cwd: ws, env });
  assert.equal(crashed.code, 0, crashed.stderr);
  assert.match(crashed.stderr + crashed.stdout, /No crashed runs to resume/);
  assert.equal(readFileSync(join(ws, 'flows', 'started.txt'), 'utf8'), 'x\n');
  const runs = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as { name: string; state: { type: string }; attempt: number }[];
  assert.deepEqual(runs.map((r) => [r.name, r.state.type, r.attempt]), [[name, 'CANCELLED', 2]]);
  const logs = await runCli(['logs', name], { cwd: ws, env });
  assert.match(logs.stdout, /Finished in state Crashed\('host process ended'\)\n.*Cancelled before its host resumed it \(resumeOnCrash\): attempt 2 ran nothing\n.*Finished in state Cancelled\('Cancelled by flowdeck cancel'\)\n$/);
  // Asked again: it has ended, nothing to cancel.
  const again = await runCli(['cancel', name], { cwd: ws, env });
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stdout, /had already ended: Cancelled\('Cancelled by flowdeck cancel'\)\. Nothing to cancel\./);
}

describe('flowdeck cancel', { timeout: 240_000 }, () => {
  it('cancels a run another terminal runs (embedded store): Cancelling, its cleanup, Cancelled; then says it has ended', async () => {
    await cancelsFromAnotherProcess({ FLOWDECK_HOME: tempDir() });
  });

  it('cancels a crashed run its flow would resume by itself (resumeOnCrash): it ends Cancelled, and nothing resumes it', async () => {
    await cancelsCrashResume({ FLOWDECK_HOME: tempDir() });
  });

  it('on Postgres: cancels a crashed run its flow would resume by itself, as on the embedded store', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    // A short lease: the killed host's run is found Crashed within seconds.
    await cancelsCrashResume({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir(), FLOWDECK_LEASE_SECONDS: '4', FLOWDECK_HEARTBEAT_SECONDS: '1' });
  });

  it('on Postgres: cancels a run another process runs (not a worker), and a queued run no worker took at once', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() };
    await cancelsFromAnotherProcess(env);
    const ws = workspace(FLOWS);
    const queued = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'nobody'], { cwd: ws, env });
    assert.equal(queued.code, 0, queued.stderr);
    const name = /Queued flow run '([a-z]+-[a-z]+)'/.exec(queued.stderr)![1]!;
    const cancel = await runCli(['cancel', name, '--reason', 'not needed today'], { cwd: ws, env });
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`Flow run '${name}' - Finished in state Cancelled\\('not needed today'\\)`));
    // Resumed here after all: nothing ran before, and the log says so rather than "0 of 0 task runs reused".
    const resumed = await runCli(['resume', name], { cwd: ws, env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`Resuming flow run '${name}' \\(attempt 2\\): it never started before, so it starts from the beginning`));
  });
});
