/**
 * `flowdeck resume <paused run>`: a `flowdeck run` in one terminal pauses (pauseFlowRun); another terminal
 * gives the input it waits for — checked there first, exit 2 saying what is wrong and what it waits for —
 * and the run goes on in its own process with it. On the embedded store (a request file the run's process
 * watches) and on Postgres (the run's row and a notification).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resumePaused } from '../../src/cli/resumePaused';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { FlowRunSummary } from '../../src/engine/records';
import { runCli, tempDir, waitFor, workspace, type CliResult } from '../support/engine';
import { sink } from '../support/sink';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  'flows/deploy.flow.ts': `import { flow, task, pauseFlowRun, getRunLogger } from 'flowdeck';
const build = task({ name: 'build' }, async () => 'v7');
export default flow({ name: 'deploy' }, async () => {
  const version = await build();
  const { approve, replicas, note } = await pauseFlowRun({
    description: 'Deploy ' + version + '?',
    input: {
      approve: { type: 'boolean', required: true },
      replicas: { type: 'integer', default: 2, minimum: 1, description: 'how many' },
      note: { type: 'string', default: '' },
    },
  });
  getRunLogger().info('approve=' + approve + ' replicas=' + replicas + ' note=' + note);
  return approve ? 'deployed ' + version + ' x' + replicas : 'skipped';
});
`,
};

/** Starts `flowdeck run flows/deploy.flow.ts --json` and resolves with its run's name once it is paused. */
async function pausedRun(ws: string, env: NodeJS.ProcessEnv, file = 'flows/deploy.flow.ts'): Promise<{ name: string; done: Promise<CliResult> }> {
  let seen = '';
  let done!: Promise<CliResult>;
  const name = await new Promise<string>((res, rej) => {
    done = runCli(['run', file, '--json'], {
      cwd: ws,
      env,
      onStderr: (chunk) => {
        seen += chunk;
        const m = /Pausing flow run '([a-z]+-[a-z]+)' until resumed/.exec(seen);
        if (m) res(m[1]!);
      },
    });
    done.then((r) => rej(new Error(`the run ended before it paused (${r.code}): ${r.stderr}`)), rej);
  });
  return { name, done };
}

async function resumesFromAnotherProcess(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const { name, done } = await pausedRun(ws, env);
  // Listed Paused (the list follows the journal, a moment after the run's log says so), its description the state's message.
  type Listed = { name: string; state: { name: string; message: string; pause?: { until: string; input: Record<string, { type: string }> } } };
  let listed: Listed[] = [];
  await waitFor(async () => (listed = JSON.parse((await runCli(['runs', '--json', '--state', 'paused'], { cwd: ws, env })).stdout) as Listed[]).length > 0, 'the run listed Paused');
  assert.deepEqual(listed.map((r) => [r.name, r.state.name, r.state.message]), [[name, 'Paused', 'Deploy v7?']]);
  // What it waits for, for a script to ask: until when (the default hour) and the inputs' declarations.
  const pause = listed[0]!.state.pause!;
  assert.deepEqual(Object.entries(pause.input).map(([k, d]) => `${k}:${d.type}`), ['approve:boolean', 'replicas:integer', 'note:string']);
  assert.ok(Math.abs(Date.parse(pause.until) - Date.now() - 3_600_000) < 120_000, pause.until);

  // Input that does not fit is refused here, naming each problem and what the run waits for; it stays paused.
  const bad = await runCli(['resume', name, '--input', 'approve=yes'], { cwd: ws, env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, new RegExp(`^flowdeck resume: Invalid input for flow run '${name}': 'approve' must be true or false, got "yes".*; pass it as --input approve=true or --input approve=false$`, 'm'));
  const unknown = await runCli(['resume', name, '--input', 'approve=true', '--input', 'colour=red'], { cwd: ws, env });
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, new RegExp(`^flowdeck resume: Invalid input for flow run '${name}': unknown input 'colour' \\(expected one of: approve, replicas, note\\)$`, 'm'));
  assert.match(bad.stderr, new RegExp(`Flow run '${name}' is paused \\(Deploy v7\\?\\) and waits for:\\n  --input approve=…  boolean, required\\n  --input replicas=…  integer, default 2 — how many\\n  --input note=…  string, default ""`));
  const missing = await runCli(['resume', name], { cwd: ws, env });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /missing required input 'approve'/);

  // Given: the run's own process goes on with it, defaults filled in.
  const ok = await runCli(['resume', name, '--input', 'approve=true', '--inputs', '{"note":"ship it"}', '--json'], { cwd: ws, env });
  assert.equal(ok.code, 0, ok.stderr);
  const doc = JSON.parse(ok.stdout) as { name: string; outcome: string; state: { type: string } };
  assert.equal(doc.name, name);
  assert.equal(doc.outcome, 'resumed');
  assert.ok(['RUNNING', 'COMPLETED'].includes(doc.state.type), doc.state.type);
  // Its state as run --json gives one: no epoch-millisecond timestamp.
  assert.equal('timestamp' in doc.state, false, JSON.stringify(doc.state));
  const run = await done;
  assert.equal(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { result: unknown }).result, 'deployed v7 x2');
  assert.match(run.stderr, /Resuming flow run '[a-z-]+' with input approve, replicas, note/);
  assert.match(run.stderr, /approve=true replicas=2 note=ship it/);
  if (!env.FLOWDECK_STORE) assert.deepEqual(readdirSync(join(env.FLOWDECK_HOME!, 'runs', 'resumes')), [], "the request went with the run's resume");

  // Not paused any more: nothing to resume (exit 1); --input for a run that is not paused: exit 2.
  const again = await runCli(['resume', name, '--input', 'approve=true'], { cwd: ws, env });
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, new RegExp(`flowdeck resume: run '${name}' is Completed, not Paused; --input, --inputs and --wait are for a run its flow paused \\(pauseFlowRun\\)`));
}

