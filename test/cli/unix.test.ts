/**
 * The CLI as a Unix citizen (issue 9): a reader that stops early closes the pipe and the command ends
 * quietly; mistakes get Flowdeck's own messages; `help <command>` works for every command; the built
 * CLI stays executable for the `flowdeck` link.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { state } from '../../src/engine/states';
import { CLI, flowSource, runCli, tempDir, workspace, type CliResult } from '../support/engine';

const T = { timeout: 120_000 };

/** A store holding `n` finished runs with a few log lines each, made directly (no worker needed). */
async function storeWithRuns(n: number): Promise<{ home: string; ids: string[] }> {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const h = await store.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {} });
    await h.append(Array.from({ length: 50 }, (_, j) => ({ k: 'log' as const, runId: h.id, ts: 1_700_000_000_000 + j, level: 'INFO' as const, source: `Flow run '${h.name}'`, message: `line ${j}` })));
    await h.setState(state('Completed'), { endTime: Date.now() });
    await h.close();
    ids.push(h.id);
  }
  await store.close();
  return { home, ids };
}

/** Runs the CLI with its stdout closed at once, as `flowdeck … | head -0` would: every write gets EPIPE. */
function withClosedStdout(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr })));
}

describe('a closed pipe ends the command quietly', T, () => {
  it('runs, logs and flows exit 0 with nothing on stderr when their reader is gone', async () => {
    const { home, ids } = await storeWithRuns(30);
    const ws = workspace({ 'a.flow.ts': flowSource(`export default flow({ name: 'a' }, async () => 1);`) });
    for (const args of [['runs', '--limit', '30'], ['runs', '--json'], ['logs', ids[0]!], ['flows']]) {
      const r = await withClosedStdout(args, { FLOWDECK_HOME: home }, ws);
      assert.deepEqual([r.code, r.signal, r.stderr], [0, null, ''], args.join(' '));
    }
  });
});

