/**
 * `flowdeck cache ls|clear`: the results tasks keep for caching, listed with the task and run they are of,
 * cleared by task, by expiry or all — a cleared task runs again in the next run, the others stay cached.
 * On the embedded store and on Postgres.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CacheEntryJson } from '../../src/cli/commands/cache';
import { runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const FLOWS = {
  'stars.flow.ts': `import { flow, task, taskInputHash } from 'flowdeck';
const fetch = task({ name: 'fetch', cacheKey: taskInputHash }, async (repo: string) => ({ repo, stars: repo.length, at: Math.random() }));
const summarise = task({ name: 'summarise', cacheKey: () => 'all' }, async (n: number) => 'x'.repeat(2000) + n);
const brief = task({ name: 'brief', cacheKey: () => 'brief', cacheExpirationSeconds: 0.2 }, async () => 'brief');
export default flow({ name: 'stars' }, async ({ repos }: { repos: string[] }) => {
  const got = [];
  for (const r of repos) got.push(await fetch(r));
  await summarise(got.length);
  await brief();
  return got;
});
`,
};

/**
 * A run of a flow whose one task's result is cached, in a home of its own: how to run the CLI there, the
 * cache's folder, and the entry's file in it (for a test to damage or block).
 */
async function ratesCached(): Promise<{ cli: (...args: string[]) => ReturnType<typeof runCli>; dir: string; file: string }> {
  const ws = workspace({
    'rates.flow.ts': `import { flow, task } from 'flowdeck';
const rate = task({ name: 'rate', cacheKey: (c: string) => c }, async (c: string) => ({ c, rate: 1.25 }));
export default flow({ name: 'rates' }, async () => (await rate('EUR')).rate);
`,
  });
  const home = tempDir();
  const cli = (...args: string[]) => runCli(args, { cwd: ws, env: { FLOWDECK_HOME: home } });
  const first = await cli('run', 'rates.flow.ts', '--json');
  assert.equal(first.code, 0, first.stderr);
  const dir = join(home, 'cache');
  const [file] = readdirSync(dir).filter((f) => f.endsWith('.dv'));
  return { cli, dir, file: file! };
}

async function cacheAcrossProcesses(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const cli = (...args: string[]) => runCli(args, { cwd: ws, env });
  const entries = async (...args: string[]): Promise<CacheEntryJson[]> => {
    const r = await cli('cache', 'ls', '--json', ...args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as CacheEntryJson[];
  };
  const empty = await cli('cache', 'ls');
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /^No cached results\. Tasks with a cacheKey/);

  const run = await cli('run', 'stars.flow.ts', '--param', 'repos=["octo/a","octo/bb"]', '--json');
  assert.equal(run.code, 0, run.stderr);
  const first = JSON.parse(run.stdout) as { id: string; name: string; result: { at: number }[] };

  const listed = await entries();
  assert.deepEqual(listed.map((e) => e.task).sort(), ['brief', 'fetch', 'fetch', 'summarise']);
  for (const e of listed) {
    assert.equal(e.runId, first.id, 'each names the run that cached it');
    assert.match(e.keyHash, /^[0-9a-f]{64}$/);
    assert.ok(e.cachedAt !== null && !Number.isNaN(Date.parse(e.cachedAt)));
    assert.ok(e.bytes > 0);
  }
  assert.ok(listed.find((e) => e.task === 'summarise')!.bytes >= 2000, 'the size of the value kept');
  assert.equal(listed.find((e) => e.task === 'fetch')!.expiresAt, null);
  assert.deepEqual((await entries('--task', 'fetch')).map((e) => e.task), ['fetch', 'fetch']);

  const text = await cli('cache', 'ls');
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^TASK\s+CACHED\s+EXPIRES\s+SIZE\s+RUN$/);
  assert.equal(lines.filter((l) => l.startsWith('fetch ') && l.endsWith(first.name)).length, 2, 'rows name the run');
  assert.match(lines.find((l) => l.startsWith('fetch '))!, / never /);
  assert.match(lines.at(-1)!, /^4 cached results, [\d.]+ (bytes|KB)/);

  // Its 0.2 s gone by (a bounded wait, not a timing): expired, listed as such, cleared alone.
  await waitFor(async () => (await entries('--expired')).length === 1, "the brief task's result to expire", 30_000);
  assert.match((await cli('cache', 'ls', '--expired')).stdout, /^brief\s.*expired /m);
  const expired = await cli('cache', 'clear', '--expired', '--json');
  assert.equal(expired.code, 0, expired.stderr);
  assert.equal(JSON.parse(expired.stdout).removed, 1);
  assert.deepEqual((await entries()).map((e) => e.task).sort(), ['fetch', 'fetch', 'summarise']);

  // What to clear must be said; a dry run removes nothing.
  const unsaid = await cli('cache', 'clear');
  assert.equal(unsaid.code, 2);
  assert.match(unsaid.stderr, /say what to clear: --task NAME, --expired, --older-than AGE or --all/);
  assert.equal((await cli('cache', 'clear', '--all', '--task', 'fetch')).code, 2);
  assert.equal((await cli('cache', 'wipe')).code, 2);
  const dry = await cli('cache', 'clear', '--task', 'fetch', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^Would remove 2 cached results \([\d.]+ (bytes|KB)\) of task 'fetch'\.$/m);
  assert.equal((await entries()).length, 3);

  const cleared = await cli('cache', 'clear', '--task', 'fetch');
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.match(cleared.stdout, /^Removed 2 cached results \(.*\) of task 'fetch'\.$/m);
  assert.deepEqual((await entries()).map((e) => e.task), ['summarise']);

  // The next run: the cleared task runs again, the other is still cached.
  const again = await cli('run', 'stars.flow.ts', '--param', 'repos=["octo/a","octo/bb"]', '--json');
  assert.equal(again.code, 0, again.stderr);
  const second = JSON.parse(again.stdout) as { result: { at: number }[]; taskRuns: { name: string; state: { name: string } }[] };
  assert.deepEqual(
    second.taskRuns.map((t) => [t.name, t.state.name]),
    [['fetch-0', 'Completed'], ['fetch-1', 'Completed'], ['summarise-0', 'Cached'], ['brief-0', 'Completed']],
  );
  assert.notEqual(second.result[0]!.at, first.result[0]!.at);

  // None cached an hour ago: nothing to clear by age; an age that is not one is refused.
  const young = await cli('cache', 'ls', '--older-than', '1h');
  assert.equal(young.code, 0, young.stderr);
  assert.match(young.stdout, /^No cached results cached over 1h ago; 4 cached results in all/);
  assert.equal(JSON.parse((await cli('cache', 'clear', '--older-than', '1h', '--json')).stdout).removed, 0);
  const badAge = await cli('cache', 'clear', '--older-than', 'soon');
  assert.equal(badAge.code, 2);
  assert.match(badAge.stderr, /--older-than takes an age such as 30d/);

  const all = await cli('cache', 'clear', '--all', '--json');
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual({ ...JSON.parse(all.stdout), bytes: undefined }, { removed: 4, bytes: undefined, dryRun: false });
  assert.match((await cli('cache', 'ls')).stdout, /^No cached results\./);
}

