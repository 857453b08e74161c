/**
 * A huge run printed as JSON in bounded memory: a real 200,000-task map, printed by `run --json` as it ends
 * and by `runs --json --limit 1` afterwards, each in a process of its own, whose peak resident memory it
 * reports as it exits. Before runs were read in parts, `runs --json` peaked at ~730 MB here and
 * `run --json` at ~495 MB (every task run held several times over).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, flowSource, runCli, tempDir, workspace } from '../support/engine';

const TASKS = 200_000;
/** Well under the ~495–730 MB the whole-run reads took, well over the ~180–260 MB these reads take. */
const BOUND_MB = 400;

const MAP_FLOW = flowSource(`
const noop = task({ name: 'noop' }, async (i: number) => i);
export default flow({ name: 'big-map' }, async ({ n }: { n: number }) => (await noop.map(Array.from({ length: n }, (_, i) => i))).length);`);

/** Runs the CLI with a preload that writes the process's peak RSS to stderr as it exits. */
function cliWithPeak(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: Buffer; stderr: string; peakKb: number }> {
  const preload = join(tempDir(), 'peak.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeSync(2, '\\nPEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));`);
  const child = spawn(process.execPath, ['--require', preload, CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((res) =>
    child.on('close', (code) => {
      const peak = /PEAK_RSS_KB=(\d+)/.exec(stderr);
      res({ code, stdout: Buffer.concat(out), stderr, peakKb: peak ? Number(peak[1]) : NaN });
    }),
  );
}

interface PrintedRun {
  state: { name: string };
  result: unknown;
  taskRuns: { id: string; name: string; state: { name: string }; attempts: number }[];
}

/** The map's run, completed, with every task run once and in order. */
function assertEveryTaskRun(doc: PrintedRun): void {
  assert.equal(doc.state.name, 'Completed');
  assert.equal(doc.result, TASKS);
  assert.equal(doc.taskRuns.length, TASKS);
  assert.equal(new Set(doc.taskRuns.map((t) => t.id)).size, TASKS);
  doc.taskRuns.forEach((t, i) => {
    if (t.name !== `noop-${i}` || t.state.name !== 'Completed' || t.attempts !== 1) assert.fail(`task run ${i}: ${JSON.stringify(t)}`);
  });
}

describe('a huge run printed as JSON', { timeout: 180_000 }, () => {
  it(`runs --json prints a ${TASKS.toLocaleString('en')}-task run with a bounded peak memory`, async () => {
    const ws = workspace({ 'big.flow.ts': MAP_FLOW });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'big.flow.ts', '--param', `n=${TASKS}`], { cwd: ws, env });
    assert.equal(run.code, 0, run.stderr.slice(-2000));

    const t0 = performance.now();
    const r = await cliWithPeak(['runs', '--json', '--limit', '1'], env);
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    console.log(`runs --json, ${TASKS.toLocaleString('en')} task runs: peak RSS ${(r.peakKb / 1024).toFixed(0)} MB, ${(r.stdout.length / 2 ** 20).toFixed(0)} MB printed in ${seconds.toFixed(1)} s`);

    const [doc] = JSON.parse(r.stdout.toString('utf8')) as PrintedRun[];
    assertEveryTaskRun(doc!);
    assert.ok(r.peakKb / 1024 < BOUND_MB, `peak RSS ${(r.peakKb / 1024).toFixed(0)} MB, over ${BOUND_MB} MB`);
  });

  it(`run --json runs and prints a ${TASKS.toLocaleString('en')}-task map with a bounded peak memory`, async () => {
    const ws = workspace({ 'big.flow.ts': MAP_FLOW });
    const t0 = performance.now();
    const r = await cliWithPeak(['run', join(ws, 'big.flow.ts'), '--param', `n=${TASKS}`, '--json'], { FLOWDECK_HOME: tempDir() });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    console.log(`run --json, ${TASKS.toLocaleString('en')} task runs: peak RSS ${(r.peakKb / 1024).toFixed(0)} MB (the CLI's, not its worker's), ${(r.stdout.length / 2 ** 20).toFixed(0)} MB printed, ${seconds.toFixed(1)} s run and print`);

    assertEveryTaskRun(JSON.parse(r.stdout.toString('utf8')) as PrintedRun);
    assert.ok(r.peakKb / 1024 < BOUND_MB, `peak RSS ${(r.peakKb / 1024).toFixed(0)} MB, over ${BOUND_MB} MB`);
  });
});
