/**
 * For the worker tests (test/engine/workers.*.test.ts): a 20-task flow whose every task leaves a side
 * effect (a line in a shared file: run, task, host, process, time), queuing runs of it, and the checks of
 * what "nothing done twice that had checkpointed" means in the journal's own terms.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverFlows } from '../../src/engine/flowDiscovery';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { queuedFlowFor } from '../../src/engine/queuedFlow';
import type { FlowRunSummary } from '../../src/engine/records';
import { flowSource, tempDir, workspace } from './engine';
import { freshSchema, ownDatabaseUrl, pgUrl } from './postgres';

export const TASKS = 20;

/** Each task appends `runId task host pid time` to EFFECTS (O_APPEND: lines never interleave). */
export function effectFlow(name: string, taskMs: number, options: string): string {
  return flowSource(`
import { appendFileSync } from 'node:fs';
const effect = task({ name: 'effect' }, async (i: number) => {
  await new Promise((r) => setTimeout(r, ${taskMs}));
  appendFileSync(process.env.EFFECTS!, getRunContext().flowRunId + ' ' + i + ' ' + process.env.EFFECT_HOST + ' ' + process.pid + ' ' + Date.now() + '\\n');
  return i;
});
export default flow({ name: '${name}', ${options} }, async () => {
  let sum = 0;
  for (let i = 0; i < ${TASKS}; i++) sum += await effect(i);
  return sum;
});`);
}

export interface Effect {
  run: string;
  task: number;
  host: string;
  pid: number;
  ts: number;
}

export function effects(file: string): Effect[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [run, task, host, pid, ts] = l.split(' ');
      return { run: run!, task: Number(task), host: host!, pid: Number(pid), ts: Number(ts) };
    });
}

/** `ownDatabase`: the store in a database of its own (ownDatabaseUrl), its `url` for the workers. */
export async function setup(files: Record<string, string>, options: { ownDatabase?: boolean } = {}): Promise<{ ws: string; schema: string; url: string; store: PgStore; effectsFile: string }> {
  const ws = workspace(files);
  const schema = freshSchema();
  const url = options.ownDatabase ? await ownDatabaseUrl() : pgUrl();
  const store = await PgStore.open(url, { home: tempDir(), schema, detectCrashed: false });
  const effectsFile = join(tempDir(), 'effects.log');
  writeFileSync(effectsFile, '');
  return { ws, schema, url, store, effectsFile };
}

export async function enqueue(store: PgStore, ws: string, file: string, n: number): Promise<string[]> {
  const flow = await queuedFlowFor({ kind: 'file', path: join(ws, file) }, ws, undefined, discoverFlows);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await store.shared.enqueue({ queue: 'default', parameters: {}, ...flow })).id);
  return ids;
}

export async function allEnded(store: PgStore, ids: string[]): Promise<FlowRunSummary[]> {
  const runs = await store.list({ rootsOnly: true });
  return runs.filter((r) => ids.includes(r.id));
}

/**
 * Checks what "nothing done twice that had checkpointed" means in the journal's own terms: a task whose
 * completion the store recorded in an attempt left exactly one side effect for it, and a run's attempts
 * never overlapped in time (the old worker's last effect came before the new one's first).
 */
export async function assertNoCheckpointRedone(store: PgStore, effectsFile: string, ids: string[]): Promise<{ redoneInFlight: number }> {
  const all = effects(effectsFile);
  let redoneInFlight = 0;
  for (const id of ids) {
    const detail = (await store.readRun(id))!;
    const mine = all.filter((e) => e.run === id);
    for (let task = 0; task < TASKS; task++) {
      const done = mine.filter((e) => e.task === task);
      assert.ok(done.length >= 1, `run ${detail.name} task ${task} never ran`);
      const recorded = detail.taskRuns.filter((t) => t.name === `effect-${task}` && t.state.type === 'COMPLETED' && !t.reusedFrom);
      assert.equal(recorded.length, 1, `run ${detail.name} task ${task} completed ${recorded.length} times in the journal`);
      if (done.length > 1) {
        // Only a task in flight when its worker died may run again: its first run was never recorded complete.
        assert.equal(done.length, 2, `run ${detail.name} task ${task} ran ${done.length} times`);
        redoneInFlight++;
      }
    }
    const byPid = new Map<number, Effect[]>();
    for (const e of mine) byPid.set(e.pid, [...(byPid.get(e.pid) ?? []), e]);
    const spans = [...byPid.values()].map((es) => ({ from: Math.min(...es.map((e) => e.ts)), to: Math.max(...es.map((e) => e.ts)) })).sort((a, b) => a.from - b.from);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]!.from >= spans[i - 1]!.to, `run ${detail.name}: two attempts ran at the same time`);
  }
  return { redoneInFlight };
}


/** Where each run is, for a failure message: state, attempt, host, and its states' messages. */
export async function describeRuns(store: PgStore, ids: string[]): Promise<string> {
  const out: string[] = [];
  for (const id of ids) {
    const d = await store.readRun(id);
    if (d) out.push(`${d.name}: ${d.state.name} attempt ${d.attempt} on ${d.owner.hostname}; ${d.states.map((s) => `${s.name}${s.message ? ` (${s.message})` : ''}`).join(' → ')}`);
  }
  return out.join('\n');
}
