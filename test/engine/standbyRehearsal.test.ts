import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { HostToWorker } from '../../src/engine/protocol';
import { workerLimits } from '../../src/engine/workerLimits';
import { rehearsalFlowFile } from '../../src/engine/worker/warmUp';
import { forkWorker } from '../../src/engine/workerFork';
import { WorkerProcess } from '../../src/engine/workerProcess';
import { DIST, flowSource, makeRunner, tempDir, valueOf, waitFor, workspace } from '../support/engine';

const T = { timeout: 120_000 };

/**
 * A callback started at the module's top level belongs to no run: it logs through the fallback context,
 * which must be the real run's, never the rehearsal's.
 */
const AFTER_REHEARSAL = flowSource(`let go = false;
let strayDone: () => void = () => undefined;
const stray = new Promise<void>((r) => (strayDone = r));
const poll = setInterval(() => {
  if (!go) return;
  clearInterval(poll);
  getRunLogger().info('stray line');
  strayDone();
}, 5);
const step = task({ name: 'step' }, async (n: number) => n + 1);
export default flow({ name: 'the-flow' }, async () => {
  go = true;
  await stray;
  return step(1);
});`);

interface Line {
  k: string;
  runId?: string;
  name?: string;
  message?: string;
}

/** A standby forked as a long-lived host forks it, given its run after `delayMs`: every line it sent on its event pipe. */
async function runInStandby(delayMs: number, home = tempDir()): Promise<{ lines: string[]; runId: string; code: number | null }> {
  const ws = workspace({ 'after.flow.ts': AFTER_REHEARSAL });
  const file = join(ws, 'after.flow.ts');
  const runId = randomUUID();
  const resultsDir = join(home, 'results', runId);
  mkdirSync(resultsDir, { recursive: true });
  const options = { workerPath: join(DIST, 'worker.js'), env: { ...process.env, FLOWDECK_HOME: home } };
  const lines: string[] = [];
  const standby = forkWorker(options, 'standby');
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  const load: HostToWorker = { t: 'load', source: { kind: 'file', path: file }, modulePath: file, parameters: {}, home, secrets: [], limits: workerLimits(process.env, {}) };
  const worker: WorkerProcess = new WorkerProcess(
    options,
    load,
    {
      raw: () => false,
      line: (line) => {
        lines.push(line);
        const k = (JSON.parse(line) as Line).k;
        if (k === 'ready') worker.send({ t: 'start', runId, runName: 'the-run', resultsDir });
        // As the runner does once the run's end is on record.
        else if (k === 'finished') worker.send({ t: 'exit' });
      },
      read: () => undefined,
    },
    () => undefined,
    standby,
  );
  const guard = setTimeout(() => worker.killGroup(), 90_000);
  after(() => clearTimeout(guard));
  const { code } = await worker.exited;
  return { lines, runId, code };
}

describe("a standby's rehearsal (warm-up while it waits)", () => {
  for (const delayMs of [0, 1500]) {
    it(`sends nothing and leaves nothing to its run (run given ${delayMs === 0 ? 'at once' : 'after a wait'}): the run's load comes first, every record is the run's, task names count from 0, a stray callback logs to the run`, T, async () => {
      const { lines, runId, code } = await runInStandby(delayMs);
      assert.equal(code, 0);
      const messages = lines.map((l) => JSON.parse(l) as Line);
      // The run's load says its file's code runs, then that it is ready: nothing of the rehearsal before.
      assert.deepEqual(messages.slice(0, 2).map((m) => m.k), ['loading', 'ready'], `the first lines are the run's load, not the rehearsal's: ${lines.slice(0, 2).join('\n')}`);
      for (const line of lines) assert.doesNotMatch(line, /"rehearsal(-\d+)?"|00000000-0000-0000-0000-000000000000/, 'nothing of the rehearsal reaches the host');
      for (const m of messages) if (m.runId !== undefined) assert.equal(m.runId, runId, `a record of another run: ${JSON.stringify(m)}`);
      assert.ok(messages.some((m) => (m.k === 'trun' || m.k === 'task') && m.name === 'step-0'), `the run's first task run is step-0: ${lines.join('\n')}`);
      assert.ok(messages.some((m) => m.k === 'log' && m.message === 'stray line'), 'the stray line went to the run');
      assert.ok(messages.some((m) => m.k === 'state' && m.name === 'Completed'));
      assert.equal(messages.at(-2)?.k, 'finished');
      assert.deepEqual(messages.at(-1), { k: 'exiting', code: 0 }, 'the last line says the exit handlers ran');
    });
  }

  it("rehearses loading with a flow file of its own, kept in the store's private compiled folder and written once", T, async () => {
    const home = tempDir();
    const first = await runInStandby(1500, home);
    assert.equal(first.code, 0);
    const file = rehearsalFlowFile(home);
    assert.ok(file.startsWith(join(home, 'compiled')), file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'compiled')).mode & 0o777, 0o700);
    assert.match(readFileSync(file, 'utf8'), /from 'flowdeck'/);
    const written = statSync(file).mtimeMs;
    const second = await runInStandby(1500, home);
    assert.equal(second.code, 0);
    assert.equal(statSync(file).mtimeMs, written, 'the next standby finds the file as it is and leaves it');
    assert.ok(second.lines.some((l) => (JSON.parse(l) as Line).name === 'Completed'), second.lines.join('\n'));
  });

  it('a store that cannot keep the rehearsal file (compiled is not a folder): the standby still runs its run', T, async () => {
    const home = tempDir();
    writeFileSync(join(home, 'compiled'), 'not a folder\n');
    const { lines, code } = await runInStandby(1500, home);
    assert.equal(code, 0);
    const messages = lines.map((l) => JSON.parse(l) as Line);
    assert.deepEqual(messages.slice(0, 2).map((m) => m.k), ['loading', 'ready'], lines.join('\n'));
    assert.ok(messages.some((m) => m.k === 'state' && m.name === 'Completed'), lines.join('\n'));
  });

  it("a run's flow code starts only once the run is in the store, its journal and the index (standby and fresh worker alike)", T, async () => {
    const ws = workspace({
      'sees.flow.ts': flowSource(`import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
export default flow({ name: 'sees-itself' }, async () => {
  const id = getRunContext().flowRunId;
  const runs = join(process.env.FLOWDECK_HOME!, 'runs');
  const journal = readFileSync(join(runs, id + '.jsonl'), 'utf8');
  const index = readdirSync(runs).filter((f) => /^index-.*\\.jsonl$/.test(f)).map((f) => readFileSync(join(runs, f), 'utf8')).join('');
  return { inJournal: journal.includes('"k":"run"') && journal.includes(id), inIndex: index.includes(id) };
});`),
    });
    for (const standby of [true, false]) {
      const { runner } = await makeRunner(tempDir(), { standby });
      after(() => runner.dispose());
      if (standby) {
        runner.prepareStandby();
        await waitFor(() => runner.standbyPid() !== undefined, 'a standby worker', 30_000);
      }
      const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'sees.flow.ts') } })).done;
      assert.equal(detail.state.type, 'COMPLETED', detail.state.message);
      assert.deepEqual(valueOf(detail), { inJournal: true, inIndex: true }, `standby: ${standby}`);
    }
  });
});
