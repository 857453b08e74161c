/**
 * A task run whose start is held because the store does not confirm the run's records (worker/storeWait.ts),
 * on a real Postgres store cut off from `flowdeck run`: Ctrl-C meanwhile ends the run Cancelled without the
 * held task's body running; and the task's own timeout bounds its run, not the wait before it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { outageStage } from '../support/pgOutage';

const HELD = /The store does not confirm the run's records/;

/** 60 tasks one after another, each writing `start i` to EFFECTS as its body begins, then taking ~300 ms. */
const steady = (taskOptions: string): string =>
  flowSource(`
import { appendFileSync } from 'node:fs';
const step = task({ name: 'step'${taskOptions} }, async (i: number) => {
  appendFileSync(process.env.EFFECTS!, 'start ' + i + '\\n');
  await new Promise((r) => setTimeout(r, 300));
  return i;
});
export default flow({ name: 'steady' }, async () => {
  let sum = 0;
  for (let i = 0; i < 60; i++) sum += await step(i);
  return sum;
});`);

const starts = (file: string): number[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[1]));

/** `flowdeck run` of `flow` on a Postgres store reached through a forwarder; `during` cuts it and acts while a task start is held. */
async function runThroughOutage(flow: string, during: (at: { child: ChildProcess; effectsFile: string; output: () => string }) => Promise<void>) {
  const { ws, schema, url, store, effectsFile, forwarder } = await outageStage({ 'steady.flow.ts': flow });
  let child: ChildProcess | undefined;
  let stderr = '';
  try {
    // Fenced 3.6 s after the cut (60% of a 6 s lease): the run outlives the outages below.
    const running = runCli(['run', 'steady.flow.ts', '--json'], {
      cwd: ws,
      env: { FLOWDECK_HOME: tempDir(), FLOWDECK_STORE: forwarder.url(url), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HEARTBEAT_SECONDS: '0.25', FLOWDECK_LEASE_SECONDS: '6', EFFECTS: effectsFile },
      timeoutMs: 120_000,
      onStderr: (c, c2) => {
        stderr += c;
        child = c2;
      },
    });
    await waitFor(() => starts(effectsFile).length >= 3, 'the run to be partway through', 60_000);
    forwarder.cut();
    await waitFor(() => HELD.test(stderr), 'the run to say its task runs wait for the store', 30_000);
    await during({ child: child!, effectsFile, output: () => stderr });
    forwarder.restore();
    const r = await running;
    return { r, store, stderr, effectsFile };
  } finally {
    forwarder.restore();
    await forwarder.close();
    // The caller reads the store; closed by it.
  }
}

interface RunDoc {
  id: string;
  state: { name: string };
  taskRuns: { name: string; state: { name: string } }[];
}

describe('a task run start held while the store does not confirm the run records', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('Ctrl-C (SIGINT) of `flowdeck run` meanwhile: the run ends Cancelled in its first attempt, and the held task never runs its body', async () => {
    let atSignal = -1;
    const { r, store, stderr, effectsFile } = await runThroughOutage(steady(''), async ({ child, effectsFile }) => {
      // The task going when the cut came finishes (300 ms): past that, the next start is the held one.
      await new Promise((res) => setTimeout(res, 500));
      atSignal = starts(effectsFile).length;
      child.kill('SIGINT');
      // The store away a second more: the run ends here, its end written once the store answers.
      await new Promise((res) => setTimeout(res, 1000));
    });
    try {
      assert.equal(r.code, 1, stderr.slice(-3000));
      const doc = JSON.parse(r.stdout) as RunDoc;
      assert.equal(doc.state.name, 'Cancelled', stderr.slice(-3000));
      const stored = (await store.readRun(doc.id))!;
      assert.equal(stored.state.name, 'Cancelled');
      // Its flow ended by itself at once, its worker not stopped for not answering the cancel (before: the
      // held start and its wait called each other till the stack overflowed).
      assert.doesNotMatch(stderr, /Uncaught exception|worker process was stopped/, stderr.slice(-3000));
      assert.equal(stored.state.message, 'Cancelled by Ctrl-C');
      assert.equal(stored.attempt, 1);
      assert.deepEqual(starts(effectsFile), [...Array(atSignal).keys()], 'no task body began after the Ctrl-C');
      assert.ok(!doc.taskRuns.some((t) => t.state.name === 'Running' || t.state.name === 'Completed' && Number(t.name.split('-')[1]) >= atSignal), JSON.stringify(doc.taskRuns.slice(-3)));
    } finally {
      await store.close();
    }
  });

  it("a task's own timeout bounds its run, not its start's wait: held longer than its timeoutSeconds, it runs and Completes", async () => {
    const { r, store, stderr, effectsFile } = await runThroughOutage(steady(', timeoutSeconds: 1'), async () => {
      // Held past the task's 1 s timeout (the fence is 3.6 s after the cut).
      await new Promise((res) => setTimeout(res, 2000));
    });
    try {
      assert.equal(r.code, 0, stderr.slice(-3000));
      const doc = JSON.parse(r.stdout) as RunDoc;
      assert.equal(doc.state.name, 'Completed', stderr.slice(-3000));
      assert.deepEqual([...new Set(doc.taskRuns.map((t) => t.state.name))], ['Completed']);
      assert.deepEqual(starts(effectsFile), [...Array(60).keys()], 'each task once');
      assert.equal((await store.readRun(doc.id))!.attempt, 1);
    } finally {
      await store.close();
    }
  });
});
