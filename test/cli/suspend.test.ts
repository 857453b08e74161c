/**
 * A run its flow suspends (suspendFlowRun), across processes: `flowdeck run` ends with it Suspended (exit 1,
 * saying how it goes on), nothing holds it — no process, so no store marks it Crashed — and `flowdeck resume
 * <run> --input …` in another terminal runs it from its checkpoints to its end; `flowdeck cancel` ends one
 * at once. On the embedded store and on Postgres.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { explainedBy, startWorker } from '../support/workers';

const FLOWS = {
  'flows/publish.flow.ts': `import { flow, task, suspendFlowRun, getRunLogger } from 'flowdeck';
const build = task({ name: 'build' }, async () => { getRunLogger().info('building'); return 'report-7'; });
const notes = flow({ name: 'notes' }, async () => { getRunLogger().info('notes written'); });
export default flow({ name: 'publish' }, async () => {
  const report = await build();
  await notes({});
  const { approve, channel } = await suspendFlowRun({
    description: 'Publish ' + report + '?',
    input: { approve: { type: 'boolean', required: true }, channel: { type: 'string', default: 'news' } },
  });
  return approve ? 'published ' + report + ' to ' + channel : 'kept back';
});
`,
};

type Listed = { name: string; flowName: string; state: { name: string; type: string; message?: string; pause?: { key: string; input: Record<string, unknown> } } };

async function suspendedRun(ws: string, env: NodeJS.ProcessEnv): Promise<string> {
  const run = await runCli(['run', 'flows/publish.flow.ts'], { cwd: ws, env });
  assert.equal(run.code, 1, run.stderr);
  const m = /⏸ Flow run '([a-z0-9-]+)' is suspended: Publish report-7\?: nothing runs it now\. Resume it until \S+ with `flowdeck resume \1 --input approve=…` \(it also takes channel\), or Resume Run in VS Code\./.exec(run.stderr);
  assert.ok(m, run.stderr);
  assert.match(run.stderr, /Finished in state Suspended\('Publish report-7\?'\)/);
  return m[1]!;
}

async function suspendsAndResumes(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const name = await suspendedRun(ws, env);
  // Its process is gone, and it is Suspended still — for a reader, and for a process that settles the store's runs.
  // (Its subflow run `notes` completed before it suspended.)
  const listed = (JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as Listed[]).filter((r) => r.flowName !== 'notes');
  assert.deepEqual(listed.map((r) => [r.name, r.state.name, r.state.type, r.state.pause?.key]), [[name, 'Suspended', 'PAUSED', 'pause-1']]);
  assert.deepEqual(Object.keys(listed[0]!.state.pause!.input), ['approve', 'channel']);

  // Input that does not fit: exit 2, what it waits for; still Suspended.
  const missing = await runCli(['resume', name], { cwd: ws, env });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /flowdeck resume: Invalid input for flow run '.+': missing required input 'approve'/);
  assert.match(missing.stderr, new RegExp(`Flow run '${name}' is suspended \\(Publish report-7\\?\\) and waits for:\\n  --input approve=…  boolean, required\\n  --input channel=…  string, default "news"`));

  const resumed = await runCli(['resume', name, '--input', 'approve=true', '--json'], { cwd: ws, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout) as { result: unknown; attempt: number; state: { name: string }; inputs: Record<string, { value: unknown; attempt: number }>; taskRuns: { name: string; state: { name: string }; attempt: number }[] };
  assert.equal(doc.state.name, 'Completed');
  assert.equal(doc.result, 'published report-7 to news');
  assert.equal(doc.attempt, 2);
  assert.deepEqual(doc.inputs['pause-1'], { ...doc.inputs['pause-1']!, value: { approve: true, channel: 'news' }, attempt: 2 });
  assert.match(resumed.stderr, new RegExp(`Flow run '${name}' - Going on after suspension 'pause-1' with input approve, channel`));
  assert.equal((resumed.stderr.match(/building/g) ?? []).length, 0, 'the build before the suspension is reused, not run again');

  // Another, cancelled while suspended: at once, nothing running it.
  const other = await suspendedRun(ws, env);
  const cancelled = await runCli(['cancel', other, '--json'], { cwd: ws, env });
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.deepEqual(JSON.parse(cancelled.stdout).outcome, 'cancelled');
  const after = (JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as Listed[]).filter((r) => r.flowName !== 'notes');
  assert.deepEqual(after.map((r) => [r.name, r.state.name]).sort(), [[name, 'Completed'], [other, 'Cancelled']].sort());
}

/** Each file under `dir` with its size: what a look that records nothing leaves as it was. */
function filesOf(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => { const f = join(d.parentPath, d.name); return `${f} ${statSync(f).size}`; })
    .sort();
}

