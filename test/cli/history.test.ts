/**
 * Run history kept in bounds from the command line: `flowdeck delete` (finished runs by name, each with its
 * subflow runs; every name checked before anything goes), `flowdeck prune` (by count and age, by flow and
 * state, --dry-run), and `--keep-runs` of `flowdeck serve` and `flowdeck worker`, which keep a store pruned
 * while they run. On the embedded store and on Postgres; real processes, bounded waits, nothing timed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { CLI, flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { explainedBy, startWorker } from '../support/workers';

const FLOWS = {
  'report.flow.ts': flowSource(`const part = flow({ name: 'part' }, async () => 'part');
export default flow({ name: 'report' }, async ({ fail }: { fail?: boolean }) => { await part({}); if (fail) throw new Error('no data'); return 'ok'; });`),
  'other.flow.ts': flowSource(`export default flow({ name: 'other' }, async () => 'other');`),
  'ask.flow.ts': `import { flow, suspendFlowRun } from 'flowdeck';
export default flow({ name: 'ask' }, async () => { const { go } = await suspendFlowRun({ input: { go: { type: 'boolean', required: true } } }); return go; });
`,
};

type Listed = { id: string; name: string; flowName: string; parentRunId?: string; state: { name: string } };
const isRoot = (r: Listed): boolean => r.parentRunId === undefined;

async function listed(ws: string, env: NodeJS.ProcessEnv): Promise<Listed[]> {
  const out = await runCli(['runs', '--json', '--limit', '1000'], { cwd: ws, env });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as Listed[];
}

async function started(ws: string, env: NodeJS.ProcessEnv, args: string[], code = 0): Promise<{ id: string; name: string }> {
  const run = await runCli(['run', ...args, '--json'], { cwd: ws, env });
  assert.equal(run.code, code, run.stderr);
  return JSON.parse(run.stdout) as { id: string; name: string };
}

async function deletesAndPrunes(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  // Oldest first: four reports (one failed), each with its subflow run; one of another flow; one suspended.
  const reports = [];
  for (let i = 0; i < 3; i++) reports.push(await started(ws, env, ['report.flow.ts']));
  reports.push(await started(ws, env, ['report.flow.ts', '--param', 'fail=true'], 1));
  const other = await started(ws, env, ['other.flow.ts']);
  const asking = await started(ws, env, ['ask.flow.ts'], 1);
  assert.equal((await listed(ws, env)).length, 10);

  const noRule = await runCli(['prune'], { cwd: ws, env });
  assert.equal(noRule.code, 2);
  assert.match(noRule.stderr, /flowdeck prune needs --keep N or --older-than AGE/);
  const badAge = await runCli(['prune', '--older-than', '3 weeks'], { cwd: ws, env });
  assert.equal(badAge.code, 2);
  assert.match(badAge.stderr, /--older-than takes an age such as 30d, 12h, 90m, 45s or 2w .*got '3 weeks'/);

  // A dry run lists what would go, newest first, and deletes nothing.
  const dry = await runCli(['prune', '--keep', '1', '--flow', 'report', '--dry-run', '--json'], { cwd: ws, env });
  assert.equal(dry.code, 0, dry.stderr);
  const would = JSON.parse(dry.stdout) as { deleted: { name: string; state: { name: string } }[]; kept: number; dryRun: boolean };
  assert.deepEqual(would.deleted.map((r) => r.name), [reports[2]!.name, reports[1]!.name, reports[0]!.name]);
  assert.equal(would.kept, 1);
  assert.equal(would.dryRun, true);
  assert.match(dry.stderr, /Would delete 3 of 4 finished runs of 'report' in .+, keeping 1; nothing was deleted \(--dry-run\)\./);
  assert.equal((await listed(ws, env)).length, 10);

  // Nothing ended more than an hour ago.
  const young = await runCli(['prune', '--older-than', '1h'], { cwd: ws, env });
  assert.equal(young.code, 0, young.stderr);
  assert.match(young.stdout, /Nothing to prune: all 5 finished runs are kept by the rule/);

  // Completed reports past the newest one go, with their subflow runs; the failed one is not of the state chosen.
  const pruned = await runCli(['prune', '--keep', '1', '--flow', 'report', '--state', 'completed'], { cwd: ws, env });
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /Deleted 2 of 3 finished runs of 'report' in .+ \(with their subflow runs, logs and results\); kept 1\./);
  let now = await listed(ws, env);
  assert.deepEqual(now.filter(isRoot).map((r) => r.name).sort(), [reports[2]!.name, reports[3]!.name, other.name, asking.name].sort());
  assert.deepEqual(now.filter((r) => !isRoot(r)).map((r) => r.flowName), ['part', 'part'], 'the deleted runs\' subflow runs went with them');
  assert.deepEqual(now.filter((r) => !isRoot(r)).map((r) => r.parentRunId).sort(), [reports[2]!.id, reports[3]!.id].sort(), 'runs --json names a subflow run\'s parent');
  const gone = await runCli(['logs', reports[0]!.name], { cwd: ws, env });
  assert.equal(gone.code, 2, 'its logs are gone too');

  // delete checks every name before anything goes: a run not finished, a subflow run, an unknown name.
  const sub = now.find((r) => r.flowName === 'part')!;
  const refused = await runCli(['delete', reports[2]!.name, asking.name, sub.name, 'no-such-run'], { cwd: ws, env });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`flow run '${asking.name}' is Suspended, waiting for input, not finished: cancel it first \\(\`flowdeck cancel ${asking.name}\`\\), then delete it`));
  assert.match(refused.stderr, new RegExp(`'${sub.name}' is a subflow run; delete the run it belongs to \\('(${reports[2]!.name}|${reports[3]!.name})'\\)`));
  assert.match(refused.stderr, /no run with id, id prefix or name 'no-such-run'/);
  assert.match(refused.stderr, /Nothing was deleted\./);
  assert.equal((await listed(ws, env)).length, now.length);

  const deleted = await runCli(['delete', reports[3]!.id.slice(0, 8), other.name, '--json'], { cwd: ws, env });
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual((JSON.parse(deleted.stdout) as { deleted: { name: string; subflowRuns: number }[] }).deleted.map((r) => [r.name, r.subflowRuns]), [[reports[3]!.name, 1], [other.name, 0]]);
  assert.match(deleted.stderr, new RegExp(`Deleted flow run '${reports[3]!.name}' of report \\(Failed\\('no data'\\)\\) with its 1 subflow run`));

  // --keep 0: every finished run goes; the suspended one stays.
  const all = await runCli(['prune', '--keep', '0'], { cwd: ws, env });
  assert.equal(all.code, 0, all.stderr);
  now = await listed(ws, env);
  assert.deepEqual(now.map((r) => [r.name, r.state.name]), [[asking.name, 'Suspended']]);
  // `runs --state` takes a state's name too (Suspended is of type paused).
  const suspended = await runCli(['runs', '--state', 'Suspended', '--json'], { cwd: ws, env });
  assert.equal(suspended.code, 0, suspended.stderr);
  assert.deepEqual((JSON.parse(suspended.stdout) as Listed[]).map((r) => r.name), [asking.name]);
  const timedOut = await runCli(['runs', '--state', 'timedout'], { cwd: ws, env });
  assert.equal(timedOut.code, 0, timedOut.stderr);
  assert.match(timedOut.stdout, /No runs in state TimedOut\./);
  const bogus = await runCli(['runs', '--state', 'stuck'], { cwd: ws, env });
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /--state takes a state type, one of scheduled, .*, or a state's name \(late, awaitingretry, .*suspended\); got 'stuck'/);
}

const children: ReturnType<typeof spawn>[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('run history from the command line', { timeout: 300_000 }, () => {
  it('delete and prune (embedded store)', async () => {
    await deletesAndPrunes({ FLOWDECK_HOME: tempDir() });
  });

  it('delete and prune (Postgres)', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await deletesAndPrunes({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  it("prune --state takes a finished state's name too (timedout: only the runs that timed out, not the failed ones); an unfinished one's is refused saying so", async () => {
    const ws = workspace({
      ...FLOWS,
      'slow.flow.ts': flowSource(`export default flow({ name: 'slow', timeoutSeconds: 0.2 }, async () => {
  const { signal } = getRunContext();
  await new Promise((r) => { const t = setTimeout(r, 20_000); signal.addEventListener('abort', () => { clearTimeout(t); r(undefined); }); });
});`),
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const failed = await started(ws, env, ['report.flow.ts', '--param', 'fail=true'], 1);
    const timedOut = await started(ws, env, ['slow.flow.ts'], 1);
    assert.equal((await listed(ws, env)).find((r) => r.id === timedOut.id)?.state.name, 'TimedOut');
    const pruned = await runCli(['prune', '--keep', '0', '--state', 'timedout', '--json'], { cwd: ws, env });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual((JSON.parse(pruned.stdout) as { deleted: { name: string }[] }).deleted.map((r) => r.name), [timedOut.name]);
    assert.deepEqual((await listed(ws, env)).filter(isRoot).map((r) => r.name), [failed.name]);
    const unfinished = await runCli(['prune', '--keep', '0', '--state', 'suspended'], { cwd: ws, env });
    assert.equal(unfinished.code, 2);
    assert.match(unfinished.stderr, /--state takes a finished run's state: a type, one of completed, failed, cancelled, crashed, or a name, one of cached, timedout; got 'suspended', a state of runs not finished, which are never pruned/);
  });

  it('serve --keep-runs 2 prunes the store when it starts and as its scheduled runs end', async () => {
    const home = tempDir();
    const env = { FLOWDECK_HOME: home };
    const ws = workspace({ 'tick.flow.ts': flowSource(`export default flow({ name: 'tick', schedule: { intervalSeconds: 1 } }, async () => 'tock');`), ...FLOWS });
    const before = [];
    for (let i = 0; i < 3; i++) before.push(await started(ws, env, ['report.flow.ts']));
    const bad = await runCli(['serve', '--keep-runs', '0'], { cwd: ws, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--keep-runs must be a whole number ≥ 1, got '0'/);

    const child = spawn(process.execPath, [CLI, 'serve', 'tick.flow.ts', '--keep-runs', '2'], { cwd: ws, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const explained = async (body: () => Promise<void>): Promise<void> => {
      try {
        await body();
      } catch (e) {
        (e as Error).message += `\nflowdeck serve printed:\n${stderr}`;
        throw e;
      }
    };
    // At start: the oldest report and its subflow run.
    await explained(() => waitFor(() => /Pruned the run history: deleted 2 flow runs \(subflow runs included\), keeping the newest 2 finished \(--keep-runs\)/.test(stderr), 'the first prune', 60_000));
    // Then as ticks end: the reports go, then older ticks.
    await explained(() => waitFor(async () => (await listed(ws, env)).filter((r) => r.flowName === 'tick' && r.state.name === 'Completed').length >= 2 && (stderr.match(/Pruned the run history/g) ?? []).length >= 3, 'ticks and two more prunes', 120_000));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const left = await listed(ws, env);
    const finished = left.filter((r) => isRoot(r) && ['Completed', 'Failed', 'Cancelled', 'Crashed'].includes(r.state.name));
    assert.equal(finished.length, 2, `the newest 2 finished runs are kept, after a last prune as it stopped: ${left.map((r) => `${r.name} ${r.flowName} ${r.state.name}`).join(', ')}`);
    assert.deepEqual(finished.map((r) => r.flowName), ['tick', 'tick']);
    assert.equal(left.filter((r) => r.flowName === 'part').length, 0);
    console.log(`serve --keep-runs 2: ${(stderr.match(/Pruned the run history/g) ?? []).length} prunes, ${(stderr.match(/Started flow run/g) ?? []).length} scheduled runs`);
  });

  it('worker --keep-runs 1 keeps a Postgres store to its newest finished run', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const ws = workspace(FLOWS);
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'w1', flowsDir: ws, concurrency: 1, args: ['--keep-runs', '1'] });
    const names: string[] = [];
    try {
      await explainedBy(worker, async () => {
        for (let i = 0; i < 3; i++) {
          const queued = await runCli(['run', 'report.flow.ts', '--queue', 'default', '--wait', '--json'], { cwd: ws, env });
          assert.equal(queued.code, 0, queued.stderr);
          names.push((JSON.parse(queued.stdout) as { name: string }).name);
        }
        await waitFor(async () => (await listed(ws, env)).length === 2, 'the store pruned to the newest run and its subflow run', 60_000);
      });
    } finally {
      await worker.stop();
    }
    const left = await listed(ws, env);
    assert.deepEqual(left.filter(isRoot).map((r) => r.name), [names[2]]);
    assert.match(worker.output(), /Pruned the run history: deleted \d flow runs \(subflow runs included\), keeping the newest 1 finished \(--keep-runs\)/);
  });
});
