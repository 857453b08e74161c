/** Flow-controlled text reaches the terminal as visible escapes, never as control sequences the terminal obeys. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

/** ESC, BEL, CR, backspace and the 8-bit CSI: any of them lets printed text steer the terminal. */
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
/** Bidirectional controls (U+202E reverses what follows) and the line and paragraph separators. */
const RAW_BIDI = /[\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const evil = flowSource(`
// A name with a control character is refused by task() and flow() (options.test.ts): the escapes are in what they log.
const tick = task({ name: 'tick' }, async () => { getRunLogger().info('task \\x1b[31mred'); });
export default flow({ name: 'evil', description: 'retitles \\x1b]0;pwned\\x07' }, async () => {
  getRunLogger().info('title \\x1b]0;pwned\\x07 here');
  getRunLogger().warning('clear \\x1b[2J\\x1b[H screen');
  console.log('over\\rwritten \\u009b2J \\b');
  await tick();
  throw new Error('bad \\x1b[8mhidden\\x1b[0m');
});`);

describe('terminal output of flow text', { timeout: 60_000 }, () => {
  it('run, logs, runs and flows print escape sequences from a flow as text, keeping the log format', async () => {
    const ws = workspace({ 'evil.flow.ts': evil });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'evil.flow.ts', '--json'], { cwd: ws, env });
    assert.equal(run.code, 1, run.stderr);
    const doc = JSON.parse(run.stdout) as { id: string; name: string };
    const logs = await runCli(['logs', doc.id], { cwd: ws, env });
    assert.equal(logs.code, 0, logs.stderr);
    const runs = await runCli(['runs'], { cwd: ws, env });
    const flows = await runCli(['flows', 'evil.flow.ts'], { cwd: ws, env });

    for (const [what, text] of [['run stderr', run.stderr], ['run stdout', run.stdout], ['logs', logs.stdout], ['runs', runs.stdout], ['flows', flows.stdout], ['logs stderr', logs.stderr]] as const) {
      assert.ok(!RAW_CONTROL.test(text), `${what} holds a raw control character: ${JSON.stringify(text)}`);
    }
    for (const text of [run.stderr, logs.stdout]) {
      assert.match(text, /^\d\d:\d\d:\d\d\.\d{3} \| INFO    \| Flow run '[a-z]+-[a-z]+' - title \\x1b\]0;pwned\\x07 here$/m);
      assert.match(text, /\| WARNING \| Flow run '[a-z]+-[a-z]+' - clear \\x1b\[2J\\x1b\[H screen$/m);
      assert.match(text, /- over\\x0dwritten \\x9b2J \\x08$/m);
      assert.match(text, /\| INFO    \| Task run 'tick-0' - task \\x1b\[31mred$/m);
      assert.match(text, /Finished in state Failed\('bad \\x1b\[8mhidden\\x1b\[0m'\)$/m);
    }
    assert.match(flows.stdout, /retitles \\x1b\]0;pwned\\x07/);
    assert.match(runs.stdout, new RegExp(`${doc.name} +evil +Failed`));
  });

  it('run, logs, runs and inspect show bidirectional overrides and line separators of a flow as \\uHHHH, as its state message', async () => {
    const ws = workspace({
      'bidi.flow.ts': flowSource(`
const step = task({ name: 'st\\u2067ep' }, async () => { getRunLogger().info('in\\u200ftask'); });
export default flow({ name: 'bidi', flowRunName: () => 'rn\\u202eOVR' }, async () => {
  getRunLogger().info('log\\u202eOVR line\\u2028sep para\\u2029sep');
  console.log('out\\u2066isolate\\u061c');
  await step();
  throw new Error('boom\\u202eOVR');
});`),
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'bidi.flow.ts'], { cwd: ws, env });
    assert.equal(run.code, 1, run.stderr);
    const logs = await runCli(['logs', 'rn\u202eOVR'], { cwd: ws, env });
    assert.equal(logs.code, 0, logs.stderr);
    const runs = await runCli(['runs'], { cwd: ws, env });
    const inspect = await runCli(['inspect', 'rn\u202eOVR'], { cwd: ws, env });
    assert.equal(inspect.code, 0, inspect.stderr);

    for (const [what, text] of [['run', run.stderr + run.stdout], ['logs', logs.stdout + logs.stderr], ['runs', runs.stdout + runs.stderr], ['inspect', inspect.stdout + inspect.stderr]] as const) {
      assert.ok(!RAW_BIDI.test(text), `${what} holds a raw bidirectional control or separator: ${JSON.stringify(text)}`);
    }
    for (const text of [run.stderr, logs.stdout]) {
      assert.match(text, /\| INFO    \| Flow run 'rn\\u202eOVR' - log\\u202eOVR line\\u2028sep para\\u2029sep$/m);
      assert.match(text, /\| INFO    \| Flow run 'rn\\u202eOVR' - out\\u2066isolate\\u061c$/m);
      assert.match(text, /\| INFO    \| Task run 'st\\u2067ep-0' - in\\u200ftask$/m);
      assert.match(text, /Finished in state Failed\('boom\\u202eOVR'\)$/m);
    }
    assert.match(runs.stdout, /^rn\\u202eOVR +bidi +Failed/m);
    assert.match(inspect.stdout, /^Run +rn\\u202eOVR \(/m);
    assert.match(inspect.stdout, /^State +Failed — boom\\u202eOVR$/m);
  });

  it('--json output of every command has DEL, C1 and bidirectional controls and line separators as \\uHHHH, parsing to the same value', async () => {
    // DEL, NEL, the 8-bit CSI, the separators, an embedding and an override, an isolate and its end.
    const odd = 'a\x7fb\u0085c\u009b2Jd\u2028e\u2029f\u202ag\u202eh\u2066i\u2069j';
    const ws = workspace({
      'odd.flow.ts': flowSource(`
export default flow({ name: 'odd', flowRunName: () => 'rn\\u202eOVR', parameters: { note: { type: 'string' } } }, async ({ note }: { note: string }) => {
  getRunLogger().info('note ' + note);
  return { note };
});`),
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'odd.flow.ts', '--param', `note=${odd}`, '--json'], { cwd: ws, env });
    assert.equal(run.code, 0, run.stderr);
    const outputs = [['run', run]] as [string, { code: number | null; stdout: string; stderr: string }][];
    const { id } = JSON.parse(run.stdout) as { id: string };
    for (const args of [['runs', '--json'], ['inspect', id, '--json'], ['logs', id, '--json'], ['delete', id, '--json']]) {
      const r = await runCli(args, { cwd: ws, env });
      assert.equal(r.code, 0, r.stderr);
      outputs.push([args[0]!, r]);
    }
    for (const [what, r] of outputs) {
      assert.ok(!/[\x7f-\x9f\u2028-\u202e\u2066-\u2069]/.test(r.stdout), `${what} --json holds a raw control character: ${JSON.stringify(r.stdout)}`);
      assert.match(r.stdout, /\\u202e/, `${what} --json escapes them as \\uHHHH`);
    }
    const [doc, listed, inspected] = outputs.slice(0, 3).map(([, r]) => JSON.parse(r.stdout));
    for (const d of [doc, listed[0], inspected]) {
      assert.equal(d.name, 'rn\u202eOVR');
      assert.deepEqual(d.parameters, { note: odd });
    }
    assert.deepEqual(doc.result, { note: odd });
    const logged = outputs[3]![1].stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string; source: string });
    assert.ok(logged.some((l) => l.message === `note ${odd}` && l.source === "Flow run 'rn\u202eOVR'"), JSON.stringify(logged));
    assert.equal(JSON.parse(outputs[4]![1].stdout).deleted[0].name, 'rn\u202eOVR');
  });
});
