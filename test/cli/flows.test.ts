import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';
import { fixtureWorkspace } from '../support/fixtures';

const T = 60_000;

describe('flowdeck flows', () => {
  it('lists CommonJS flows and says which flows it cannot list, exiting 0', { timeout: T }, async () => {
    const ws = fixtureWorkspace('discovery');
    const env = { FLOWDECK_HOME: tempDir() };
    const cjs = await runCli(['flows', 'cjs-exports.flow.js'], { cwd: ws, env });
    assert.equal(cjs.code, 0, cjs.stderr);
    assert.deepEqual(cjs.stdout.trim().split('\n'), ['via-exports         cjs-exports.flow.js:4', 'via-module-exports  cjs-exports.flow.js:5', 'bound-later         cjs-exports.flow.js:6']);
    const dynamic = await runCli(['flows', 'dynamic-name.flow.ts'], { cwd: ws, env });
    assert.equal(dynamic.code, 0, dynamic.stderr);
    assert.deepEqual(dynamic.stdout.trim().split('\n'), [
      'listed  dynamic-name.flow.ts:5',
      "dynamic-name.flow.ts:7:24: warning: flow at line 7: its name is not a literal string, so it can't be listed; write name: 'my-flow'",
    ]);
  });

  it("shows a secret parameter's default as ***, in the text as in --json", { timeout: T }, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'login.flow.ts'), `import { flow } from 'flowdeck';\nexport default flow({ name: 'login', parameters: { apiKey: { type: 'string', secret: true, default: 'default-key-9f8e7d' } } }, async () => 1);\n`);
    const env = { FLOWDECK_HOME: tempDir() };
    const text = await runCli(['flows', 'login.flow.ts'], { cwd: dir, env });
    const json = await runCli(['flows', 'login.flow.ts', '--json'], { cwd: dir, env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /apiKey: string = "\*\*\*"/);
    assert.equal((JSON.parse(json.stdout) as { flows: { parameters: { apiKey: { default: string } } }[] }[])[0]!.flows[0]!.parameters.apiKey.default, '***');
    assert.ok(!(text.stdout + json.stdout).includes('default-key-9f8e7d'));
  });

  it('--json lists the built-in flows first, as the text does, each marked built-in; a folder named lists its files alone', { timeout: T }, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'hello.flow.ts'), `import { flow } from 'flowdeck';\nexport default flow({ name: 'hello', description: 'says hello' }, async () => 1);\n`);
    const env = { FLOWDECK_HOME: tempDir() };
    const text = await runCli(['flows'], { cwd: dir, env });
    const r = await runCli(['flows', '--json'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    type Item = { file: string; builtin?: true; id?: string; flows: { name: string; description?: string; parameters?: Record<string, { type: string; default?: unknown }>; line?: number }[]; problems: unknown[] };
    const items = JSON.parse(r.stdout) as Item[];
    // The flows, in the text's order: the built-ins (it listed files only), then the file's.
    assert.deepEqual(items.flatMap((i) => i.flows.map((f) => f.name)), text.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]));
    assert.deepEqual(items.map((i) => [i.file, i.builtin ?? false, i.id]), [
      ['builtin:github-repo-stats', true, 'github-repo-stats'],
      ['builtin:youtube-channel-analytics', true, 'youtube-channel-analytics'],
      [join(dir, 'hello.flow.ts'), false, undefined],
    ]);
    assert.equal(items[0]!.flows[0]!.parameters!.repo!.default, 'PrefectHQ/prefect');
    assert.match(items[0]!.flows[0]!.description!, /stars/);
    assert.deepEqual(items[0]!.problems, []);
    assert.deepEqual(items[2]!.flows.map((f) => [f.name, f.description, f.line]), [['hello', 'says hello', 2]]);
    const folder = JSON.parse((await runCli(['flows', '.', '--json'], { cwd: dir, env })).stdout) as Item[];
    assert.deepEqual(folder.map((i) => i.file), [join(dir, 'hello.flow.ts')]);
  });

  it('refuses a flow named longer than 200 characters, naming its line and the limit, exiting 2; run refuses it too', { timeout: T }, async () => {
    const dir = tempDir();
    const name = 'nightly-'.repeat(12_500);
    writeFileSync(join(dir, 'long.flow.ts'), `import { flow } from 'flowdeck';\nexport const ok = flow({ name: 'fine' }, async () => 1);\nexport default flow({ name: '${name}' }, async () => 1);\n`);
    const env = { FLOWDECK_HOME: tempDir() };
    const message = 'flow at line 3: its name is 100000 characters, more than the 200 a name may have; give it a shorter one';
    const text = await runCli(['flows', 'long.flow.ts'], { cwd: dir, env });
    assert.equal(text.code, 2, text.stderr);
    assert.equal(text.stdout.trim(), `long.flow.ts:3:16: error: ${message}`);
    const json = await runCli(['flows', '.', '--json'], { cwd: dir, env });
    assert.equal(json.code, 2, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout)[0].error, { kind: 'name', message, line: 3, column: 16 });
    const run = await runCli(['run', 'long.flow.ts', '--flow', 'fine'], { cwd: dir, env });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /flow\(options, fn\): options\.name is 100000 characters, more than the 200 a name may have; give it a shorter one/);
    assert.ok(run.stderr.length < 2_000, `${run.stderr.length} characters of stderr`);
  });

  it('reports a file over the size limit with its size and the limit, exiting 2', { timeout: T }, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big.flow.ts'), `import { flow } from 'flowdeck';\nexport default flow({ name: 'big' }, async () => 1);\n${'/'.repeat(2 * 1024 * 1024)}\n`);
    const r = await runCli(['flows', '.', '--json'], { cwd: dir, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 2);
    const [big] = JSON.parse(r.stdout);
    assert.deepEqual(big.error, { kind: 'too-large', message: 'too large to scan for flows: 2.0 MiB, over the 1.0 MiB limit' });
    const text = await runCli(['flows', 'big.flow.ts'], { cwd: dir, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(text.stdout.trim(), 'big.flow.ts: error: too large to scan for flows: 2.0 MiB, over the 1.0 MiB limit');
  });

  it('lists a flow file name on a named pipe, a device or a folder as not a file (exit 2), reading none of them; a link to a file is listed', { skip: process.platform === 'win32', timeout: T }, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ok.flow.ts'), `import { flow } from 'flowdeck';\nexport default flow({ name: 'ok' }, async () => 1);\n`);
    symlinkSync(join(dir, 'ok.flow.ts'), join(dir, 'link.flow.ts'));
    symlinkSync('/dev/zero', join(dir, 'zero.flow.ts'));
    execFileSync('mkfifo', [join(dir, 'pipe.flow.ts')]);
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'sub'), join(dir, 'folder.flow.ts'));
    const env = { FLOWDECK_HOME: tempDir() };
    const why = (what: string): string => `not a file (${what}); only regular files, or links to them, are flow files`;
    const all = await runCli(['flows', '.'], { cwd: dir, env, timeoutMs: 30_000 });
    assert.equal(all.code, 2, all.stderr);
    assert.deepEqual(all.stdout.trim().split('\n'), [
      `folder.flow.ts: error: ${why('a folder')}`,
      'ok  link.flow.ts:2',
      'ok  ok.flow.ts:2',
      `pipe.flow.ts: error: ${why('a named pipe')}`,
      `zero.flow.ts: error: ${why('a character device')}`,
    ]);
    const pipe = await runCli(['flows', 'pipe.flow.ts', '--json'], { cwd: dir, env, timeoutMs: 30_000 });
    assert.equal(pipe.code, 2, pipe.stderr);
    assert.deepEqual(JSON.parse(pipe.stdout), [{ file: join(dir, 'pipe.flow.ts'), flows: [], problems: [], error: { kind: 'not-a-file', message: why('a named pipe') } }]);
    for (const command of [['schedules', '.'], ['check', '.']]) {
      const r = await runCli(command, { cwd: dir, env, timeoutMs: 30_000 });
      assert.equal(r.code, 2, `${command.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout + r.stderr, new RegExp(`pipe\\.flow\\.ts: (error: )?not a file \\(a named pipe\\)`), command.join(' '));
      assert.match(r.stdout + r.stderr, new RegExp(`zero\\.flow\\.ts: (error: )?not a file \\(a character device\\)`), command.join(' '));
    }
  });

  it("--json masks a secret the command knows in a declared schedule's parameters, as schedules --json does", { timeout: T }, async () => {
    const token = 'ghp_flowsSecret0123456789';
    const cwd = workspace({
      'sec.flow.ts': flowSource(`export default flow({ name: 'sec', parameters: { token: { type: 'string' }, repo: { type: 'string' } }, schedule: { cron: '0 9 * * *', parameters: { token: '${token}', repo: 'octo/hello' } } }, async () => 'ok');`),
    });
    const r = await runCli(['flows', '.', '--json'], { cwd, env: { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(token), r.stdout);
    const [item] = JSON.parse(r.stdout) as { flows: { schedules: { parameters: Record<string, unknown> }[] }[] }[];
    assert.deepEqual(item!.flows[0]!.schedules[0]!.parameters, { token: '***', repo: 'octo/hello' });
  });

  it("the text masks a secret the command knows in a parameter's default, as --json does", { timeout: T }, async () => {
    const token = 'ghp_flowsDefault0123456789';
    const cwd = workspace({
      'sec.flow.ts': flowSource(`export default flow({ name: 'sec', description: 'reads with ${token}', parameters: { token: { type: 'string', default: '${token}' }, repo: { type: 'string', default: 'octo/hello' } } }, async () => 'ok');`),
    });
    const env = { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token };
    const r = await runCli(['flows', '.'], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(token), r.stdout);
    assert.match(r.stdout, /^sec {2}sec\.flow\.ts:\d+ {2}\(token: string = "\*\*\*", repo: string = "octo\/hello"\) {2}— reads with \*\*\*$/m);
    const [item] = JSON.parse((await runCli(['flows', '.', '--json'], { cwd, env })).stdout) as { flows: { parameters: Record<string, { default: unknown }> }[] }[];
    assert.equal(item!.flows[0]!.parameters.token!.default, '***', 'as --json gives it');
  });
});