/** A pause answered, then the run fails after it; `flowdeck resume` from its checkpoints goes on with that answer, asking nothing. */
async function answerKept(env: NodeJS.ProcessEnv): Promise<void> {
  const marker = join(tempDir(), 'target-up');
  const ws = workspace({
    'flows/release.flow.ts': `import { existsSync } from 'node:fs';
import { flow, task, pauseFlowRun } from 'flowdeck';
const release = task({ name: 'release' }, async (replicas: number) => { if (!existsSync(${JSON.stringify(marker)})) throw new Error('target down'); return 'released x' + replicas; });
export default flow({ name: 'release' }, async () => {
  const { approve, replicas } = await pauseFlowRun({ description: 'Release?', input: { approve: { type: 'boolean', required: true }, replicas: { type: 'integer', default: 2 } } });
  return approve ? release(replicas) : 'skipped';
});
`,
  });
  const { name, done } = await pausedRun(ws, env, 'flows/release.flow.ts');
  await waitFor(async () => (JSON.parse((await runCli(['runs', '--json', '--state', 'paused'], { cwd: ws, env })).stdout) as unknown[]).length > 0, 'the run listed Paused');
  const given = await runCli(['resume', name, '--input', 'approve=true', '--input', 'replicas=3'], { cwd: ws, env });
  assert.equal(given.code, 0, given.stderr);
  const failed = await done;
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /target down/);

  writeFileSync(marker, '');
  const resumed = await runCli(['resume', name, '--json'], { cwd: ws, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  type Doc = { result: unknown; attempt: number; inputs: Record<string, { value: unknown; attempt: number; time: string }> };
  const doc = JSON.parse(resumed.stdout) as Doc;
  assert.equal(doc.result, 'released x3');
  assert.equal(doc.attempt, 2);
  assert.deepEqual(doc.inputs['pause-1']?.value, { approve: true, replicas: 3 });
  assert.equal(doc.inputs['pause-1']?.attempt, 1);
  assert.match(resumed.stderr, new RegExp(`Flow run '${name}' - Not pausing again: pause 'pause-1' was resumed in attempt 1 with input approve, replicas`));
  assert.doesNotMatch(resumed.stderr, /Pausing flow run/);
}

describe('flowdeck resume of a paused run', { timeout: 240_000 }, () => {
  it('a run resumed from its checkpoints after a pause was answered goes on with that answer, asking nothing (embedded store)', async () => {
    await answerKept({ FLOWDECK_HOME: tempDir() });
  });

  it('on Postgres: the answer kept in the run journal rows', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await answerKept({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  it('gives a paused run of another terminal its input (embedded store); refuses input that does not fit, saying what it waits for', async () => {
    await resumesFromAnotherProcess({ FLOWDECK_HOME: tempDir() });
  });

  it('on Postgres: the same, through the run row and a notification', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await resumesFromAnotherProcess({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  it('two resumes with different input at once (both read it Paused): the run goes on with one, which says resumed (exit 0); the other says its input was not used (exit 1)', async () => {
    const ws = workspace(FLOWS);
    const home = tempDir();
    const env = { FLOWDECK_HOME: home };
    const { name, done } = await pausedRun(ws, env);
    // Two terminals' stores, each reading the run Paused before either asks (as `flowdeck resume` does first).
    const stores = [await EmbeddedStore.open(home), await EmbeddedStore.open(home)];
    try {
      const runs = await Promise.all(
        stores.map(async (st) => {
          let run: FlowRunSummary | undefined;
          await waitFor(async () => {
            await st.refresh();
            run = (await st.list()).find((r) => r.name === name && r.state.type === 'PAUSED');
            return run !== undefined;
          }, 'the run listed Paused');
          return run!;
        }),
      );
      const outs = [sink(), sink()];
      const codes = await Promise.all(
        [3, 5].map((replicas, i) => resumePaused(stores[i]!, runs[i]!, { input: ['approve=true', `replicas=${replicas}`], waitSeconds: 60, json: true }, { stdout: outs[i]!.stream, stderr: sink().stream, env, cwd: ws })),
      );
      const end = await done;
      assert.equal(end.code, 0, end.stderr);
      const winner = /replicas=(\d)/.exec(end.stderr)![1] === '3' ? 0 : 1;
      const outcomes = outs.map((o, i) => [codes[i], (JSON.parse(o.text()) as { outcome: string }).outcome]);
      assert.deepEqual(outcomes[winner], [0, 'resumed']);
      assert.deepEqual(outcomes[1 - winner], [1, 'superseded']);
    } finally {
      for (const st of stores) await st.close();
    }
  });

  it('input given while the run still runs is given once it pauses; a run that ends first is said so (exit 1)', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const ws = workspace({
      'flows/later.flow.ts': `import { flow, pauseFlowRun } from 'flowdeck';
import { existsSync } from 'node:fs';
export default flow({ name: 'later' }, async ({ gate, pause = true }: { gate: string; pause?: boolean }) => {
  for (let i = 0; i < 600 && !existsSync(gate); i++) await new Promise((r) => setTimeout(r, 50));
  if (!pause) return 'no pause';
  const { go } = await pauseFlowRun({ input: { go: { type: 'boolean', required: true } } });
  return go ? 'went' : 'held';
});
`,
    });
    const gate = join(ws, 'gate');
    let seen = '';
    const run = runCli(['run', 'flows/later.flow.ts', '--param', `gate=${gate}`, '--json'], { cwd: ws, env, onStderr: (c) => (seen += c) });
    await waitFor(() => /Created flow run '([a-z]+-[a-z]+)'/.test(seen), 'the run created', 60_000);
    const name = /Created flow run '([a-z]+-[a-z]+)'/.exec(seen)![1]!;
    await waitFor(async () => (JSON.parse((await runCli(['runs', '--json', '--state', 'running'], { cwd: ws, env })).stdout) as unknown[]).length > 0, 'the run listed Running');
    let said = '';
    const resume = runCli(['resume', name, '--input', 'go=true'], { cwd: ws, env, onStdout: (c) => (said += c) });
    await waitFor(() => /is Running, not paused yet: waiting up to 60 s for it to pause…/.test(said), 'resume waiting for the pause', 60_000);
    writeFileSync(gate, 'go');
    const resumed = await resume;
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`Flow run '${name}' resumed: `));
    const done = await run;
    assert.equal(done.code, 0, done.stderr);
    assert.equal((JSON.parse(done.stdout) as { result: unknown }).result, 'went');

    // One that ends without pausing: nothing to resume.
    const gate2 = join(ws, 'gate2');
    seen = '';
    const other = runCli(['run', 'flows/later.flow.ts', '--param', `gate=${gate2}`, '--param', 'pause=false'], { cwd: ws, env, onStderr: (c) => (seen += c) });
    await waitFor(() => /Created flow run '([a-z]+-[a-z]+)'/.test(seen), 'the second run created', 60_000);
    const name2 = /Created flow run '([a-z]+-[a-z]+)'/.exec(seen)![1]!;
    await waitFor(async () => (JSON.parse((await runCli(['runs', '--json', '--state', 'running'], { cwd: ws, env })).stdout) as unknown[]).length > 0, 'the second run listed Running');
    said = '';
    const late = runCli(['resume', name2, '--input', 'go=true', '--wait', '30'], { cwd: ws, env, onStdout: (c) => (said += c) });
    await waitFor(() => /not paused yet/.test(said), 'resume waiting for the pause', 60_000);
    writeFileSync(gate2, 'go');
    const ended = await late;
    assert.equal(ended.code, 1, ended.stdout + ended.stderr);
    assert.match(ended.stdout, new RegExp(`Flow run '${name2}' ended Completed\\(\\) without pausing\\. Nothing to resume\\.`));
    assert.equal((await other).code, 0);
  });

  it('a request file that is no request is removed by the run\'s process; a run cancelled while paused ends Cancelled, and is no longer resumed with input (exit 2)', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const ws = workspace(FLOWS);
    const { name, done } = await pausedRun(ws, env);
    const id = (JSON.parse((await runCli(['runs', '--json', '--limit', '1'], { cwd: ws, env })).stdout) as { id: string }[])[0]!.id;
    mkdirSync(join(env.FLOWDECK_HOME, 'runs', 'resumes'), { recursive: true });
    writeFileSync(join(env.FLOWDECK_HOME, 'runs', 'resumes', id), 'not json');
    // The run's process finds it (within a second or so) and removes it; the run stays paused.
    await waitFor(() => readdirSync(join(env.FLOWDECK_HOME, 'runs', 'resumes')).length === 0, 'the run\'s process to remove a request that is no request');
    const cancel = await runCli(['cancel', name], { cwd: ws, env });
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal((await done).code, 1);
    const late = await runCli(['resume', name, '--wait', '5'], { cwd: ws, env });
    assert.equal(late.code, 2, late.stderr);
    assert.match(late.stderr, /is Cancelled, not Paused/);
  });
});