/**
 * A suspended run whose time ran out, nobody having settled the store since: read-only looks (`runs`,
 * `runs --state failed`, `inspect`, `logs`) show it as a writer will settle it — Failed at its deadline, the
 * engine's end line last in its log — and record nothing; a writer then ends it so.
 */
async function expiredShownAsSettled(env: NodeJS.ProcessEnv, embeddedHome?: string): Promise<void> {
  const ws = workspace({
    'late.flow.ts': `import { flow, suspendFlowRun } from 'flowdeck';
export default flow({ name: 'late' }, async () => (await suspendFlowRun({ timeoutSeconds: 0.5 })).ok);
`,
  });
  const run = await runCli(['run', 'late.flow.ts', '--json'], { cwd: ws, env });
  assert.equal(run.code, 1, run.stderr);
  const { name } = JSON.parse(run.stdout) as { name: string };
  await new Promise((r) => setTimeout(r, 800));
  const before = embeddedHome !== undefined ? filesOf(embeddedHome) : [];
  const message = `PauseTimeoutError: Flow run '${name}' was suspended and not resumed within 500 ms`;
  const listed = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as (Listed & { endTime: string })[];
  assert.deepEqual(listed.map((r) => [r.name, r.state.name, r.state.message]), [[name, 'Failed', message]]);
  const failed = await runCli(['runs', '--state', 'failed'], { cwd: ws, env });
  assert.match(failed.stdout, new RegExp(`${name} +late +Failed`));
  const inspected = JSON.parse((await runCli(['inspect', name, '--json'], { cwd: ws, env })).stdout) as { state: { name: string; message: string } };
  assert.deepEqual([inspected.state.name, inspected.state.message], ['Failed', message]);
  const logs = await runCli(['logs', name], { cwd: ws, env });
  assert.match(logs.stdout.trimEnd().split('\n').at(-1)!, new RegExp(`ERROR +\\| Flow run '${name}' - Finished in state Failed\\("PauseTimeoutError:`));
  if (embeddedHome !== undefined) assert.deepEqual(filesOf(embeddedHome), before, 'the looks recorded nothing');
  // A writer settles it so.
  const pruned = await runCli(['prune', '--keep', '100'], { cwd: ws, env });
  assert.equal(pruned.code, 0, pruned.stderr);
  const settled = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as (Listed & { endTime: string })[];
  assert.deepEqual(settled.map((r) => [r.name, r.state.name, r.state.message, r.endTime]), listed.map((r) => [r.name, r.state.name, r.state.message, r.endTime]));
}