describe("Flowdeck's own messages", T, () => {
  it('runs --limit -1, an unknown option (quotes balanced), a missing value; runs --flow for a flow never run is no mistake', async () => {
    const { home, ids } = await storeWithRuns(1);
    const env = { FLOWDECK_HOME: home };
    const cases: [string[], RegExp][] = [
      [['runs', '--limit', '-1'], /^flowdeck runs: --limit must be a whole number ≥ 1, got '-1'\n$/],
      [['runs', '--limit', 'ten'], /^flowdeck runs: --limit must be a whole number ≥ 1, got 'ten'\n$/],
      [['runs', '--bogus'], /^flowdeck runs: unknown option '--bogus'; `flowdeck runs --help` lists its options\n$/],
      [['run', 'x.flow.ts', '-z'], /^flowdeck run: unknown option '-z'; `flowdeck run --help` lists its options\n$/],
      [['runs', '--flow'], /^flowdeck runs: --flow needs a value\n$/],
      [['run', 'x.flow.ts', '--flow', '--json'], /^flowdeck run: --flow needs a value \(to pass '--json' as its value, write --flow=--json\)\n$/],
      [['runs', '--json=yes'], /^flowdeck runs: --json takes no value, got 'yes'\n$/],
      [['runs', 'hello'], /^flowdeck runs takes no arguments, got 'hello'; use --flow NAME/],
      [['run', ''], /^flowdeck run needs a flow file or a built-in id, got an empty argument/],
      [['auth', 'github'], /^flowdeck auth: unknown service 'github'; the services are: youtube \(GitHub needs no command: set GITHUB_TOKEN, or sign in to GitHub from Flowdeck in VS Code\)/],
      [['auth', 'dropbox'], /^flowdeck auth: unknown service 'dropbox'; the services are: youtube\n/],
      [['auth'], /^flowdeck auth: a service is needed; the services are: youtube\n/],
      [['worker'], /^flowdeck worker needs a Postgres store: set FLOWDECK_STORE \(or --store\) to a postgres:\/\/ URL\n$/],
      [['help', 'frobnicate'], /^flowdeck help: unknown command 'frobnicate'/],
      // Every command's own options, those of the schedule, serve and limit commands included.
      ...['resume', 'logs', 'artifacts', 'flows', 'check', 'serve', 'schedule', 'schedules', 'limit', 'worker'].map(
        (c): [string[], RegExp] => [[c, '--bogus'], new RegExp(`^flowdeck ${c}: unknown option '--bogus'; \`flowdeck ${c} --help\` lists its options\n$`)],
      ),
      [['limit', 'set', 'github-api', '-1'], /^flowdeck limit: the limit must be a whole number from 0 to 1000 \(0 stops the task runs of the tag\), got '-1'\n$/],
      [['limit', 'set', 'github-api', '-1.5'], /^flowdeck limit: the limit must be a whole number from 0 to 1000 \(0 stops the task runs of the tag\), got '-1.5'\n$/],
      [['schedule', 'add', 'x.flow.ts', '--every'], /^flowdeck schedule: --every needs a value\n$/],
      [['serve', '--notify-url'], /^flowdeck serve: --notify-url needs a value\n$/],
      [['schedules', '--json=yes'], /^flowdeck schedules: --json takes no value, got 'yes'\n$/],
    ];
    // A run's id prefix under 4 characters is too short, as a schedule's is (it said "no run" though one matched).
    const short = await runCli(['logs', ids[0]!.slice(0, 3)], { env });
    assert.deepEqual([short.code, short.stderr], [2, `flowdeck logs: '${ids[0]!.slice(0, 3)}' is too short to name a run: give at least 4 characters of its id (\`flowdeck runs\` lists them)\n`]);
    const resumeShort = await runCli(['resume', ids[0]!.slice(0, 2)], { env });
    assert.equal(resumeShort.code, 2, resumeShort.stderr);
    assert.match(resumeShort.stderr, new RegExp(`'${ids[0]!.slice(0, 2)}' is too short to name a run: give at least 4 characters of its id`));
    // A flow with no runs is a question answered, not bad input: none, the flows that have runs named (for a
    // slip), and with --json an empty array on stdout, as --state, --tag and --search that match nothing.
    const noRuns = await runCli(['runs', '--flow', 'nosuch'], { env });
    assert.deepEqual([noRuns.code, noRuns.stdout, noRuns.stderr], [0, "No runs of flow 'nosuch' (flows with runs: hello).\n", '']);
    const noRunsJson = await runCli(['runs', '--flow', 'nosuch', '--json'], { env });
    assert.deepEqual([noRunsJson.code, noRunsJson.stdout, noRunsJson.stderr], [0, '[]\n', "No runs of flow 'nosuch' (flows with runs: hello).\n"]);
    const noneYet = await runCli(['runs', '--flow', 'hello', '--json'], { env: { FLOWDECK_HOME: tempDir() } });
    assert.deepEqual([noneYet.code, noneYet.stdout, noneYet.stderr], [0, '[]\n', "No runs of flow 'hello' (no flow has runs yet).\n"]);
    for (const [args, message] of cases) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /ambiguous|ERR_PARSE_ARGS|\n\s+at /, args.join(' '));
      const firstLine = r.stderr.split('\n')[0]!;
      assert.equal((firstLine.match(/'/g) ?? []).length % 2, 0, `balanced quotes: ${firstLine}`);
    }
    const limited = await runCli(['runs', '--flow', 'hello', '--limit', '1'], { env });
    assert.equal(limited.code, 0, limited.stderr);
  });

  it('a number option takes decimal digits only: 0x10, 1e3, Infinity or a padded number is exit 2 naming the option and what was given', async () => {
    const { home, ids } = await storeWithRuns(1);
    const env = { FLOWDECK_HOME: home };
    const id = ids[0]!;
    // Number() reads each of these as a number (16, 1000, 10…), so they were taken; --param refuses them already.
    const cases: [string[], RegExp][] = [
      [['runs', '--limit', '0x10'], /^flowdeck runs: --limit must be a whole number ≥ 1, got '0x10'\n$/],
      [['runs', '--limit', '1e3'], /^flowdeck runs: --limit must be a whole number ≥ 1, got '1e3'\n$/],
      [['runs', '--limit', ' 5'], /^flowdeck runs: --limit must be a whole number ≥ 1, got ' 5'\n$/],
      [['inspect', id, '--tasks', '1e1'], /^flowdeck inspect: --tasks takes a whole number from 0 to 10,000, got '1e1'\n$/],
      [['logs', id, '--tail', '1e1'], /^flowdeck logs: --tail must be a whole number from 1 to 1,000,000, got '1e1'\n$/],
      [['prune', '--keep', '0x1'], /^flowdeck prune: --keep must be a whole number ≥ 0, got '0x1'\n$/],
      [['serve', '--limit', '0x10'], /^flowdeck serve: --limit must be a whole number from 1 to 256 \(runs at once\), got "0x10"\n$/],
      [['serve', '--keep-runs', '1e2'], /^flowdeck serve: --keep-runs must be a whole number ≥ 1, got '1e2'\n$/],
      [['cancel', id, '--wait', 'Infinity'], /^flowdeck cancel: --wait must be a number of seconds from 0 to [\d,]+, not 'Infinity'\n$/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    const pg = { FLOWDECK_HOME: home, FLOWDECK_STORE: 'postgres://nobody@127.0.0.1:1/x' };
    for (const [args, message] of [
      [['worker', '--concurrency', '0x2'], /^flowdeck worker: --concurrency must be a whole number ≥ 1, got '0x2'\n$/],
      [['worker', '--concurrency', '1.5'], /^flowdeck worker: --concurrency must be a whole number ≥ 1, got '1.5'\n$/],
      [['worker', '--standby', '1e1'], /^flowdeck worker: --standby must be a whole number from 0 to 256, got "1e1"\n$/],
      [['worker', '--lease', '1e2'], /^flowdeck worker: --lease must be a positive number, got "1e2"\n$/],
    ] as [string[], RegExp][]) {
      const r = await runCli(args, { env: pg });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    // Decimal digits are read as they were: a fraction where seconds take one.
    assert.equal((await runCli(['runs', '--limit', '016'], { env })).code, 0);
    assert.equal((await runCli(['inspect', id, '--tasks', '10'], { env })).code, 0);
  });

  it('a whole number past 2^53 - 1 is refused as too large, naming the bound, not as "not a whole number ≥ 1"', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const huge = '9007199254740992';
    const bound = 'at most 9,007,199,254,740,991';
    for (const [args, name] of [
      [['runs', '--limit', huge], 'runs: --limit'],
      [['prune', '--keep', huge], 'prune: --keep'],
      [['serve', '--keep-runs', huge], 'serve: --keep-runs'],
    ] as [string[], string][]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, `flowdeck ${name} is too large: ${bound}, got '${huge}'\n`, args.join(' '));
    }
    const pg = { FLOWDECK_HOME: env.FLOWDECK_HOME, FLOWDECK_STORE: 'postgres://nobody@127.0.0.1:1/x' };
    for (const [args, name] of [
      [['worker', '--concurrency', huge], 'worker: --concurrency'],
      [['worker', '--keep-runs', '99999999999999999999'], 'worker: --keep-runs'],
    ] as [string[], string][]) {
      const r = await runCli(args, { env: pg });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, `flowdeck ${name} is too large: ${bound}, got '${args[2]}'\n`, args.join(' '));
    }
    // The largest whole number that is exact is taken.
    assert.equal((await runCli(['runs', '--limit', '9007199254740991'], { env })).code, 0);
  });

  it('a lease timing that cannot work, from the environment or the flags, or a --flows folder that is not there, is exit 2 and one line naming it', async () => {
    const env = { FLOWDECK_HOME: tempDir(), FLOWDECK_STORE: 'postgres://nobody@127.0.0.1:1/x', FLOWDECK_LEASE_SECONDS: '3', FLOWDECK_HEARTBEAT_SECONDS: '1' };
    const why = 'A lease of 3 s with a heartbeat every 1 s cannot work: the lease must be at least four heartbeats (and a heartbeat at least 0.05 s)';
    for (const [args, prefix] of [
      [['runs'], 'flowdeck: FLOWDECK_LEASE_SECONDS and FLOWDECK_HEARTBEAT_SECONDS: '],
      [['worker'], 'flowdeck worker: FLOWDECK_LEASE_SECONDS and FLOWDECK_HEARTBEAT_SECONDS: '],
    ] as const) {
      const r = await runCli([...args], { env });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `${prefix}${why}\n`);
    }
    const flags = await runCli(['worker', '--lease', '3', '--heartbeat', '1'], { env: { FLOWDECK_HOME: env.FLOWDECK_HOME, FLOWDECK_STORE: env.FLOWDECK_STORE } });
    assert.equal(flags.code, 2, flags.stderr);
    assert.equal(flags.stderr, `flowdeck worker: ${why}\n`);
    // A workspace copy that is not there: said before the worker takes (and fails) a single run.
    const missing = join(tempDir(), 'no-such-workspace');
    const noFlows = await runCli(['worker', '--flows', missing], { env: { FLOWDECK_HOME: env.FLOWDECK_HOME, FLOWDECK_STORE: env.FLOWDECK_STORE } });
    assert.equal(noFlows.code, 2, noFlows.stderr);
    assert.equal(noFlows.stderr, `flowdeck worker: --flows ${missing} is not a folder here: give this machine's copy of the workspace (queued flow files are looked up below it)\n`);
  });

  it('a FLOWDECK_HEARTBEAT_SECONDS or FLOWDECK_LEASE_SECONDS that is not a number of seconds is exit 2 naming it, not the default taken silently', async () => {
    const base = { FLOWDECK_HOME: tempDir(), FLOWDECK_STORE: 'postgres://nobody@127.0.0.1:1/x' };
    for (const [variable, value, fallback] of [
      ['FLOWDECK_HEARTBEAT_SECONDS', 'abc', 5],
      ['FLOWDECK_LEASE_SECONDS', '-1', 30],
      ['FLOWDECK_LEASE_SECONDS', '0', 30],
    ] as const) {
      const message = `${variable} must be a number of seconds above 0, got "${value}"; unset it for the default (${fallback})\n`;
      for (const [args, prefix] of [
        [['runs'], 'flowdeck: '],
        [['worker'], 'flowdeck worker: '],
      ] as const) {
        const r = await runCli([...args], { env: { ...base, [variable]: value } });
        assert.equal(r.code, 2, `${variable}=${value} ${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, `${prefix}${message}`);
      }
    }
  });

  it('a FLOWDECK_STORE_SCHEMA that is not a schema name is exit 2 and one line naming it, before any connection', async () => {
    const env = { FLOWDECK_HOME: tempDir(), FLOWDECK_STORE: 'postgres://nobody@127.0.0.1:1/x', FLOWDECK_STORE_SCHEMA: 'Bad' };
    const message = `flowdeck: FLOWDECK_STORE_SCHEMA must be a schema name for the Flowdeck store: lowercase letters, digits and _, not starting with a digit, at most 41 characters (got "Bad"); leave it unset for 'flowdeck'\n`;
    for (const args of [['runs'], ['run', 'hello'], ['worker']]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, message, args.join(' '));
    }
  });

  it('help <command> shows that command\'s help, for every command', async () => {
    for (const command of ['run', 'resume', 'runs', 'logs', 'artifacts', 'flows', 'check', 'auth', 'serve', 'schedule', 'schedules', 'limit', 'worker']) {
      const viaHelp = await runCli(['help', command]);
      const viaFlag = await runCli([command, '--help']);
      assert.equal(viaHelp.code, 0, `${command}: ${viaHelp.stderr}`);
      // All of how it ended, should it not: once in CI, `worker --help` printed nothing.
      assert.equal(viaFlag.code, 0, `${command} --help ended ${viaFlag.code ?? viaFlag.signal}: ${viaFlag.stderr}`);
      assert.match(viaHelp.stdout, new RegExp(`^Usage: flowdeck ${command}\\b`));
      assert.equal(viaHelp.stdout, viaFlag.stdout, `${command} (--help ended ${viaFlag.code ?? viaFlag.signal}, stderr: ${viaFlag.stderr})`);
    }
  });

  it('help answers --help, -h and help itself with the top-level help, exit 0', async () => {
    // `--help on every command` (issue 2): `help` is one of them; it took '--help' for a command's name.
    const top = await runCli(['--help']);
    assert.equal(top.code, 0, top.stderr);
    for (const args of [['help', '--help'], ['help', '-h'], ['help', 'help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '', args.join(' '));
      assert.equal(r.stdout, top.stdout, args.join(' '));
    }
  });

  it('every command\'s help lists -h, --help; the top-level help lists the environment README lists', async () => {
    // `auth` is a list of services: `auth youtube --help` is the command's help.
    for (const command of ['run', 'resume', 'cancel', 'runs', 'inspect', 'delete', 'prune', 'logs', 'artifacts', 'flows', 'check', 'serve', 'schedule', 'schedules', 'limit', 'variable', 'cache', 'worker', 'auth youtube']) {
      const r = await runCli([...command.split(' '), '--help']);
      assert.equal(r.code, 0, `${command}: ${r.stderr}`);
      assert.match(r.stdout, /^ {2}-h, --help +this (help|text)$/m, command);
    }
    const top = await runCli(['--help']);
    for (const variable of ['FLOWDECK_HOME', 'FLOWDECK_STORE', 'FLOWDECK_STORE_SCHEMA', 'FLOWDECK_HEARTBEAT_SECONDS', 'FLOWDECK_LEASE_SECONDS', 'FLOWDECK_WORKER_START_SECONDS', 'GITHUB_TOKEN', 'FLOWDECK_NOTIFY_URL']) {
      assert.match(top.stdout, new RegExp(`\\b${variable}\\b`), variable);
    }
  });

  it('logs takes a unique id prefix, and says so (exit 1) when the run\'s file is gone', async () => {
    const { home, ids } = await storeWithRuns(1);
    const env = { FLOWDECK_HOME: home };
    const byPrefix = await runCli(['logs', ids[0]!.slice(0, 8)], { env });
    assert.equal(byPrefix.code, 0, byPrefix.stderr);
    assert.match(byPrefix.stdout, /Flow run '[a-z]+-[a-z]+' - line 49\n$/);
    const store = await EmbeddedStore.open(home, { readOnly: true });
    rmSync(store.runFile(ids[0]!));
    await store.close();
    const gone = await runCli(['logs', ids[0]!.slice(0, 8)], { env });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^flowdeck: the logs of run '[a-z]+-[a-z]+' are gone: its file .*\.jsonl is missing from /);
  });
});

describe('the build', T, () => {
  it('keeps the CLI executable, so the flowdeck link runs it directly', () => {
    assert.equal(statSync(CLI).mode & 0o755, 0o755);
    assert.match(execFileSync(CLI, ['--version'], { encoding: 'utf8' }), /^\d+\.\d+\.\d+/);
  });
});
