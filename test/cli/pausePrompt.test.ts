/**
 * A `flowdeck run` at a terminal answers its own run's pause (pausePrompt.ts): run under a real
 * pseudo-terminal (util-linux `script`), the questions come after the run's lines, an answer that does not
 * fit is asked again, Enter keeps a default, and the run goes on with the input. Resumed from another
 * terminal meanwhile, the questions stop and say so. Without a terminal nothing is asked.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { CLI, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { NO_PSEUDO_TERMINAL } from '../support/pseudoTerminal';
import { explainedBy, startWorker } from '../support/workers';

const SKIP = NO_PSEUDO_TERMINAL === undefined ? {} : { skip: NO_PSEUDO_TERMINAL };

const FLOW = `import { flow, pauseFlowRun, getRunLogger } from 'flowdeck';
export default flow({ name: 'deploy' }, async () => {
  const { approve, replicas } = await pauseFlowRun({
    description: 'Deploy v7?',
    input: { approve: { type: 'boolean', required: true }, replicas: { type: 'integer', default: 2, minimum: 1 } },
  });
  getRunLogger().info('approve=' + approve + ' replicas=' + replicas);
  return approve ? 'deployed x' + replicas : 'skipped';
});
`;

/** `flowdeck run` under a pseudo-terminal: what it printed so far (escape codes removed), a way to type, and its end. */
function atTerminal(cwd: string, env: NodeJS.ProcessEnv, command = 'run p.flow.ts') {
  const child = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} ${command}`, '/dev/null'], { cwd, env: { ...process.env, ...env, COLUMNS: '200' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const plain = (): string => out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  return {
    plain,
    type: (text: string) => child.stdin!.write(text),
    /** Waits for `pattern` in what was printed after `from` characters; returns where it ended. */
    seen: async (pattern: RegExp, from = 0): Promise<number> => {
      let end = -1;
      await waitFor(() => {
        const m = pattern.exec(plain().slice(from));
        if (m) end = from + m.index + m[0].length;
        return m !== null;
      }, `${pattern} at the terminal; it shows:\n${plain().slice(from)}`, 60_000);
      return end;
    },
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

describe('flowdeck run at a terminal: a pause is answered there', { timeout: 180_000 }, () => {
  it('asks each input after the run\'s lines, asks again when an answer does not fit, keeps a default on Enter, and the run goes on', SKIP, async () => {
    const cwd = workspace({ 'p.flow.ts': FLOW });
    const t = atTerminal(cwd, { FLOWDECK_HOME: tempDir() });
    try {
      let at = await t.seen(/Pausing flow run '([a-z-]+)' until resumed[^\n]*\n⏸ Flow run '[a-z-]+' is paused: Deploy v7\?\n  Answer here within .+, or resume it elsewhere; Ctrl-C cancels the run\.\n  approve \(boolean, required\): /);
      t.type('yes\r');
      at = await t.seen(/'approve' must be true or false, got "yes" \(neither true nor false\)\n  approve \(boolean, required\): /, at);
      t.type('true\r');
      at = await t.seen(/replicas \(integer, Enter for 2\): /, at);
      t.type('0\r');
      at = await t.seen(/'replicas' must be ≥ 1, got 0\n  replicas \(integer, Enter for 2\): /, at);
      t.type('\r');
      await t.seen(/Resuming flow run '[a-z-]+' with input approve, replicas[\s\S]*approve=true replicas=2[\s\S]*Finished in state Completed\(\)/, at);
      assert.equal(await t.exited, 0, t.plain());
    } finally {
      t.kill();
    }
  });

  it('stops asking when the run is resumed from another terminal, saying so', SKIP, async () => {
    const cwd = workspace({ 'p.flow.ts': FLOW });
    const env = { FLOWDECK_HOME: tempDir() };
    const t = atTerminal(cwd, env);
    try {
      await t.seen(/approve \(boolean, required\): /);
      const name = /Flow run '([a-z]+-[a-z]+)' is paused/.exec(t.plain())![1]!;
      const other = await runCli(['resume', name, '--input', 'approve=false'], { cwd, env });
      assert.equal(other.code, 0, other.stderr + other.stdout);
      await t.seen(new RegExp(`Flow run '${name}' was resumed elsewhere: nothing is asked here any more\\.[\\s\\S]*approve=false replicas=2`));
      assert.equal(await t.exited, 0, t.plain());
    } finally {
      t.kill();
    }
  });

  it('asks nothing without a terminal: the run waits for a resume from elsewhere', async () => {
    const cwd = workspace({ 'p.flow.ts': FLOW });
    const env = { FLOWDECK_HOME: tempDir() };
    let seen = '';
    const run = runCli(['run', 'p.flow.ts'], { cwd, env, onStderr: (c) => (seen += c) });
    await waitFor(() => /Pausing flow run '([a-z]+-[a-z]+)'/.test(seen), 'the pause', 60_000);
    const name = /Pausing flow run '([a-z]+-[a-z]+)'/.exec(seen)![1]!;
    assert.equal((await runCli(['resume', name, '--input', 'approve=true', '--input', 'replicas=4'], { cwd, env })).code, 0);
    const done = await run;
    assert.equal(done.code, 0, done.stderr);
    assert.doesNotMatch(done.stderr, /⏸|Answer here/);
    assert.match(done.stderr, /approve=true replicas=4/);
  });

  it('flowdeck resume of a suspended run at a terminal asks for its input there, then runs it; Ctrl-C leaves it suspended', SKIP, async () => {
    const cwd = workspace({
      's.flow.ts': `import { flow, suspendFlowRun, getRunLogger } from 'flowdeck';
