/**
 * `flowdeck inspect <run>`: one run in detail in a terminal — state, where it failed, parameters, result,
 * subflow parent, task runs counted by state in a bounded table (failed ones shown past the limit), what to
 * do next — and `--json` as `flowdeck run --json` prints it.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { currentProcess } from '../../src/engine/processIdentity';
import { state } from '../../src/engine/states';
import { runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  'demo.flow.ts': `import { flow, task, createMarkdownArtifact } from 'flowdeck';
const fetch = task({ name: 'fetch' }, async (i: number) => {
  if (i === 7) throw new Error('repo ' + i + ' is gone');
  return i * 2;
});
const child = flow({ name: 'child' }, async () => 'from the child');
export default flow({ name: 'demo' }, async ({ n }: { n: number }) => {
  createMarkdownArtifact('notes', '# hi');
  await child({});
  const out = [];
  for (let i = 0; i < n; i++) out.push(await fetch(i));
  return out;
});
`,
  'gated.flow.ts': `import { flow, task, pauseFlowRun, PauseTimeoutError } from 'flowdeck';
const skip = task({ name: 'skip' }, async () => 'skipped');
export default flow({ name: 'gated' }, async () => {
  try { await pauseFlowRun({ key: 'approval', timeoutSeconds: 0.2 }); } catch (e) { if (!(e instanceof PauseTimeoutError)) throw e; }
  return skip();
});
`,
};

async function inspectRuns(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const cli = (...args: string[]) => runCli(args, { cwd: ws, env });
  const ok = JSON.parse((await cli('run', 'demo.flow.ts', '--param', 'n=3', '--json')).stdout) as { id: string; name: string };
  const failedRun = await cli('run', 'demo.flow.ts', '--param', 'n=9', '--json');
  assert.equal(failedRun.code, 1);
  const failed = JSON.parse(failedRun.stdout) as { id: string; name: string };

  const shown = await cli('inspect', failed.name, '--tasks', '3');
  assert.equal(shown.code, 0, shown.stderr);
  const text = shown.stdout;
  assert.match(text, new RegExp(`^Run {8}${failed.name} \\(${failed.id}\\)$`, 'm'));
  assert.match(text, /^Flow {7}demo · .*demo\.flow\.ts$/m);
  assert.match(text, /^State {6}Failed — repo 7 is gone$/m);
  assert.match(text, new RegExp(`^Failed at  ${join(ws, 'demo.flow.ts').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:22 \\(Error\\)$`, 'm'));
  assert.match(text, /^Parameters \{"n":9\}$/m);
  assert.match(text, /^Result {5}—$/m);
  assert.match(text, new RegExp(`^Artifacts  notes \\(\`flowdeck artifacts ${failed.name}\`\\)$`, 'm'));
  assert.match(text, /^Task runs: 8 — 7 Completed, 1 Failed$/m);
  const table = text.split('\n').filter((l) => /^fetch-\d/.test(l));
  assert.deepEqual(table.map((l) => l.split(/\s+/)[0]), ['fetch-0', 'fetch-1', 'fetch-2', 'fetch-7'], 'the first 3, then the failed one');
  assert.match(table.at(-1)!, /^fetch-7\s+Failed\s+\S+ ms\s+1\s+repo 7 is gone$/);
  assert.match(text, /^… 4 more \(`--tasks N` shows more; `--json` every one\)$/m);
  assert.match(text, new RegExp(`^Next: flowdeck logs ${failed.name}  ·  flowdeck resume ${failed.name} \\(from its checkpoints\\)$`, 'm'));

  const good = await cli('inspect', ok.id.slice(0, 8), '--tasks', '0');
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^State {6}Completed$/m);
  assert.match(good.stdout, /^Result {5}\[0,2,4\]$/m);
  assert.match(good.stdout, /^Task runs: 3 — 3 Completed$/m);
  assert.doesNotMatch(good.stdout, /^NAME/m, '--tasks 0: counts only');
  assert.doesNotMatch(good.stdout, /^Failed at/m);
  assert.match(good.stdout, new RegExp(`^Next: flowdeck logs ${ok.name}$`, 'm'));

  // A subflow run names its parent, and is resumed through it.
  const runs = JSON.parse((await cli('runs', '--json', '--flow', 'child')).stdout) as { name: string; parentRunId: string }[];
  const sub = runs.find((r) => r.parentRunId === failed.id)!;
  const subShown = await cli('inspect', sub.name);
  assert.match(subShown.stdout, new RegExp(`^Subflow of ${failed.name} \\(${failed.id}\\)$`, 'm'));
  assert.match(subShown.stdout, /^Result {5}"from the child"$/m);

  const json = await cli('inspect', failed.name, '--json');
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { id: string; state: { name: string; failure?: { frame?: { line: number } } }; taskRuns: unknown[]; parameters: unknown };
  assert.equal(parsed.id, failed.id);
  assert.equal(parsed.state.failure?.frame?.line, 3);
  assert.equal(parsed.taskRuns.length, 8, 'every task run');
  assert.deepEqual(parsed.parameters, { n: 9 });

  // `runs --search`: by a flow's name or a run's, any case.
  // (`CHILD`: no run name holds it; `CHIL` is in `chilly` and `chinchilla`.)
  const searched = JSON.parse((await cli('runs', '--search', 'CHILD', '--json')).stdout) as { flowName: string }[];
  assert.deepEqual(searched.map((r) => r.flowName), ['child', 'child']);
  const byName = JSON.parse((await cli('runs', '--search', failed.name, '--json')).stdout) as { id: string }[];
  assert.deepEqual(byName.map((r) => r.id), [failed.id]);
  const none = await cli('runs', '--search', 'zzzz-nothing');
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, "No runs whose name, flow or tags hold 'zzzz-nothing'.\n");
  assert.equal((await cli('runs', '--search', '  ')).code, 2);

  // A pause that timed out, which the flow went on past: on record as such.
  const gated = await cli('run', 'gated.flow.ts', '--json');
  assert.equal(gated.code, 0, gated.stderr);
  const gatedRun = JSON.parse(gated.stdout) as { name: string; inputs?: Record<string, { timedOut?: boolean; attempt: number }> };
  assert.equal(gatedRun.inputs?.approval?.timedOut, true, gated.stdout);
  assert.match((await cli('inspect', gatedRun.name)).stdout, /^Inputs {5}approval: timed out \(attempt 1\)$/m);

  const unknown = await cli('inspect', 'no-such-run');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /flowdeck inspect: no run with id, id prefix or name 'no-such-run'/);
  const badCount = await cli('inspect', failed.name, '--tasks', 'lots');
  assert.equal(badCount.code, 2);
  assert.match(badCount.stderr, /--tasks takes a whole number from 0 to 10,000, got 'lots'/);
  assert.equal((await cli('inspect')).code, 2);
}

describe('flowdeck inspect', { timeout: 120_000 }, () => {
  it('shows a run: state and the line it failed at, parameters, result, task runs by state (failed ones past the limit), subflow parent, what next; --json as run --json (embedded store)', async () => {
    await inspectRuns({ FLOWDECK_HOME: tempDir() });
  });

  it('a run whose journal is gone is said to be so (exit 1), never shown with empty parameters and no task runs', async () => {
    const home = tempDir();
    const ws = workspace(FLOWS);
    const cli = (...args: string[]) => runCli(args, { cwd: ws, env: { FLOWDECK_HOME: home } });
    const ran = JSON.parse((await cli('run', 'demo.flow.ts', '--param', 'n=2', '--json')).stdout) as { id: string; name: string };
    const store = await EmbeddedStore.open(home, { readOnly: true });
    rmSync(store.runFile(ran.id));
    await store.close();
    for (const json of [false, true]) {
      const shown = await cli('inspect', ran.name, ...(json ? ['--json'] : []));
      assert.equal(shown.code, 1, `--json ${json}: ${shown.stdout}`);
      assert.equal(shown.stdout, '', 'nothing shown as if the run had no parameters, task runs or result');
      assert.match(shown.stderr, new RegExp(`^flowdeck inspect: the journal of run '${ran.name}' is missing from .*: its parameters, task runs and result are gone`));
    }
  });

  it('runs lists a run whose journal is gone as such: journalMissing in --json (no parameters, never {}), a mark in the table', async () => {
    const home = tempDir();
    const ws = workspace(FLOWS);
    const cli = (...args: string[]) => runCli(args, { cwd: ws, env: { FLOWDECK_HOME: home } });
    const gone = JSON.parse((await cli('run', 'demo.flow.ts', '--param', 'n=2', '--json')).stdout) as { id: string; name: string };
    const kept = JSON.parse((await cli('run', 'demo.flow.ts', '--param', 'n=3', '--json')).stdout) as { id: string; name: string };
    const store = await EmbeddedStore.open(home, { readOnly: true });
    rmSync(store.runFile(gone.id));
    await store.close();
    const json = await cli('runs', '--json');
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    const goneRow = rows.find((r) => r.id === gone.id)!;
    assert.equal(goneRow.journalMissing, true);
    assert.ok(!('parameters' in goneRow), 'its parameters are not known, not {}');
    const keptRow = rows.find((r) => r.id === kept.id)!;
    assert.deepEqual([keptRow.journalMissing, keptRow.parameters], [undefined, { n: 3 }]);
    const text = await cli('runs');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${gone.name} \\(journal missing\\) `, 'm'));
    assert.doesNotMatch(text.stdout, new RegExp(`^${kept.name} \\(journal missing\\)`, 'm'));
    assert.match(text.stderr, /A run shown has no journal in .* \(journal missing\): its parameters, task runs and result are gone; `flowdeck delete <run>` removes it from the list\./);
    // What the message offers works: the run leaves the list.
    const deleted = await cli('delete', gone.name);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.doesNotMatch((await cli('runs')).stdout, new RegExp(gone.name));
  });

  it("a schedule's run a killed process prepared and never started is not offered a resume: its scheduler runs its slot or lets it go", async () => {
    const home = tempDir();
    const ws = workspace(FLOWS);
    const store = await EmbeddedStore.open(home);
    // A `serve` killed before the slot came due: its process gone, the run it made ahead left Scheduled.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const slot = Date.parse('2026-06-01T09:00:00.000Z');
    const handle = await store.createRun({
      flowName: 'demo',
      source: join(ws, 'demo.flow.ts'),
      parameters: {},
      trigger: { kind: 'schedule', id: 'abcdef0123', slot },
      state: state('Scheduled'),
      owner: { ...currentProcess(), pid: dead, startTicks: 1 },
    });
    const name = handle.name;
    await handle.close();
    await store.close();

    const shown = await runCli(['inspect', name], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Crashed/);
    const next = shown.stdout.split('\n').find((line) => line.startsWith('Next: '));
    assert.equal(next, `Next: flowdeck logs ${name}  ·  it never started: a scheduler of schedule abcdef0123 runs its slot or lets it go  ·  flowdeck delete ${name}`);
  });

  it('the same on Postgres', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await inspectRuns({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });
});
