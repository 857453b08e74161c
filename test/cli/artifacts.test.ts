import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli, tempDir, workspace } from '../support/engine';

const flowFile = `import { flow, task, createMarkdownArtifact, createTableArtifact, createLinkArtifact, createChartArtifact } from 'flowdeck';
const rank = task({ name: 'rank' }, async () => createTableArtifact('top-customers', [{ name: 'Ada', spend: 120 }, { name: 'Bob', spend: 80 }]));
export default flow({ name: 'daily' }, async () => {
  await rank();
  createChartArtifact('latency', { kind: 'bar', x: ['mon', 'tue'], series: { p50: [10, 12], p95: [30, 31] }, yLabel: 'ms' });
  createMarkdownArtifact('report', '# Daily report\\n| a | b |\\n|---|---|\\n| 1 | 2 |');
  createLinkArtifact('sheet', 'https://example.com/sheet', 'The spreadsheet');
});`;

describe('flowdeck artifacts', () => {
  it('lists a map run of 100,000 task runs in bounded memory (a 40 MB heap): its task runs are read a batch at a time, keeping only the names of those that made artifacts', { timeout: 240_000 }, async () => {
    const ws = workspace({
      'big.flow.ts': `import { flow, task, createMarkdownArtifact } from 'flowdeck';
const item = task({ name: 'item' }, async (i: number) => { if (i === 77_777) createMarkdownArtifact('from-item', 'item ' + i); return i; });
export default flow({ name: 'big' }, async () => { createMarkdownArtifact('summary', '# all done'); return (await item.map(Array.from({ length: 100_000 }, (_, i) => i))).length; });`,
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'big.flow.ts'], { cwd: ws, env, timeoutMs: 200_000 });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const name = /Created flow run '([a-z]+-[a-z]+)'/.exec(run.stderr)![1]!;
    // Holding every task run took ~100 MB of heap for this run (and grew with it); read in parts, a few MB.
    const listed = await runCli(['artifacts', name, '--json'], { cwd: ws, env: { ...env, NODE_OPTIONS: '--max-old-space-size=40' } });
    assert.equal(listed.code, 0, listed.stderr.slice(-2000));
    const out = JSON.parse(listed.stdout) as { artifacts: { key: string; taskRun: string | null }[] };
    assert.deepEqual(out.artifacts.map((a) => [a.key, a.taskRun]), [
      ['summary', null],
      ['from-item', 'item-77777'],
    ]);
  });

  it('lists each kind a run created (key, kind, task run, summary), prints all of it with --json, and exits 2 for an unknown run', async () => {
    const ws = workspace({ 'daily.flow.ts': flowFile });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'daily.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { id: string; name: string };

    const table = await runCli(['artifacts', doc.name], { cwd: ws, env });
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^KEY\s+KIND\s+TASK RUN\s+SUMMARY$/);
    assert.match(lines[1]!, /^top-customers\s+table\s+rank-0\s+2 rows × 2 columns$/);
    assert.match(lines[2]!, /^latency\s+chart\s+-\s+bar chart: p50, p95 \(2 points\)$/);
    assert.match(lines[3]!, /^report\s+markdown\s+-\s+Daily report$/);
    assert.match(lines[4]!, /^sheet\s+link\s+-\s+The spreadsheet \(https:\/\/example\.com\/sheet\)$/);

    const json = await runCli(['artifacts', doc.id.slice(0, 8), '--json'], { cwd: ws, env });
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    assert.deepEqual(out.run, { id: doc.id, name: doc.name, flowName: 'daily' });
    assert.deepEqual(out.artifacts.map((a: { key: string; kind: string; taskRun: string | null }) => [a.key, a.kind, a.taskRun]), [
      ['top-customers', 'table', 'rank-0'],
      ['latency', 'chart', null],
      ['report', 'markdown', null],
      ['sheet', 'link', null],
    ]);
    assert.deepEqual(out.artifacts[0].data, { kind: 'table', columns: ['name', 'spend'], rows: [['Ada', 120], ['Bob', 80]] });
    assert.ok(!Number.isNaN(Date.parse(out.artifacts[0].created)));

    const missing = await runCli(['artifacts', 'no-such-run'], { cwd: ws, env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no run with id, id prefix or name 'no-such-run'/);
    const usage = await runCli(['artifacts'], { cwd: ws, env });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /takes one run id or name/);
  });

  it("keeps a table's cells as the rows had them: null for a key a row lacks (not Object's functions), __proto__ as data", async () => {
    const ws = workspace({
      'keys.flow.ts': `import { flow, createTableArtifact } from 'flowdeck';
export default flow({ name: 'keys' }, async () => {
  createTableArtifact('p', JSON.parse('[{"name":"a","__proto__":"x","toString":"t","constructor":"c"},{"name":"b"}]'));
});`,
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'keys.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(run.code, 0, run.stderr);
    const json = await runCli(['artifacts', (JSON.parse(run.stdout) as { id: string }).id, '--json'], { cwd: ws, env });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).artifacts[0].data, {
      kind: 'table',
      columns: ['name', '__proto__', 'toString', 'constructor'],
      rows: [
        ['a', 'x', 't', 'c'],
        ['b', null, null, null],
      ],
    });
  });
  it('holds a resumed run to 100 keys with those of its earlier attempts: a new key past them fails the call, an earlier key is replaced', { timeout: 120_000 }, async () => {
    const ws = workspace({
      'keys.flow.ts': `import { flow, createMarkdownArtifact } from 'flowdeck';
export default flow({ name: 'keys' }, async () => {
  for (let i = 0; i < 100; i++) createMarkdownArtifact(process.env.KEY_PREFIX + '-' + i, 'attempt of ' + process.env.KEY_PREFIX);
  if (process.env.FAIL === '1') throw new Error('this attempt fails');
});`,
    });
    const home = tempDir();
    const first = await runCli(['run', 'keys.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, KEY_PREFIX: 'a', FAIL: '1' } });
    assert.equal(first.code, 1, first.stderr);
    const id = (JSON.parse(first.stdout) as { id: string }).id;
    // 100 new keys on top of the first attempt's 100: the first new one is refused.
    const second = await runCli(['resume', id, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, KEY_PREFIX: 'b', FAIL: '1' } });
    assert.equal(second.code, 1, second.stderr);
    assert.match((JSON.parse(second.stdout) as { state: { message: string } }).state.message, /createMarkdownArtifact\('b-0'\): a run may create artifacts of at most 100 keys/);
    // The earlier attempt's keys again: replaced, within the limit.
    const third = await runCli(['resume', id, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, KEY_PREFIX: 'a', FAIL: '0' } });
    assert.equal(third.code, 0, third.stderr);
    const json = await runCli(['artifacts', id, '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    const artifacts = (JSON.parse(json.stdout) as { artifacts: { key: string; data: { markdown: string } }[] }).artifacts;
    assert.equal(artifacts.length, 100);
    assert.ok(artifacts.every((a) => a.key.startsWith('a-') && a.data.markdown === 'attempt of a'));
  });
});
