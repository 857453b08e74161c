/**
 * `flowdeck runs --json` and `flowdeck inspect` print no artifact's data (inspect names their keys), so they read
 * a run's artifacts without it: a run of many large artifacts (tables of up to 1 MiB each) costs them no memory
 * for them, on either store. `flowdeck artifacts`, which prints the data, still reads it whole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import type { RunRecord } from '../../src/engine/records';
import { state } from '../../src/engine/states';
import { runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const ARTIFACTS = 20;

// 20 tables of ~1 MB each (5,000 rows of 14 cells of 11 characters): 20 MB of journal, 3–4 times that once parsed.
const FLOW = `import { flow, createTableArtifact } from 'flowdeck';
export default flow({ name: 'tables' }, async () => {
  for (let i = 0; i < ${ARTIFACTS}; i++) createTableArtifact('table-' + i, Array.from({ length: 5000 }, (_, r) => Object.fromEntries(Array.from({ length: 14 }, (_, c) => ['c' + c, \`\${i}.\${r}.\${c}\`.padEnd(11, '.')]))));
  return 'done';
});`;

async function largeArtifacts(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace({ 'tables.flow.ts': FLOW });
  const run = await runCli(['run', 'tables.flow.ts', '--json'], { cwd: ws, env, timeoutMs: 120_000 });
  assert.equal(run.code, 0, run.stderr.slice(-2000));
  const { name } = JSON.parse(run.stdout) as { name: string };
  // Read with their data, the artifacts took 230–280 MB (peak RSS; each read of the journal folded them all).
  const small = { ...env, NODE_OPTIONS: '--max-old-space-size=60' };
  const keys = Array.from({ length: ARTIFACTS }, (_, i) => `table-${i}`);

  const runs = await runCli(['runs', '--json', '--limit', '3'], { cwd: ws, env: small });
  assert.equal(runs.code, 0, runs.stderr.slice(-2000));
  const listed = JSON.parse(runs.stdout) as { name: string; result: unknown }[];
  assert.deepEqual(listed.map((r) => [r.name, r.result]), [[name, 'done']]);

  const inspected = await runCli(['inspect', name], { cwd: ws, env: small });
  assert.equal(inspected.code, 0, inspected.stderr.slice(-2000));
  assert.match(inspected.stdout, new RegExp(`^Artifacts +${keys.join(', ').slice(0, 150)}`, 'm'));

  const json = await runCli(['inspect', name, '--json'], { cwd: ws, env: small });
  assert.equal(json.code, 0, json.stderr.slice(-2000));
  assert.equal((JSON.parse(json.stdout) as { result: unknown }).result, 'done');

  // The artifacts themselves, data and all.
  const artifacts = await runCli(['artifacts', name, '--json'], { cwd: ws, env });
  assert.equal(artifacts.code, 0, artifacts.stderr.slice(-2000));
  const out = JSON.parse(artifacts.stdout) as { artifacts: { key: string; kind: string; data: { rows: string[][] } }[] };
  assert.deepEqual(out.artifacts.map((a) => a.key), keys);
  assert.equal(out.artifacts[7]!.data.rows.length, 5000);
  assert.equal(out.artifacts[7]!.data.rows[3]![2], '7.3.2'.padEnd(11, '.'));
}

describe('a run with large artifacts', { timeout: 300_000 }, () => {
  it('runs --json and inspect read it in a 60 MB heap: the artifacts are read without their data (embedded store)', async () => {
    await largeArtifacts({ FLOWDECK_HOME: tempDir() });
  });

  it('the same on Postgres', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await largeArtifacts({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  // Postgres once cut a line at its data with a regular expression on the worker's layout (its key and time
  // before its data, no "{" before it): a line laid out otherwise was read whole, and 80 such lines of about
  // 1 MB each, read in one batch, did not fit in the heap (parsed one at a time, their data dropped at once,
  // 20 of them did).
  it('on Postgres, whatever the layout of their lines: keys in another order, a "{" before the data', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() };
    const store = await PgStore.open(env.FLOWDECK_STORE, { home: env.FLOWDECK_HOME, schema: env.FLOWDECK_STORE_SCHEMA });
    const keys = Array.from({ length: 80 }, (_, i) => `table-${i}`);
    let name: string;
    try {
      const h = await store.createRun({ flowName: 'tables', source: '/tables.flow.ts', parameters: {} });
      name = h.name;
      const runId = h.id;
      await h.setState(state('Running'));
      for (let i = 0; i < keys.length; i++) {
        const data = { kind: 'table', columns: Array.from({ length: 14 }, (_, c) => 'c' + c), rows: Array.from({ length: 5000 }, (_, r) => Array.from({ length: 14 }, (_, c) => `${i}.${r}.${c}`.padEnd(11, '.'))) };
        // Half with the data before the key and time, half with a field of another writer's holding an object and a "{".
        const record = i % 2 === 0 ? { k: 'artifact', runId, data, key: keys[i], ts: 10 + i } : { k: 'artifact', runId, origin: { tool: '{other}' }, key: keys[i], ts: 10 + i, data };
        await h.append([record as unknown as RunRecord]);
      }
      await h.append([{ k: 'state', runId, name: 'Completed', ts: 100 }]);
      await h.setState(state('Completed', undefined, 100), { endTime: 100 });
      await h.close();
    } finally {
      await store.close();
    }
    const ws = workspace({});
    const small = { ...env, NODE_OPTIONS: '--max-old-space-size=60' };
    const runs = await runCli(['runs', '--json', '--limit', '3'], { cwd: ws, env: small });
    assert.equal(runs.code, 0, runs.stderr.slice(-2000));
    assert.deepEqual((JSON.parse(runs.stdout) as { name: string }[]).map((r) => r.name), [name]);
    const inspected = await runCli(['inspect', name], { cwd: ws, env: small });
    assert.equal(inspected.code, 0, inspected.stderr.slice(-2000));
    assert.match(inspected.stdout, new RegExp(`^Artifacts +${keys.join(', ').slice(0, 150)}`, 'm'));
    // The artifacts themselves, read whole (their summaries: 80 MB of JSON would be too much to print here).
    const artifacts = await runCli(['artifacts', name], { cwd: ws, env });
    assert.equal(artifacts.code, 0, artifacts.stderr.slice(-2000));
    assert.deepEqual(artifacts.stdout.match(/^table-\d+ +table\b.*$/gm)?.map((l) => l.split(' ')[0]), keys, artifacts.stdout);
  });
});
