import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ARTIFACT_LIMITS, artifactProblem, artifactSummary, chartData, linkData, markdownData, progressData, progressText, tableData } from '../../src/engine/artifacts';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { latestArtifacts } from '../../src/engine/latestArtifacts';
import type { ArtifactRecord } from '../../src/engine/records';
import { readFileSync } from 'node:fs';
import { ROOT, makeRunner, tempDir, workspace } from '../support/engine';

const source = (body: string): string =>
  `import { flow, task, createMarkdownArtifact, createTableArtifact, createLinkArtifact, createChartArtifact, createProgressArtifact } from 'flowdeck';\n${body}\n`;

describe('artifact data', () => {
  it('turns rows of objects into columns (every key, first seen first) and cells JSON keeps', () => {
    const t = tableData([{ name: 'Ada', spend: 12.5 }, { name: 'Bob', since: new Date('2026-01-02T00:00:00Z'), tags: ['a'] }, { spend: Infinity }]);
    assert.deepEqual(t, {
      kind: 'table',
      columns: ['name', 'spend', 'since', 'tags'],
      rows: [
        ['Ada', 12.5, null, null],
        ['Bob', null, '2026-01-02T00:00:00.000Z', '["a"]'],
        [null, 'Infinity', null, null],
      ],
    });
    assert.equal(artifactProblem(t), undefined);
    assert.equal(artifactSummary(t), '3 rows × 4 columns');
    const plain = tableData([['a', 'b'], ['c', 'd']]);
    assert.deepEqual(plain, { kind: 'table', rows: [['a', 'b'], ['c', 'd']] });
  });

  it("fills a row's missing cells with null, never with what objects inherit; a __proto__ key is a column", () => {
    const rows = JSON.parse('[{"name":"a","__proto__":"x","toString":"t","constructor":"c","hasOwnProperty":1},{"name":"b"}]') as unknown;
    assert.deepEqual(tableData(rows), {
      kind: 'table',
      columns: ['name', '__proto__', 'toString', 'constructor', 'hasOwnProperty'],
      rows: [
        ['a', 'x', 't', 'c', 1],
        ['b', null, null, null, null],
      ],
    });
  });

  it('shows a Map as its [key, value] entries, a Set as its values, a bigint as its digits and a typed array as its numbers, at any depth', () => {
    const t = tableData([
      { by: new Map<unknown, unknown>([['eu', 3], [1, new Set(['a'])]]), tags: new Set(['x', 'y']), n: 12345678901234567890n, deep: { at: new Date('2026-01-02T00:00:00Z'), big: 1n, m: new Map([['k', NaN]]) }, bytes: new Uint8Array([1, 2]) },
    ]);
    assert.deepEqual(t, {
      kind: 'table',
      columns: ['by', 'tags', 'n', 'deep', 'bytes'],
      rows: [['[["eu",3],[1,["a"]]]', '["x","y"]', '12345678901234567890', '{"at":"2026-01-02T00:00:00.000Z","big":"1","m":[["k","NaN"]]}', '[1,2]']],
    });
    // A value used twice is not a value that contains itself; a class instance with fields is its fields.
    const shared = { a: 1 };
    class Point {
      constructor(readonly x: number, readonly y: number) {}
    }
    assert.deepEqual(tableData([[[shared, shared], new Point(1, 2), new URL('https://example.com/a')]]), {
      kind: 'table',
      rows: [['[{"a":1},{"a":1}]', '{"x":1,"y":2}', '"https://example.com/a"']],
    });
  });

  it('refuses a cell a table cannot show faithfully (a function, a symbol, a Promise, an Error, a RegExp, a value that contains itself), naming the row and the column', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    for (const [rows, message] of [
      [[{ name: 'Ada' }, { name: 'Bob', total: () => 42 }], /^row 2, column "total" holds a function, which a table cannot show \(as text it would be the function's source\); put the value it computes$/],
      [[{ meta: { format: function format() {} } }], /^row 1, column "meta" holds a function at \.format, which a table cannot show/],
      [[{ m: new Map([['eu', () => 1]]) }], /^row 1, column "m" holds a function at \.get\("eu"\)/],
      [[['a', Symbol('s')]], /^row 1, cell 2 holds a symbol, which a table cannot show; put its description as a string$/],
      [[{ later: Promise.resolve(1) }], /^row 1, column "later" holds a Promise; await it and put its value$/],
      [[{ err: new TypeError('bad') }], /^row 1, column "err" holds a TypeError, which a table cannot show \(as JSON its message is left out\); put its message$/],
      [[{ re: [/a+/g] }], /^row 1, column "re" holds a RegExp at \[0\], which a table cannot show \(as JSON it is \{\}\); put the text or the fields to show$/],
      [[{ w: new WeakMap() }], /^row 1, column "w" holds a WeakMap, which a table cannot show/],
      [[{ loop }], /^row 1, column "loop" contains itself at \.self, which a table cannot show; put the part to show$/],
    ] as const) {
      assert.throws(() => tableData(rows), (e: Error) => e.name === 'ArtifactError' && (message as RegExp).test(e.message), String(message));
    }
  });

  it('bounds markdown in characters, as README says and the error says: 65,536 two-byte characters (128 KiB) pass, one more is refused', () => {
    const limit = /Limits: markdown up to ([\d,]+) characters;/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    assert.ok(limit, 'README states the markdown limit in characters');
    assert.equal(Number(limit[1]!.replace(/,/g, '')), ARTIFACT_LIMITS.markdownChars);
    assert.equal(artifactProblem(markdownData('é'.repeat(ARTIFACT_LIMITS.markdownChars))), undefined);
    assert.equal(artifactProblem(markdownData('é'.repeat(ARTIFACT_LIMITS.markdownChars + 1))), 'the markdown is 65537 characters, more than the 65536 allowed');
  });

  it('says what is wrong: chart series lengths, URL schemes, sizes, kinds', () => {
    assert.match(artifactProblem(chartData({ kind: 'line', x: [1, 2, 3], series: { p50: [1, 2] } }))!, /series 'p50' has 2 values for 3 x values/);
    assert.match(artifactProblem(chartData({ kind: 'pie', x: [1], series: { a: [1] } }))!, /kind must be 'line' or 'bar'/);
    assert.match(artifactProblem(chartData({ kind: 'bar', x: [1], series: {} }))!, /at least one series/);
    assert.match(artifactProblem(chartData({ kind: 'bar', x: [1], series: { a: ['x'] } }))!, /must hold numbers/);
    assert.equal(artifactProblem(chartData({ kind: 'line', x: [new Date(0), '2026-01-02'], series: { a: [1, null] }, yLabel: 'ms' })), undefined);
    assert.match(artifactProblem(linkData('javascript:alert(1)', undefined))!, /only http and https/);
    assert.match(artifactProblem(linkData('file:///etc/passwd', undefined))!, /only http and https/);
    assert.match(artifactProblem(linkData('not a url', undefined))!, /the URL does not parse/);
    assert.equal(artifactProblem(linkData('https://example.com/sheet', 'The sheet')), undefined);
    assert.match(artifactProblem(markdownData('x'.repeat(ARTIFACT_LIMITS.markdownChars + 1)))!, /more than the 65536 allowed/);
    assert.throws(() => tableData(Array.from({ length: ARTIFACT_LIMITS.tableRows + 1 }, () => ({ a: 1 }))), /more than the 5000 allowed/);
    assert.match(artifactProblem(tableData([{ a: 'x'.repeat(ARTIFACT_LIMITS.cellChars + 1) }]))!, /more than the 1000 allowed/);
    assert.match(artifactProblem(chartData({ kind: 'line', x: Array.from({ length: ARTIFACT_LIMITS.chartPoints + 1 }, (_, i) => i), series: { a: Array.from({ length: ARTIFACT_LIMITS.chartPoints + 1 }, () => 1) } }))!, /more than the 5000 allowed/);
    // Each cell within its limit, the whole over the byte limit.
    const wide = Array.from({ length: 2000 }, () => Array.from({ length: 10 }, () => 'y'.repeat(100)));
    assert.match(artifactProblem(tableData(wide))!, /bytes as JSON, more than the 1048576 allowed/);
    assert.match(artifactProblem({ kind: 'video' })!, /unknown artifact kind/);
    // Too long is said as such, not as a malformed chart.
    assert.equal(artifactProblem(chartData({ kind: 'line', x: [1], series: { ['s'.repeat(5000)]: [1] } })), 'a series name is 5000 characters, more than the 200 allowed');
    assert.equal(artifactProblem(chartData({ kind: 'line', x: ['a', 'x'.repeat(100_000)], series: { a: [1, 2] } })), 'x label 2 is 100000 characters, more than the 200 allowed');
    assert.equal(artifactProblem(chartData({ kind: 'line', x: [1, {}], series: { a: [1, 2] } })), 'x must be a list of numbers, dates or labels');
  });

  it('takes progress as a percentage from 0 to 100 with an optional description, and shows it as people read it', () => {
    assert.deepEqual(progressData(45, 'Imported 450 of 1,000 files'), { kind: 'progress', progress: 45, description: 'Imported 450 of 1,000 files' });
    assert.deepEqual(progressData(0, undefined), { kind: 'progress', progress: 0 });
    for (const bad of [-1, 100.5, Number.NaN, Infinity, '50', null]) assert.throws(() => progressData(bad, undefined), /the progress must be a number from 0 to 100 \(a percentage\), got /, String(bad));
    assert.throws(() => progressData(1, 42), /the description must be a string, got number/);
    assert.match(artifactProblem({ kind: 'progress', progress: 101 })!, /from 0 to 100/);
    assert.match(artifactProblem({ kind: 'progress', progress: 5, description: 'x'.repeat(ARTIFACT_LIMITS.descriptionChars + 1) })!, /at most 500 characters/);
    assert.deepEqual([0, 0.34, 3, 9.96, 45.5, 90, 99.5, 99.97, 100].map(progressText), ['0%', '0.3%', '3%', '9.9%', '46%', '90%', '99.5%', '99.9%', '100%']);
    assert.equal(artifactSummary(progressData(45, 'Imported 450 of 1,000 files')), '45%: Imported 450 of 1,000 files');
    assert.equal(artifactSummary(progressData(100, undefined)), '100%');
  });
});

describe('artifacts of runs', () => {
  it('stores each kind with its run (flow or task run), folds it into the run, masks secrets and finds the latest of each key per flow', async () => {
    const home = tempDir();
    const ws = workspace({
      'report.flow.ts': source(`
const crunch = task({ name: 'crunch' }, async () => {
  createTableArtifact('top-customers', [{ name: 'Ada', spend: 120 }, { name: 'Bob', spend: 80 }]);
  return 1;
});
export default flow({ name: 'report' }, async ({ round }: { round: number }) => {
  await crunch();
  createChartArtifact('latency', { kind: 'line', x: ['2026-01-01', '2026-01-02'], series: { p50: [10, 12 + round], p95: [30, null] }, yLabel: 'ms' });
  createMarkdownArtifact('report', '# Daily report ' + round + '\\nToken: ' + process.env.GITHUB_TOKEN);
  if (round === 1) createLinkArtifact('sheet', 'https://example.com/sheet?t=' + process.env.GITHUB_TOKEN, 'The spreadsheet');
  createMarkdownArtifact('report', '# Daily report ' + round + ' (final)\\nToken: ' + process.env.GITHUB_TOKEN);
});`),
    });
    const secret = 'ghp_artifactSecret0123456789abcdef';
    const { store, runner } = await makeRunner(home, { env: { ...process.env, FLOWDECK_HOME: home, GITHUB_TOKEN: secret } });
    const first = await (await runner.start({ source: { kind: 'file', path: join(ws, 'report.flow.ts') }, parameters: { round: 1 } })).done;
    assert.equal(first.state.type, 'COMPLETED', first.state.message);
    const second = await (await runner.start({ source: { kind: 'file', path: join(ws, 'report.flow.ts') }, parameters: { round: 2 } })).done;
    assert.equal(second.state.type, 'COMPLETED', second.state.message);

    const detail = (await store.readRun(first.id))!;
    assert.deepEqual(detail.artifacts!.map((a) => [a.key, a.data.kind]), [['top-customers', 'table'], ['latency', 'chart'], ['report', 'markdown'], ['sheet', 'link']]);
    const crunch = detail.taskRuns.find((t) => t.name === 'crunch-0')!;
    assert.equal(detail.artifacts![0]!.taskRunId, crunch.id);
    assert.equal(detail.artifacts![1]!.taskRunId, undefined);
    const report = detail.artifacts!.find((a) => a.key === 'report')!;
    assert.equal(report.data.kind === 'markdown' && report.data.markdown, '# Daily report 1 (final)\nToken: ***');
    const link = detail.artifacts!.find((a) => a.key === 'sheet')!.data;
    assert.deepEqual(link, { kind: 'link', url: 'https://example.com/sheet?t=***', label: 'The spreadsheet' });
    // The live fold and the replay agree (one reducer).
    assert.deepEqual(first.artifacts, detail.artifacts);
    assert.deepEqual(await store.readArtifacts(first.id), detail.artifacts);

    // A fresh process sees the keys in the index, and after compaction in the snapshot.
    for (const compact of [false, true]) {
      const other = await EmbeddedStore.open(home);
      if (compact) assert.equal(await other.compact(), true);
      const reopened = await EmbeddedStore.open(home);
      assert.deepEqual((await reopened.get(first.id))!.artifactKeys, ['top-customers', 'latency', 'report', 'sheet']);
      assert.deepEqual((await reopened.get(second.id))!.artifactKeys, ['top-customers', 'latency', 'report']);
      const latest = await latestArtifacts(reopened, 'report');
      assert.deepEqual(latest.map((a) => [a.key, a.runId === second.id ? 'second' : 'first']).sort(), [['latency', 'second'], ['report', 'second'], ['sheet', 'first'], ['top-customers', 'second']]);
      const chart = latest.find((a) => a.key === 'latency')!.data;
      assert.deepEqual(chart, { kind: 'chart', chart: { kind: 'line', x: ['2026-01-01', '2026-01-02'], series: [{ name: 'p50', values: [10, 14] }, { name: 'p95', values: [30, null] }], yLabel: 'ms' } });
      await other.close();
      await reopened.close();
    }
  });

  it('keeps the latest progress of a loop that reports every item, in a handful of records, the last written before the run ends', async () => {
    const home = tempDir();
    const ws = workspace({
      'progress.flow.ts': source(`
const work = task({ name: 'work' }, async (n: number) => {
  for (let i = 1; i <= n; i++) createProgressArtifact('items', (i / n) * 100, 'Processed ' + i + ' of ' + n);
  return n;
});
export default flow({ name: 'progress' }, async ({ fail }: { fail: boolean }) => {
  createProgressArtifact('overall', 0, 'starting');
  await work(20000);
  createProgressArtifact('overall', 60, 'counted');
  createProgressArtifact('overall', 70, 'written');
  if (fail) throw new Error('stopped at 70');
  createProgressArtifact('overall', 100);
});`),
    });
    const { store, runner } = await makeRunner(home);
    for (const fail of [false, true]) {
      // Listeners (the editor's status bar) hear each update the run keeps, as it is folded.
      const heard: [string, number][] = [];
      const listen = (a: ArtifactRecord): void => void (a.data.kind === 'progress' && heard.push([a.key, a.data.progress]));
      runner.on('artifact', listen);
      const run = await (await runner.start({ source: { kind: 'file', path: join(ws, 'progress.flow.ts') }, parameters: { fail } })).done;
      runner.off('artifact', listen);
      assert.deepEqual(heard.filter(([k]) => k === 'overall').at(-1), ['overall', fail ? 70 : 100]);
      assert.deepEqual(heard.filter(([k]) => k === 'items').at(-1), ['items', 100]);
      assert.equal(run.state.name, fail ? 'Failed' : 'Completed', run.state.message);
      const detail = (await store.readRun(run.id))!;
      const byKey = Object.fromEntries((detail.artifacts ?? []).map((a) => [a.key, a.data]));
      assert.deepEqual(byKey, {
        overall: fail ? { kind: 'progress', progress: 70, description: 'written' } : { kind: 'progress', progress: 100 },
        items: { kind: 'progress', progress: 100, description: 'Processed 20000 of 20000' },
      });
      const lines = readFileSync(join(home, 'runs', `${run.id}.jsonl`), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { k: string; key?: string; name?: string });
      const progressLines = lines.filter((l) => l.k === 'artifact');
      console.log(`20,000 progress updates of one key and 4 of another (fail: ${fail}): ${progressLines.length} artifact records, ${heard.length} heard`);
      assert.equal(heard.length, progressLines.length);
      assert.ok(progressLines.length >= 3 && progressLines.length <= 60, `${progressLines.length} artifact records`);
      // The last progress is on record before the run's final state.
      const lastOf = (k: string): number => lines.map((l) => l.k).lastIndexOf(k);
      assert.ok(lastOf('artifact') < lastOf('state'));
    }
  });

  it('fails the call with an error naming the artifact and the problem', async () => {
    const home = tempDir();
    const cases: [string, RegExp][] = [
      [`createMarkdownArtifact('Bad Key', 'x')`, /createMarkdownArtifact: the key 'Bad Key' must be 1-64 of a-z, 0-9 and -/],
      // Prefect's keyword style: the message says how the call is written here.
      [`(createMarkdownArtifact as (...a: unknown[]) => void)({ key: 'summary', markdown: '# Hi' })`, /createMarkdownArtifact takes the key first, on its own — createMarkdownArtifact\('daily-report', …\) — but was given one object/],
      [`createChartArtifact('latency', { kind: 'line', x: [1, 2, 3], series: { p50: [1, 2] } })`, /createChartArtifact\('latency'\): series 'p50' has 2 values for 3 x values/],
      [`createLinkArtifact('docs', 'javascript:alert(1)')`, /createLinkArtifact\('docs'\): only http and https links are allowed, got javascript:/],
      [`createMarkdownArtifact('big', 'x'.repeat(70000))`, /createMarkdownArtifact\('big'\): the markdown is 70000 characters, more than the 65536 allowed/],
      // Not a string: an ArtifactError naming the call, as every other problem (was a bare TypeError).
      [`(createMarkdownArtifact as (key: string, markdown: unknown) => void)('report', 42)`, /^ArtifactError: createMarkdownArtifact\('report'\): the markdown must be a string, got number$/],
      [`(createMarkdownArtifact as (key: string, markdown: unknown) => void)('report', null)`, /^ArtifactError: createMarkdownArtifact\('report'\): the markdown must be a string, got null$/],
      // A cell a table cannot show faithfully (it was the function's source text, and a Map `{}`).
      [`createTableArtifact('totals', [{ name: 'Ada' }, { name: 'Bob', total: (() => 42) as unknown as number }])`, /^ArtifactError: createTableArtifact\('totals'\): row 2, column "total" holds a function, which a table cannot show/],
      [`for (let i = 0; i <= 100; i++) createLinkArtifact('k' + i, 'https://example.com')`, /createLinkArtifact\('k100'\): a run may create artifacts of at most 100 keys/],
    ];
    const ws = workspace(Object.fromEntries(cases.map(([call], i) => [`bad${i}.flow.ts`, source(`export default flow({ name: 'bad${i}' }, async () => { ${call}; });`)])));
    const { store, runner } = await makeRunner(home);
    for (let i = 0; i < cases.length; i++) {
      const run = await (await runner.start({ source: { kind: 'file', path: join(ws, `bad${i}.flow.ts`) } })).done;
      assert.equal(run.state.type, 'FAILED');
      assert.match(run.state.message ?? '', cases[i]![1]);
    }
    // What passed before the failing call is kept: the 100 keys of the last flow.
    const last = (await store.list({ flowNames: [`bad${cases.length - 1}`] }))[0]!;
    assert.equal(last.artifactKeys?.length, 100);
    // Outside a run there is no run to keep it.
    const api = await import('../../src/engine/api');
    assert.throws(() => api.createMarkdownArtifact('x', 'y'), /createMarkdownArtifact\('x'\) was called outside a flow or task run/);
    // Nor a store to read a variable from: a plain process that imported the API is told so, at once.
    await assert.rejects(api.getVariable('repos'), /getVariable\(\) reads the store through the Flowdeck worker running this file/);
    await assert.rejects(api.setVariable('repos', 1), /setVariable\(\) reads the store through the Flowdeck worker/);
  });
});