export default flow({ name: 'publish' }, async () => {
  const { approve } = await suspendFlowRun({ description: 'Publish?', input: { approve: { type: 'boolean', required: true } } });
  getRunLogger().info('publish=' + approve);
});
`,
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const first = await runCli(['run', 's.flow.ts'], { cwd, env });
    assert.equal(first.code, 1, first.stderr);
    const name = /⏸ Flow run '([a-z]+-[a-z]+)' is suspended/.exec(first.stderr)![1]!;
    const quit = atTerminal(cwd, env, `resume ${name}`);
    try {
      await quit.seen(new RegExp(`⏸ Flow run '${name}' is suspended: Publish\\?\\n  Answer here within .+; Ctrl-C leaves it suspended\\.\\n  approve \\(boolean, required\\): `));
      quit.type('\x03');
      assert.equal(await quit.exited, 130, quit.plain());
    } finally {
      quit.kill();
    }
    const listed = JSON.parse((await runCli(['runs', '--json'], { cwd, env })).stdout) as { state: { name: string } }[];
    assert.equal(listed[0]?.state.name, 'Suspended');
    const t = atTerminal(cwd, env, `resume ${name}`);
    try {
      const at = await t.seen(/approve \(boolean, required\): /);
      t.type('true\r');
      await t.seen(/Going on after suspension 'pause-1' with input approve[\s\S]*publish=true[\s\S]*Finished in state Completed\(\)/, at);
      assert.equal(await t.exited, 0, t.plain());
    } finally {
      t.kill();
    }
  });

  it('run --queue --wait at a terminal answers a pause of the run a worker runs, the input going through the store', { ...SKIP, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    const cwd = workspace({ 'p.flow.ts': FLOW });
    const schema = freshSchema();
    const env = { FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() };
    const worker = await startWorker({ url: pgUrl(), schema, name: 'asks', flowsDir: cwd, concurrency: 1 });
    const t = atTerminal(cwd, env, 'run p.flow.ts --queue default --wait');
    try {
      await explainedBy(worker, async () => {
        let at = await t.seen(/Pausing flow run '[a-z-]+' until resumed[^\n]*\n⏸ Flow run '[a-z-]+' is paused: Deploy v7\?\n  Answer here within .+, or resume it elsewhere; Ctrl-C cancels the run\.\n  approve \(boolean, required\): /);
        t.type('maybe\r');
        at = await t.seen(/'approve' must be true or false, got "maybe"[^\n]*\n  approve \(boolean, required\): /, at);
        t.type('true\r');
        at = await t.seen(/replicas \(integer, Enter for 2\): /, at);
        t.type('3\r');
        await t.seen(/Resuming flow run '[a-z-]+' with input approve, replicas[\s\S]*approve=true replicas=3[\s\S]*Finished in state Completed\(\)/, at);
        assert.equal(await t.exited, 0, t.plain());
      });
    } finally {
      t.kill();
      await worker.stop();
    }
  });
});