describe('a suspended run across processes', { timeout: 240_000 }, () => {
  it('resume --input after its time ran out says it ended Failed for that, and how it goes on: resumed again, without input, it is suspended anew', async () => {
    const ws = workspace({
      'late.flow.ts': `import { flow, suspendFlowRun } from 'flowdeck';
export default flow({ name: 'late' }, async () => {
  const { a } = await suspendFlowRun({ timeoutSeconds: 0.5, input: { a: { type: 'string', required: true } } });
  return a;
});
`,
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'late.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(run.code, 1, run.stderr);
    const { name } = JSON.parse(run.stdout) as { name: string };
    await new Promise((r) => setTimeout(r, 800));
    const late = await runCli(['resume', name, '--input', 'a=x'], { cwd: ws, env });
    assert.equal(late.code, 2, late.stderr);
    assert.doesNotMatch(late.stderr, /for a run its flow paused/);
    assert.match(late.stderr, new RegExp(`^flowdeck resume: run '${name}' was suspended and not resumed in time, so it ended Failed \\(PauseTimeoutError: .*\\)\\. Resume it again without --input to run it from its checkpoints: it is suspended anew, with a new deadline, and takes its input then \\(\`flowdeck resume ${name}\`\\)`));
    const again = await runCli(['resume', name, '--json'], { cwd: ws, env: { ...env } });
    assert.equal(again.code, 1, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { state: { name: string } }).state.name, 'Suspended');
  });

  it('a suspension whose time ran out is shown Failed by read-only looks before any writer settles it, recording nothing (embedded store)', async () => {
    const home = tempDir();
    await expiredShownAsSettled({ FLOWDECK_HOME: home }, home);
  });

  it('a suspension whose time ran out is shown Failed by read-only looks before any writer settles it (Postgres)', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await expiredShownAsSettled({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  it('flowdeck run ends it Suspended; flowdeck resume --input runs it to its end from its checkpoints; cancel ends another (embedded store)', async () => {
    await suspendsAndResumes({ FLOWDECK_HOME: tempDir() });
  });

  it('on Postgres: the same, no reaper taking a suspended run for a crashed one', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await suspendsAndResumes({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  it('on a Postgres worker: a suspended run gives its --concurrency place back at once (a pause would keep it); run --queue --wait says how it goes on; resumed, it goes back to a worker', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const ws = workspace({ ...FLOWS, 'flows/ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 'ok ran');`) });
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    // One place: a run that held it would keep the next from starting.
    const worker = await startWorker({ url: pgUrl(), schema, name: 'w1', flowsDir: ws, concurrency: 1 });
    try {
      await explainedBy(worker, async () => {
        const queued = await runCli(['run', 'flows/publish.flow.ts', '--queue', 'default', '--wait'], { cwd: ws, env });
        assert.equal(queued.code, 1, queued.stderr);
        const name = /⏸ Flow run '([a-z0-9-]+)' is suspended: Publish report-7\?: nothing runs it now\./.exec(queued.stderr)?.[1];
        assert.ok(name, queued.stderr);
        const next = await runCli(['run', 'flows/ok.flow.ts', '--queue', 'default', '--wait', '--json'], { cwd: ws, env });
        assert.equal(next.code, 0, next.stderr);
        assert.equal(JSON.parse(next.stdout).result, 'ok ran');
        // Resumed from a terminal, it goes back to its queue: a worker runs its next attempt.
        const resumed = await runCli(['resume', name, '--input', 'approve=false', '--json'], { cwd: ws, env });
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.match(resumed.stderr, new RegExp(`Flow run '${name}' goes back to queue 'default': a worker resumes it from its checkpoints…`));
        assert.match(resumed.stderr, /Going on after suspension 'pause-1' with input approve, channel/);
        assert.doesNotMatch(resumed.stderr, /Suspending flow run/, 'what its first attempt logged is not shown again');
        assert.match(queued.stderr, /notes written/);
        assert.doesNotMatch(resumed.stderr, /notes written/, 'nor what its subflow run logged then');
        assert.equal(JSON.parse(resumed.stdout).result, 'kept back');
        assert.equal(JSON.parse(resumed.stdout).attempt, 2);
        assert.match(worker.output(), new RegExp(`resuming ${name} \\(publish\\) from its checkpoints[\\s\\S]*${name} ended Completed`));
      });
    } finally {
      await worker.stop();
    }
  });
});
