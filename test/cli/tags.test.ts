/**
 * Flow run tags (Prefect's): a run carries its flow's own `tags`, those it was started with (`flowdeck run
 * --tag`), and a subflow run its parent's; `flowdeck runs --tag` finds runs by them (every tag given),
 * `prune --tag` deletes only them; `run --json`, `runs` and `inspect` show them. On the embedded store and
 * on Postgres.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  'etl.flow.ts': `import { flow } from 'flowdeck';
const load = flow({ name: 'load', tags: ['loader'] }, async () => 'loaded');
export default flow({ name: 'etl', tags: ['etl', 'team:data'] }, async () => load({}));
`,
  'plain.flow.ts': `import { flow } from 'flowdeck';
export default flow({ name: 'plain' }, async () => 'ok');
`,
  'bad.flow.ts': `import { flow } from 'flowdeck';
export default flow({ name: 'bad', tags: ['has space'] }, async () => 'never');
`,
};

interface RunJson {
  id: string;
  name: string;
  flowName: string;
  tags?: string[];
  parentRunId?: string;
}

async function tagged(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const cli = (...args: string[]) => runCli(args, { cwd: ws, env });
  const nightly = await cli('run', 'etl.flow.ts', '--tag', 'nightly', '--tag', 'etl', '--json');
  assert.equal(nightly.code, 0, nightly.stderr);
  const run = JSON.parse(nightly.stdout) as RunJson;
  assert.deepEqual(run.tags, ['etl', 'team:data', 'nightly'], "the flow's own tags, then those given, each once");
  const manual = JSON.parse((await cli('run', 'etl.flow.ts', '--json')).stdout) as RunJson;
  assert.deepEqual(manual.tags, ['etl', 'team:data']);
  const plain = JSON.parse((await cli('run', 'plain.flow.ts', '--json')).stdout) as RunJson;
  assert.equal(plain.tags, undefined, 'no tags, no field');

  // The subflow run carries its own flow's tags and its parent's.
  const all = JSON.parse((await cli('runs', '--json', '--limit', '50')).stdout) as RunJson[];
  const sub = all.find((r) => r.parentRunId === run.id)!;
  assert.equal(sub.flowName, 'load');
  assert.deepEqual(sub.tags, ['loader', 'etl', 'team:data', 'nightly']);

  // Found by tag: every tag given must be there.
  const byNightly = JSON.parse((await cli('runs', '--tag', 'nightly', '--json')).stdout) as RunJson[];
  assert.deepEqual(byNightly.map((r) => r.id).sort(), [run.id, sub.id].sort());
  const byBoth = JSON.parse((await cli('runs', '--tag', 'etl', '--tag', 'team:data', '--json')).stdout) as RunJson[];
  assert.equal(byBoth.length, 4, 'both etl runs and their subflow runs');
  const rootsTagged = JSON.parse((await cli('runs', '--tag', 'etl', '--flow', 'etl', '--json')).stdout) as RunJson[];
  assert.deepEqual(rootsTagged.map((r) => r.id).sort(), [run.id, manual.id].sort());
  // --search finds a run by part of a tag too (as Search Runs… in the editor).
  const searched = JSON.parse((await cli('runs', '--search', 'TEAM:', '--json')).stdout) as RunJson[];
  assert.equal(searched.length, 4, 'the etl runs and their subflow runs, by their tag team:data');
  const none = await cli('runs', '--tag', 'nightly', '--tag', 'weekly');
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, "No runs tagged 'nightly' and 'weekly'.\n");

  // The table has a TAGS column once a run shown has tags; inspect says them.
  const table = (await cli('runs')).stdout.split('\n');
  assert.match(table[0]!, /^NAME +FLOW +STATE +DURATION +CREATED +TAGS +ID$/);
  assert.ok(table.some((l) => l.startsWith(run.name) && /\betl,team:data,nightly\b/.test(l)), table.join('\n'));
  assert.ok(table.some((l) => l.startsWith(plain.name) && / - +[0-9a-f-]{36}$/.test(l)), table.join('\n'));
  assert.match((await cli('inspect', run.name)).stdout, /^Tags {7}etl, team:data, nightly$/m);

  // Pruned by tag: only the runs carrying it (with their subflow runs) go.
  const dry = await cli('prune', '--keep', '0', '--tag', 'nightly', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /Would delete 1 of 1 finished run tagged 'nightly' in .*; nothing was deleted \(--dry-run\)\./);
  const pruned = JSON.parse((await cli('prune', '--keep', '0', '--tag', 'nightly', '--json')).stdout) as { deleted: { id: string }[] };
  assert.deepEqual(pruned.deleted.map((r) => r.id), [run.id]);
  const left = JSON.parse((await cli('runs', '--json', '--limit', '50')).stdout) as RunJson[];
  assert.deepEqual(left.map((r) => r.id).sort(), [manual.id, plain.id, all.find((r) => r.parentRunId === manual.id)!.id].sort(), 'the tagged run and its subflow run went; the others stay');

  // Wrong tags: refused where they are given.
  const badArg = await cli('run', 'plain.flow.ts', '--tag', 'a b');
  assert.equal(badArg.code, 2);
  assert.match(badArg.stderr, /--tag was given 'a b': a tag is 1 to 64 letters, digits/);
  assert.equal((await cli('runs', '--tag', '')).code, 2);
  assert.equal((await cli('prune', '--keep', '0', '--tag', 'a,b')).code, 2);
  const badFlow = await cli('run', 'bad.flow.ts');
  assert.equal(badFlow.code, 2, badFlow.stderr);
  assert.match(badFlow.stderr, /flow 'bad': tags holds 'has space': a tag is 1 to 64 letters/);
}

describe('flow run tags', { timeout: 180_000 }, () => {
  it('a run carries its flow\'s tags and those given, a subflow run its parent\'s; runs --tag finds them (embedded store)', async () => {
    await tagged({ FLOWDECK_HOME: tempDir() });
  });

  it('the same on Postgres', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await tagged({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });
});