describe('flowdeck cache', { timeout: 240_000 }, () => {
  it('lists cached results by task and run, clears them by task, expiry or all (embedded store)', async () => {
    await cacheAcrossProcesses({ FLOWDECK_HOME: tempDir() });
  });

  it("two tasks whose name and key would read the same joined by ':' (`price:tax` with `A1`, `price` with `tax:A1`) never share a cached result", async () => {
    const ws = workspace({
      'prices.flow.ts': `import { flow, task } from 'flowdeck';
const price = task({ name: 'price', cacheKey: (k: string) => k }, async (k: string) => 'price of ' + k);
const tax = task({ name: 'price:tax', cacheKey: (k: string) => k }, async (k: string) => 'tax of ' + k);
export default flow({ name: 'prices' }, async () => [await price('tax:A1'), await tax('A1')]);
`,
    });
    const r = await runCli(['run', 'prices.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { result: string[]; taskRuns: { name: string; state: { name: string } }[] };
    assert.deepEqual(doc.result, ['price of tax:A1', 'tax of A1']);
    assert.deepEqual(doc.taskRuns.map((t) => t.state.name), ['Completed', 'Completed']);
  });

  it('a cached result that cannot be read back (its file damaged) is no hit: the task runs, says why, and its result replaces the entry', async () => {
    const { cli, dir, file } = await ratesCached();
    const states = (stdout: string) => (JSON.parse(stdout) as { taskRuns: { state: { name: string } }[] }).taskRuns.map((t) => t.state.name);
    const text = readFileSync(join(dir, file), 'utf8');
    writeFileSync(join(dir, file), text.slice(0, text.indexOf('\n') + 6)); // the header whole, the value cut
    const damaged = await cli('run', 'rates.flow.ts', '--json');
    assert.equal(damaged.code, 0, damaged.stderr);
    assert.equal((JSON.parse(damaged.stdout) as { result: number }).result, 1.25);
    assert.deepEqual(states(damaged.stdout), ['Completed'], 'it ran');
    assert.match(damaged.stderr, /WARNING \| Task run 'rate-0' - The cached result of task 'rate' cannot be read back \(its entry is damaged: Unterminated string in JSON at position \d+\): the task runs, and its result replaces it/);
    // Said as a damaged checkpoint is: what is wrong with it, not the parser's class name.
    assert.doesNotMatch(damaged.stderr, /SyntaxError/);
    const third = await cli('run', 'rates.flow.ts', '--json');
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(states(third.stdout), ['Cached'], 'the entry was written again');
  });

  it('a cached result that cannot be written (a folder where its file goes) is a warning naming the task: the task run completes and the run keeps its result', async () => {
    const { cli, dir, file } = await ratesCached();
    rmSync(join(dir, file));
    mkdirSync(join(dir, file, 'in-the-way'), { recursive: true });
    const blocked = await cli('run', 'rates.flow.ts', '--json');
    assert.equal(blocked.code, 0, blocked.stderr);
    const doc = JSON.parse(blocked.stdout) as { state: { name: string }; result: number; taskRuns: { state: { name: string } }[] };
    assert.equal(doc.state.name, 'Completed');
    assert.equal(doc.result, 1.25);
    assert.deepEqual(doc.taskRuns.map((t) => t.state.name), ['Completed']);
    assert.match(blocked.stderr, /WARNING \| Task run 'rate-0' - The result of task 'rate' was not cached \(.*it is a folder \(EISDIR\)\): the run goes on with it, and the next run runs the task again\n/);
    assert.doesNotMatch(blocked.stderr, /\.tmp\b/, 'no temporary file named');
  });

  it('the same on Postgres', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await cacheAcrossProcesses({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });
});
