/**
 * A host killed while its worker writes a large result leaves a file no record names (embedded: in the run's
 * results folder; Postgres: staged under FLOWDECK_HOME/results/<run>/). Once the run is resumed and ends, no
 * such file is left, and the result the resume kept reads back whole.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { PgStore } from '../../src/engine/postgres/pgStore';
import type { RunStore } from '../../src/engine/runStore';
import { parseSerialized } from '../../src/engine/serializer';
import { CLI, flowSource, runCli, tempDir, valueOf, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const T = { timeout: 240_000 };
const CHARS = 40 * 1024 * 1024;

const FLOW = flowSource(`const big = task({ name: 'big' }, async () => 'x'.repeat(${CHARS}));
export default flow({ name: 'big-result' }, async () => (await big()).length);`);

/** Files in the folders under `dir` whose names end in `suffix` (each run's results folder). */
function filesUnder(dir: string, suffix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => d.endsWith(suffix))
    .flatMap((d) => (existsSync(join(dir, d)) ? readdirSync(join(dir, d)).map((f) => join(d, f)) : []));
}

/**
 * `flowdeck run` killed (its whole process group) the moment its worker starts writing the big result's file:
 * the file is there, its record is not. Returns the run's id.
 */
async function killedWhileWriting(ws: string, env: NodeJS.ProcessEnv, staged: () => string[], open: () => Promise<RunStore>): Promise<string> {
  const cli = spawn(process.execPath, [CLI, 'run', 'flow.flow.ts'], { cwd: ws, env: { ...process.env, ...env }, stdio: 'ignore', detached: true });
  const exited = new Promise((r) => cli.on('exit', r));
  try {
    // Looked for often: on Postgres the staged file is in the database (and gone from here) within a second.
    const until = Date.now() + 120_000;
    while (staged().length === 0) {
      if (Date.now() > until) throw new Error('the worker did not start writing the result file within 120 s (did the command fail?)');
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    process.kill(-cli.pid!, 'SIGKILL');
    await exited;
  }
  const store = await open();
  try {
    const run = (await store.list())[0]!;
    const detail = (await store.readRun(run.id))!;
    assert.ok(detail.taskRuns.every((t) => t.resultRef === undefined), 'killed before the result was on record');
    return run.id;
  } finally {
    await store.close();
  }
}

/** The run completed, its big task's result read back whole, and every result file left named by a record. */
async function checkResumed(store: RunStore, id: string, left: string[]): Promise<void> {
  const detail = (await store.readRun(id))!;
  assert.equal(detail.state.name, 'Completed', detail.state.message);
  assert.equal(valueOf(detail), CHARS);
  const kept = detail.taskRuns.find((t) => t.state.name === 'Completed')!;
  const text = await store.readResultText(id, kept.resultRef!);
  assert.equal(parseSerialized(text), 'x'.repeat(CHARS));
  const named = new Set(detail.taskRuns.flatMap((t) => (t.resultRef ? [t.resultRef.file] : [])));
  assert.deepEqual(left.filter((f) => !named.has(f.split('/').at(-1)!)), [], 'no result file that no record names is left');
}

describe('result files of a killed attempt', T, () => {
  it('embedded: the file the killed host was writing is gone once the resumed run ends; the kept result reads back', async () => {
    const home = tempDir();
    const ws = workspace({ 'flow.flow.ts': FLOW });
    const runs = join(home, 'runs');
    const id = await killedWhileWriting(ws, { FLOWDECK_HOME: home }, () => filesUnder(runs, '.results'), () => EmbeddedStore.open(home, { readOnly: true }));
    const resumed = await runCli(['resume', id], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(resumed.code, 0, resumed.stderr);
    const store = await EmbeddedStore.open(home, { readOnly: true });
    try {
      const left = filesUnder(runs, '.results');
      assert.equal(left.length, 1, `only the kept result's file: ${left.join(', ')}`);
      await checkResumed(store, id, left);
    } finally {
      await store.close();
    }
  });

  it('postgres: the staged file of the killed host is gone once the resumed run ends, and so is its staging folder', { skip: PG_SKIP }, async () => {
    const home = tempDir();
    const ws = workspace({ 'flow.flow.ts': FLOW });
    const schema = freshSchema();
    const env = { FLOWDECK_HOME: home, FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_LEASE_SECONDS: '3', FLOWDECK_HEARTBEAT_SECONDS: '0.5' };
    const staging = join(home, 'results');
    const open = (): Promise<PgStore> => PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
    const id = await killedWhileWriting(ws, env, () => filesUnder(staging), open);
    // Its host is dead once its lease lapses: then it can be resumed.
    const client = new Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      await waitFor(async () => (await client.query(`select 1 from "${schema}".hosts where last_seen >= now() - lease_ms * interval '1 millisecond'`)).rowCount === 0, 'the killed host’s lease to lapse', 30_000);
    } finally {
      await client.end();
    }
    const resumed = await runCli(['resume', id], { cwd: ws, env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(existsSync(staging) ? readdirSync(staging) : [], [], 'nothing staged is left, nor the run’s staging folder');
    const store = await open();
    try {
      await checkResumed(store, id, []);
    } finally {
      await store.close();
    }
  });
});
