import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCommandArgs } from '../../src/cli/args';
import { COMMANDS } from '../../src/cli/main';
import { runJson } from '../../src/cli/runJson';
import { printRunJson } from '../../src/cli/runJsonStream';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { FlowRunDetail } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { makeRunner, runCli, flowSource, tempDir, workspace } from '../support/engine';
import { sink } from '../support/sink';

const ok = flowSource(`
const greet = task({ name: 'greet' }, async (who: string) => { getRunLogger().info('Hello ' + who); return 'Hello ' + who; });
export default flow({ name: 'hello', parameters: { who: { type: 'string', default: 'world' }, times: { type: 'integer', default: 1 } } }, async ({ who, times }: { who: string; times: number }) => {
  const out = [];
  for (let i = 0; i < times; i++) out.push(await greet(who));
  return out;
});`);

describe('flowdeck run', () => {
  it('exits 0 on Completed, streams Prefect-format logs to stderr and prints one JSON document with --json', async () => {
    const ws = workspace({ 'hello.flow.ts': ok });
    const home = tempDir();
    const r = await runCli(['run', 'hello.flow.ts', '--param', 'who=Ada', '--param', 'times=2', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc), ['id', 'name', 'flowName', 'parameters', 'state', 'startTime', 'endTime', 'result', 'taskRuns', 'attempt']);
    assert.match(doc.name, /^[a-z]+-[a-z]+$/);
    assert.equal(doc.flowName, 'hello');
    assert.deepEqual(doc.parameters, { who: 'Ada', times: 2 });
    assert.deepEqual(doc.state, { type: 'COMPLETED', name: 'Completed' });
    assert.deepEqual(doc.result, ['Hello Ada', 'Hello Ada']);
    assert.deepEqual(doc.taskRuns.map((t: { name: string }) => t.name), ['greet-0', 'greet-1']);
    assert.deepEqual(Object.keys(doc.taskRuns[0]), ['id', 'name', 'state', 'attempts', 'startTime', 'endTime', 'attempt', 'slotWaitMs']);
    assert.ok(!Number.isNaN(Date.parse(doc.startTime)) && Date.parse(doc.endTime) >= Date.parse(doc.startTime));
    const lines = r.stderr.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\| INFO    \\| flowdeck\\.engine - Created flow run '${doc.name}' for flow 'hello'$`));
    assert.ok(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} \| INFO    \| Task run 'greet-0' - Hello Ada$/.test(l)));
    assert.match(lines.at(-1)!, new RegExp(`\\| INFO    \\| Flow run '${doc.name}' - Finished in state Completed\\(\\)$`));
  });

  it('exits 1 when the flow fails, with the final state line', async () => {
    const ws = workspace({ 'fail.flow.ts': flowSource(`export default flow({ name: 'fail' }, async () => { throw new Error("it's broken"); });`) });
    const r = await runCli(['run', 'fail.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\| ERROR   \| Flow run '[a-z]+-[a-z]+' - Finished in state Failed\("it's broken"\)/);
  });

  it('--json says what a failed run and task run threw and where: the first frame in the flow file', async () => {
    const ws = workspace({
      'fail.flow.ts': flowSource(`const load = task({ name: 'load' }, async () => {
  throw new TypeError('no rows');
});
export default flow({ name: 'fail' }, async () => load());`),
    });
    const r = await runCli(['run', 'fail.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { state: { failure?: { name: string; message: string; stack?: string; frame?: { file: string; line: number; column: number } } }; taskRuns: { state: { failure?: unknown } }[] };
    const failure = doc.state.failure!;
    assert.equal(failure.name, 'TypeError');
    assert.equal(failure.message, 'no rows');
    // The flow file's source line of the throw (flowSource adds one line of imports before the text).
    const line = readFileSync(join(ws, 'fail.flow.ts'), 'utf8').split('\n').findIndex((l) => l.includes("throw new TypeError('no rows')")) + 1;
    assert.deepEqual(failure.frame, { file: realpathSync(join(ws, 'fail.flow.ts')), line, column: 9 });
    assert.match(failure.stack!, /^TypeError: no rows\n {4}at .*fail\.flow\.ts:\d+:9\)/);
    assert.deepEqual(doc.taskRuns[0]!.state.failure, failure, 'the task run says the same');
  });

  it('exits 1 when the run crashes', async () => {
    const ws = workspace({ 'crash.flow.ts': flowSource(`export default flow({ name: 'crash' }, async () => { process.exit(9); });`) });
    const r = await runCli(['run', 'crash.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).state.type, 'CRASHED');
  });

  it('cancels on Ctrl-C (SIGINT) and exits 1 with Cancelled', async () => {
    const ws = workspace({ 'slow.flow.ts': flowSource(`export default flow({ name: 'slow' }, async () => { getRunLogger().info('working'); await new Promise((r) => setTimeout(r, 30000)); });`) });
    const started = Date.now();
    const r = await runCli(['run', 'slow.flow.ts', '--json'], {
      cwd: ws,
      env: { FLOWDECK_HOME: tempDir() },
      onStderr: (chunk, child) => chunk.includes('working') && child.kill('SIGINT'),
    });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).state.type, 'CANCELLED');
    assert.ok(Date.now() - started < 10000);
  });

  it('cancels on SIGTERM too, so a CI timeout leaves a Cancelled run rather than a Crashed one', async () => {
    const ws = workspace({ 'slow.flow.ts': flowSource(`export default flow({ name: 'slow' }, async () => { getRunLogger().info('working'); await new Promise((r) => setTimeout(r, 30000)); });`) });
    const home = tempDir();
    const r = await runCli(['run', 'slow.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home }, onStderr: (chunk, child) => chunk.includes('working') && child.kill('SIGTERM') });
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.state.type, 'CANCELLED');
    assert.match(doc.state.message, /SIGTERM/);
  });

  for (const [what, args, files, message] of [
    ['a missing file', ['run', 'nope.flow.ts'], {}, /Flow file not found: .*nope\.flow\.ts/],
    ['an unknown built-in', ['run', 'no-such-flow'], {}, /No built-in flow 'no-such-flow'/],
    ['no such flow in the file', ['run', 'hello.flow.ts', '--flow', 'other'], { 'hello.flow.ts': ok }, /has no flow named 'other'; it has: hello/],
    [
      'a flow the file makes but does not export (a subflow)',
      ['run', 'sub.flow.ts', '--flow', 'daily-part'],
      { 'sub.flow.ts': `import { flow } from 'flowdeck';\nconst part = flow({ name: 'daily-part' }, async () => 1);\nexport default flow({ name: 'daily' }, async () => part({}));\n` },
      /sub\.flow\.ts does not export flow 'daily-part': it runs only as a subflow of the flows that call it\. Export it \(`export const dailyPart = flow\(\.\.\.\)`\) to run it on its own; the file exports: daily$/m,
    ],
    ['an invalid parameter', ['run', 'hello.flow.ts', '--param', 'times=lots'], { 'hello.flow.ts': ok }, /'times' must be a whole number, got "lots" \(not a number\); pass it as --param times=42/],
    ['an unknown parameter', ['run', 'hello.flow.ts', '--params', '{"whom":"x"}'], { 'hello.flow.ts': ok }, /unknown parameter 'whom'/],
    ['malformed --params', ['run', 'hello.flow.ts', '--params', '{oops'], { 'hello.flow.ts': ok }, /--params is not valid JSON/],
    ['a compile error', ['run', 'broken.flow.ts'], { 'broken.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'b' }, async () => {\n  return 1 +;\n});\n` }, /broken\.flow\.ts:3:\d+: /],
    ['an unknown option', ['run', 'hello.flow.ts', '--bogus'], { 'hello.flow.ts': ok }, /^flowdeck run: unknown option '--bogus'; `flowdeck run --help` lists its options$/m],
  ] as const) {
    it(`exits 2 for ${what}, saying what was wrong, and records no run`, async () => {
      const ws = workspace(files as Record<string, string>);
      const home = tempDir();
      const r = await runCli([...args], { cwd: ws, env: { FLOWDECK_HOME: home } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      const runs = await runCli(['runs', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home } });
      assert.deepEqual(JSON.parse(runs.stdout), []);
    });
  }

  it('exits 2 for a flow "file" that is a pipe, having read no more of it than a flow file is glanced at (256 KiB)', { skip: process.platform === 'win32', timeout: 120_000 }, async () => {
    const ws = workspace({});
    execFileSync('mkfifo', [join(ws, 'piped.flow.ts')]);
    // 4 MiB offered: a reader that stops at its bound closes the pipe long before the writer is done.
    const writer = createWriteStream(join(ws, 'piped.flow.ts'));
    const written = new Promise<string>((resolve) => {
      writer.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      writer.on('finish', () => resolve('all of it read'));
    });
    writer.end(`// ${'x'.repeat(4 * 1024 * 1024)}\n`);
    const r = await runCli(['run', 'piped.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Not a file: .*piped\.flow\.ts/);
    assert.equal(await written, 'EPIPE');
  });
});

describe('parseCommandArgs', () => {
  it('reads a negative number standing alone as an argument, in its place among the others', () => {
    const { values, positionals } = parseCommandArgs('limit', ['set', '-1.5', 'tag', '--json', '-2'], { json: { type: 'boolean' } });
    assert.deepEqual(positionals, ['set', '-1.5', 'tag', '-2']);
    assert.equal(values.json, true);
    assert.throws(() => parseCommandArgs('limit', ['set', '-x'], { json: { type: 'boolean' } }), /unknown option '-x'/);
  });
});

/**
 * A run with a retried task, a failed one, and — once resumed past the task that failed it — a result kept
 * in a file of its own (results over 1 KB are, with FLOWDECK_INLINE_RESULT_KB=1).
 */
function mixedFlow(gate: string): string {
  return flowSource(`import { existsSync } from 'node:fs';
let tries = 0;
const flaky = task({ name: 'flaky', retries: 2, retryDelaySeconds: 0 }, async (i: number) => { if (++tries % 2 === 1) throw new Error('flaky ' + i); return i; });
const doomed = task({ name: 'doomed' }, async () => { throw new Error('doomed'); });
const gated = task({ name: 'gated' }, async () => { if (!existsSync(${JSON.stringify(gate)})) throw new Error('not ready'); return 'ready'; });
export default flow({ name: 'mixed' }, async () => {
  const got = [await flaky(1), await flaky(2)];
  await doomed().catch(() => undefined);
  return { got, gated: await gated(), blob: 'x'.repeat(4096) };
});`);
}

/** What `run --json` printed before it read task runs from the store: the run as the runner folded it, whole. */
async function printedWhole(detail: FlowRunDetail, store: RunStore): Promise<string> {
  return `${JSON.stringify(await runJson(detail, store, { loadResultFiles: true }), null, 2)}\n`;
}

/** The mix the runs must hold for the comparisons to be about anything. */
function assertMixed(detail: FlowRunDetail, outOfLine: boolean): void {
  assert.ok(detail.taskRuns.some((t) => t.name.startsWith('flaky') && t.attempts === 2), 'a retried task run');
  assert.ok(detail.taskRuns.some((t) => t.state.name === 'Failed'), 'a failed task run');
  if (outOfLine) assert.ok(detail.resultRef && !detail.result, 'the result is kept out of line');
}

describe('flowdeck run --json and resume --json: the run printed with its task runs read from the store', { timeout: 180_000 }, () => {
  it('prints the very text the whole run printed before, for a failed run and its resumed attempt', async () => {
    const gate = join(tempDir(), 'ready');
    const ws = workspace({ 'mixed.flow.ts': mixedFlow(gate) });
    const home = tempDir();
    const env = { FLOWDECK_HOME: home, FLOWDECK_INLINE_RESULT_KB: '1' };
    const failed = await runCli(['run', 'mixed.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(failed.code, 1, failed.stderr);
    const { id } = JSON.parse(failed.stdout) as { id: string };
    const firstAttempt = await EmbeddedStore.open(home, { readOnly: true });
    try {
      const detail = (await firstAttempt.readRun(id))!;
      assertMixed(detail, false);
      assert.equal(failed.stdout, await printedWhole(detail, firstAttempt));
    } finally {
      await firstAttempt.close();
    }

    writeFileSync(gate, '');
    const resumed = await runCli(['resume', id, '--json'], { cwd: ws, env });
    assert.equal(resumed.code, 0, resumed.stderr);
    const store = await EmbeddedStore.open(home, { readOnly: true });
    try {
      const detail = (await store.readRun(id))!;
      assertMixed(detail, true);
      assert.equal(detail.attempt, 2);
      assert.equal(resumed.stdout, await printedWhole(detail, store));
      assert.equal((JSON.parse(resumed.stdout) as { result: { blob: string } }).result.blob.length, 4096);
    } finally {
      await store.close();
    }
  });

  it('prints what the runner folded live, task runs and all, before it kept none (same run, old and new path)', async () => {
    const gate = join(tempDir(), 'ready');
    const ws = workspace({ 'mixed.flow.ts': mixedFlow(gate) });
    const home = tempDir();
    // Task runs folded live, as `run --json` had the runner do.
    const { store, runner } = await makeRunner(home, { env: { ...process.env, FLOWDECK_HOME: home, FLOWDECK_INLINE_RESULT_KB: '1' } });
    const printed = async (detail: FlowRunDetail): Promise<string> => {
      const out = sink();
      await printRunJson(store, detail.id, { stdout: out.stream, stderr: sink().stream }, detail);
      return out.text();
    };
    const failed = await (await runner.start({ source: { kind: 'file', path: join(ws, 'mixed.flow.ts') } })).done;
    assert.equal(failed.state.name, 'Failed');
    assertMixed(failed, false);
    assert.equal(await printed(failed), await printedWhole(failed, store));
    writeFileSync(gate, '');
    const resumed = await (await runner.resume(failed.id)).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    assertMixed(resumed, true);
    assert.equal(await printed(resumed), await printedWhole(resumed, store));
  });
});

describe('flowdeck runs, logs, flows, help', () => {
  it('lists history newest first, as a table and as JSON, and prints a run\'s stored logs by name or id', async () => {
    const ws = workspace({ 'hello.flow.ts': ok });
    const env = { FLOWDECK_HOME: tempDir() };
    const first = JSON.parse((await runCli(['run', 'hello.flow.ts', '--json', '--param', 'who=one'], { cwd: ws, env })).stdout);
    const second = JSON.parse((await runCli(['run', 'hello.flow.ts', '--json', '--param', 'who=two'], { cwd: ws, env })).stdout);
    const list = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout);
    assert.deepEqual(list.map((r: { id: string }) => r.id), [second.id, first.id]);
    assert.deepEqual(list[0].taskRuns.length, 1);
    const limited = JSON.parse((await runCli(['runs', '--json', '--limit', '1'], { cwd: ws, env })).stdout);
    assert.equal(limited.length, 1);
    const whole = await runCli(['runs'], { cwd: ws, env });
    const table = whole.stdout;
    assert.match(table.split('\n')[1]!, new RegExp(`^${second.name}\\s+hello\\s+Completed`));
    assert.equal(whole.stderr, '', 'every run shown: no word of more');
    const cut = await runCli(['runs', '--limit', '1'], { cwd: ws, env });
    assert.equal(cut.stdout.trim().split('\n').length, 2);
    assert.match(cut.stderr, /^The newest 1 shown; there are more \(--limit 100 shows more\)\.$/m);
    const logs = await runCli(['logs', first.name], { cwd: ws, env });
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /Task run 'greet-0' - Hello one/);
    assert.equal((await runCli(['logs', first.id], { cwd: ws, env })).stdout, logs.stdout);
    const missing = await runCli(['logs', 'no-such-run'], { cwd: ws, env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no run with id, id prefix or name 'no-such-run'/);
  });

  it('lists the flows of a folder without running them, and reports parse errors with file:line:col', async () => {
    const ws = workspace({
      'a.flow.ts': ok,
      'sub/b.flow.mjs': `import { flow } from 'flowdeck';\nimport { writeFileSync } from 'node:fs';\nwriteFileSync('EXECUTED', 'yes');\nexport const b = flow({ name: 'bee' }, async () => 1);\n`,
      'node_modules/x/c.flow.ts': ok,
    });
    const r = await runCli(['flows', '.', '--json'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const found = JSON.parse(r.stdout);
    assert.deepEqual(found.map((f: { flows: { name: string }[] }) => f.flows.map((x) => x.name)), [['hello'], ['bee']]);
    assert.equal(require('node:fs').existsSync(join(ws, 'EXECUTED')), false);
    const bad = workspace({ 'bad.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'x' }, async () => {\n  let = 5;\n});\n` });
    const b = await runCli(['flows', 'bad.flow.ts'], { cwd: bad, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(b.code, 2);
    assert.match(b.stdout, /^bad\.flow\.ts:3:\d+: error: /);
  });

  it('lists a flow\'s parameters as TypeScript writes them: required, optional (?), with a default', async () => {
    const ws = workspace({
      'p.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'p', parameters: { a: { type: 'number', default: 1 }, b: { type: 'number', required: true }, c: { type: 'string' } } }, async () => 1);\n`,
    });
    const r = await runCli(['flows', 'p.flow.ts'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^p  p\.flow\.ts:\d+  \(a: number = 1, b: number, c\?: string\)$/m);
  });

  it('lists the built-in flows first when no folder is given', async () => {
    const ws = workspace({ 'a.flow.ts': ok });
    const r = await runCli(['flows'], { cwd: ws, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    // Names in a column as wide as the widest.
    assert.match(lines[0]!, /^github-repo-stats {10}built-in  \(repo: string = "PrefectHQ\/prefect"\)/);
    assert.match(lines[1]!, /^youtube-channel-analytics  built-in/);
    assert.match(lines[2]!, /^hello {22}a\.flow\.ts:\d+/);
  });

  it('answers --help on every command, in text a terminal shows as written: no control character but newlines, no bidi control', { timeout: 120_000 }, async () => {
    // `variable --help` wrote a real CR, ESC and U+202E where it meant to show their escapes.
    const unsafe = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
    const commands = Object.keys(COMMANDS);
    assert.ok(commands.includes('variable') && commands.includes('run'));
    for (const cmd of [[], ['help'], ...commands.map((c) => [c]), ...commands.map((c) => ['help', c])]) {
      const r = await runCli(cmd[0] === 'help' ? cmd : [...cmd, '--help']);
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: flowdeck/);
      const at = unsafe.exec(r.stdout);
      assert.equal(at, null, `${cmd.join(' ')} --help writes U+${at?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} at …${JSON.stringify(r.stdout.slice(Math.max(0, (at?.index ?? 0) - 40), (at?.index ?? 0) + 10))}`);
    }
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });
});
