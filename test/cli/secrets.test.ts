/** Secrets given to the CLI stay out of its output and its store, whatever shape they take there. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';

/** A fine-grained token is longer than an error message quotes; a classic one is not. */
const LONG_TOKEN = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789abcdefghijkl';
const SHORT_TOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';

const typed = flowSource(`export default flow({ name: 'typed', parameters: { token: { type: 'number' } } }, async () => 1);`);

/** Every 8-character piece of the secret: none may show, or a secret could be read off in pieces. */
function assertNoPieceOf(secret: string, text: string, what: string): void {
  for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!text.includes(secret.slice(i, i + 8)), `${what}: "${secret.slice(i, i + 8)}" shows in ${text}`);
}

function filesUnder(dir: string): string {
  let all = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) all += readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return all;
}

describe('secrets in the CLI', { timeout: 120_000 }, () => {
  it('a parameter-type error never quotes a piece of a secret from the environment', async () => {
    const ws = workspace({ 'typed.flow.ts': typed });
    for (const token of [LONG_TOKEN, SHORT_TOKEN]) {
      const r = await runCli(['run', 'typed.flow.ts', '--param', `token=${token}`], { cwd: ws, env: { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /'token' must be a number, got /);
      assertNoPieceOf(token, r.stderr + r.stdout, `${token.length}-character token`);
    }
  });

  it('malformed --params and --param never quote a piece of a secret either', async () => {
    const ws = workspace({ 'typed.flow.ts': typed });
    const env = { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: LONG_TOKEN };
    const json = await runCli(['run', 'typed.flow.ts', '--params', `{"token": ${LONG_TOKEN}}`], { cwd: ws, env });
    assert.equal(json.code, 2);
    assert.match(json.stderr, /--params is not valid JSON/);
    assertNoPieceOf(LONG_TOKEN, json.stderr, '--params');
    const assignment = await runCli(['run', 'typed.flow.ts', '--param', LONG_TOKEN], { cwd: ws, env });
    assert.equal(assignment.code, 2);
    assert.match(assignment.stderr, /--param expects key=value, got '\*\*\*'/);
  });

  it('masks connection-string passwords, *_PASS values and their encodings in output and store', async () => {
    const ws = workspace({
      'leak.flow.ts': flowSource(`
export default flow({ name: 'leak' }, async () => {
  const log = getRunLogger();
  log.info('db ' + process.env.DATABASE_URL);
  log.info('password alone ' + decodeURIComponent(new URL(process.env.DATABASE_URL!).password));
  log.info('smtp ' + encodeURIComponent(process.env.SMTP_PASS!));
  log.info('basic ' + Buffer.from('mailer:' + process.env.SMTP_PASS).toString('base64'));
  return { url: process.env.DATABASE_URL };
});`),
    });
    const home = tempDir();
    const env = { FLOWDECK_HOME: home, DATABASE_URL: 'postgres://app:pg%2Fs3cret-pw@db.internal/flows', SMTP_PASS: 'smtp p@ss-w0rd' };
    const r = await runCli(['run', 'leak.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /- db postgres:\/\/\*\*\*db\.internal\/flows$/m);
    assert.match(r.stderr, /- password alone \*\*\*$/m);
    assert.match(r.stderr, /- smtp \*\*\*$/m);
    assert.match(r.stderr, /- basic [A-Za-z0-9+/]{0,12}\*\*\*[A-Za-z0-9+/=]{0,4}$/m);
    const everything = r.stderr + r.stdout + filesUnder(home);
    for (const secret of ['pg/s3cret-pw', 'pg%2Fs3cret-pw', 'smtp p@ss-w0rd', encodeURIComponent('smtp p@ss-w0rd')]) {
      assert.ok(!everything.includes(secret), secret);
    }
  });

  it("a crash's message and failure (an uncaught exception naming a secret) are masked in output and store", async () => {
    const ws = workspace({
      'crash.flow.ts': flowSource(`
export default flow({ name: 'crash' }, async () => {
  setTimeout(() => { throw new Error('could not log in with ' + process.env.SMTP_PASS); }, 10);
  await new Promise((r) => setTimeout(r, 5000));
});`),
    });
    const home = tempDir();
    const r = await runCli(['run', 'crash.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, SMTP_PASS: 'smtp p@ss-w0rd' } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout).state.message, /after an uncaught exception: could not log in with \*\*\*$/);
    const stored = filesUnder(home);
    assert.match(stored, /"failure":\{"name":"Error","message":"could not log in with \*\*\*"/);
    const everything = r.stderr + r.stdout + stored;
    for (const secret of ['smtp p@ss-w0rd', encodeURIComponent('smtp p@ss-w0rd')]) assert.ok(!everything.includes(secret), secret);
  });

  it('text cut to a limit is masked before it is cut: a log line, a run name, a task run name, an artifact key and a cancel reason show no piece of a secret across the cut', async () => {
    const ws = workspace({
      'cut.flow.ts': flowSource(`
import { createMarkdownArtifact } from 'flowdeck';
const T = process.env.GITHUB_TOKEN!;
const named = task({ name: 'fetch', taskRunName: () => 'fetch-' + 'r'.repeat(180) + '-' + T }, async () => 1);
export default flow({ name: 'cut', flowRunName: () => 'run-' + 'r'.repeat(186) + '-' + T }, async () => {
  getRunLogger().info('response body: ' + 'a'.repeat(1000) + ' Authorization: token ' + T + ' …');
  await named();
  try { createMarkdownArtifact('k'.repeat(70) + T, 'm'); } catch (e) { getRunLogger().warning(String((e as Error).message)); }
  await new Promise((r) => setTimeout(r, 20_000));
});`),
    });
    const home = tempDir();
    const env = { FLOWDECK_HOME: home, GITHUB_TOKEN: SHORT_TOKEN, FLOWDECK_MAX_LOG_LINE_KB: '1' };
    let started = false;
    const running = runCli(['run', 'cut.flow.ts', '--json'], { cwd: ws, env, onStderr: (c) => (started ||= c.includes('the key')) });
    await waitFor(() => started, 'the run to get past its artifact', 60_000);
    const runs = JSON.parse((await runCli(['runs', '--json'], { cwd: ws, env })).stdout) as { name: string }[];
    const cancel = await runCli(['cancel', runs[0]!.name, '--reason', `long ${'y'.repeat(480)} ${SHORT_TOKEN}`], { cwd: ws, env });
    assert.equal(cancel.code, 0, cancel.stderr);
    const r = await running;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /more bytes cut: log lines are limited to 1024 bytes/);
    assertNoPieceOf(SHORT_TOKEN, r.stderr + r.stdout + cancel.stdout + cancel.stderr + filesUnder(home), 'output and store');
  });

  it('a secret printed in two writes (a known one, a registered one) is masked in the joined line: in the log record, `flowdeck logs` and `flowdeck run`', async () => {
    const REGISTERED = 'sk_live_REGISTEREDsecret0123456789abcdef';
    const ws = workspace({
      'halves.flow.ts': flowSource(`
export default flow({ name: 'halves' }, async () => {
  // Read from a plain setting (not masked on its own): the flow's source, which the store keeps compiled, must not hold it.
  const registered = process.env.SIGNING_VALUE!;
  getRunContext().registerSecret(registered);
  const known = process.env.GITHUB_TOKEN!;
  process.stdout.write('known: ' + known.slice(0, 10));
  process.stdout.write(known.slice(10) + '\\n');
  process.stdout.write('registered: ' + registered.slice(0, 12));
  console.log(registered.slice(12));
});`),
    });
    const home = tempDir();
    const env = { FLOWDECK_HOME: home, GITHUB_TOKEN: SHORT_TOKEN, SIGNING_VALUE: REGISTERED };
    const r = await runCli(['run', 'halves.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(r.code, 0, r.stderr);
    const { id } = JSON.parse(r.stdout) as { id: string };
    const logs = await runCli(['logs', id], { cwd: ws, env });
    assert.equal(logs.code, 0, logs.stderr);
    const journal = filesUnder(home);
    for (const [what, text] of [['flowdeck run', r.stderr], ['flowdeck logs', logs.stdout]] as const) {
      assert.match(text, /- known: \*\*\*$/m, what);
      assert.match(text, /- registered: \*\*\*$/m, what);
    }
    assert.match(journal, /"message":"known: \*\*\*"/);
    assert.match(journal, /"message":"registered: \*\*\*"/);
    for (const secret of [SHORT_TOKEN, REGISTERED]) assertNoPieceOf(secret, r.stderr + r.stdout + logs.stdout + journal, 'output and store');
  });

  it("a secret given as a variable's name is masked before getVariable's error cuts it: no piece shows across the cut", async () => {
    const ws = workspace({
      'named.flow.ts': flowSource(`
import { getVariable } from 'flowdeck';
export default flow({ name: 'named' }, async () => getVariable('n'.repeat(50) + process.env.GITHUB_TOKEN));`),
    });
    const home = tempDir();
    const named = await runCli(['run', 'named.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, GITHUB_TOKEN: SHORT_TOKEN } });
    assert.equal(named.code, 1, named.stderr);
    assert.match(JSON.parse(named.stdout).state.message, /Not a variable name: "n{50}\*\*\*…"/);
    assertNoPieceOf(SHORT_TOKEN, named.stdout + named.stderr + filesUnder(home), 'output and store');
  });

  it("a secret given as process.exit's code is refused quoted masked (Node's own error quoted its first characters)", async () => {
    const ws = workspace({
      'exits.flow.ts': flowSource(`
export default flow({ name: 'exits' }, async () => { process.exit(('c'.repeat(20) + process.env.GITHUB_TOKEN) as unknown as number); });`),
    });
    const home = tempDir();
    const exits = await runCli(['run', 'exits.flow.ts', '--json'], { cwd: ws, env: { FLOWDECK_HOME: home, GITHUB_TOKEN: SHORT_TOKEN } });
    assert.equal(exits.code, 1, exits.stderr);
    assert.match(JSON.parse(exits.stdout).state.message, /process\.exit\(\) takes a whole number \(or its text\) as the exit code; it was given the text "c{20}\*\*\*…"/);
    const shown = exits.stdout + exits.stderr + filesUnder(home);
    assertNoPieceOf(SHORT_TOKEN, shown, 'output and store');
    assert.ok(!shown.includes(`c${SHORT_TOKEN.slice(0, 4)}`), 'no first characters of the token after the padding');
  });

  it("tags holding a secret's value are refused, not kept unmasked: --tag (exit 2) and a flow's tags option (the run does not start)", async () => {
    const ws = workspace({ 'tagged.flow.ts': flowSource(`export default flow({ name: 'tagged', tags: [process.env.GITHUB_TOKEN!] }, async () => 1);`), 'plain.flow.ts': flowSource(`export default flow({ name: 'plain' }, async () => 1);`) });
    const home = tempDir();
    const env = { FLOWDECK_HOME: home, GITHUB_TOKEN: SHORT_TOKEN };
    const given = await runCli(['run', 'plain.flow.ts', '--tag', SHORT_TOKEN], { cwd: ws, env });
    assert.equal(given.code, 2, given.stderr);
    assert.match(given.stderr, /--tag was given a secret's value/);
    const scheduled = await runCli(['schedule', 'add', 'plain.flow.ts', '--every', '1h', '--tag', SHORT_TOKEN], { cwd: ws, env });
    assert.equal(scheduled.code, 2, scheduled.stderr);
    const own = await runCli(['run', 'tagged.flow.ts'], { cwd: ws, env });
    assert.notEqual(own.code, 0, own.stderr);
    assert.match(own.stderr, /its tags hold a secret's value/);
    assertNoPieceOf(SHORT_TOKEN, given.stderr + scheduled.stderr + own.stderr + own.stdout + filesUnder(home), 'output and store');
  });

  it("runs --search holding a secret says it back masked when no run matches ('No runs whose name, flow or tags hold …')", async () => {
    const ws = workspace({});
    for (const token of [LONG_TOKEN, SHORT_TOKEN]) {
      const env = { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token };
      for (const args of [['runs', '--search', token], ['runs', '--search', `x ${token}`, '--json'], ['runs', '--flow', token]]) {
        const r = await runCli(args, { cwd: ws, env });
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout + r.stderr, /No runs (whose name, flow or tags hold '(x )?\*\*\*'|of flow '\*\*\*')/, args.join(' '));
        assertNoPieceOf(token, r.stdout + r.stderr, `${args.join(' ')}, ${token.length}-character token`);
      }
    }
  });

  it('a secret typed where it does not belong is never quoted: a token too long for a tag (cut short, it was not masked), a bad option value', async () => {
    const ws = workspace({ 'tagged.flow.ts': flowSource(`export default flow({ name: 'tagged', tags: [process.env.GITHUB_TOKEN!] }, async () => 1);`), 'plain.flow.ts': flowSource(`export default flow({ name: 'plain' }, async () => 1);`) });
    const home = tempDir();
    let shown = '';
    for (const token of [LONG_TOKEN, SHORT_TOKEN]) {
      const env = { FLOWDECK_HOME: home, GITHUB_TOKEN: token };
      for (const args of [['run', 'plain.flow.ts', '--tag', token], ['runs', '--tag', token], ['prune', '--keep', '1', '--tag', token], ['run', 'tagged.flow.ts'], ['runs', '--limit', token], ['prune', '--older-than', token], ['serve', '--notify', token]]) {
        const r = await runCli(args, { cwd: ws, env });
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        shown += r.stderr + r.stdout;
      }
      assertNoPieceOf(token, shown + filesUnder(home), `${token.length}-character token`);
    }
    assert.match(shown, /--tag was given a tag of 89 characters: a tag is 1 to 64 letters/);
    assert.match(shown, /--limit must be a whole number ≥ 1, got '\*\*\*'/);
  });
});
