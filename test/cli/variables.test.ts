/**
 * Variables (Prefect's Variables) across processes: set from the CLI, read by a flow (`getVariable`, with a
 * fallback when unset), written by a flow (`setVariable`) and read back from the CLI; what a name and a value
 * may be is said where they are given; a secret the run registered is stored masked. On the embedded store
 * and on Postgres.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { NO_PSEUDO_TERMINAL, runCliAtTerminal } from '../support/pseudoTerminal';

const FLOWS = {
  'report.flow.ts': `import { flow, getVariable, setVariable, getRunContext } from 'flowdeck';
export default flow({ name: 'report' }, async () => {
  const repos = await getVariable<string[]>('repos');
  const minStars = await getVariable('min_stars', 10);
  const missing = await getVariable('not_set', 'fallback');
  const token = 'tok-' + 'secret-9';
  getRunContext().registerSecret(token);
  await setVariable('last_report', { repos: repos?.length ?? 0, minStars, with: 'auth ' + token });
  return { repos, minStars, missing };
});
`,
  'early.flow.ts': `import { flow, getVariable } from 'flowdeck';
const early = await getVariable('repos');
export default flow({ name: 'early' }, async () => early);
`,
  'bad.flow.ts': `import { flow, setVariable } from 'flowdeck';
export default flow({ name: 'bad' }, async ({ what }: { what: string }) => {
  if (what === 'name') await setVariable('Not Allowed', 1);
  else await setVariable('when', new Date(0));
});
`,
};

async function variablesAcrossProcesses(env: NodeJS.ProcessEnv): Promise<void> {
  const ws = workspace(FLOWS);
  const cli = (...args: string[]) => runCli(args, { cwd: ws, env });
  const empty = await cli('variables');
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /^No variables\. Set one with `flowdeck variable set <name> <value>`/);

  assert.equal((await cli('variable', 'set', 'repos', '["octo/a", "octo/b"]')).code, 0);
  const set = await cli('variable', 'set', 'min_stars', '100');
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, "Variable 'min_stars' set to 100.\n");
  assert.equal((await cli('variable', 'set', 'label', '42', '--string')).stdout, 'Variable \'label\' set to "42".\n');

  const run = await cli('run', 'report.flow.ts', '--json');
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).result, { repos: ['octo/a', 'octo/b'], minStars: 100, missing: 'fallback' });

  const written = await cli('variable', 'get', 'last_report', '--json');
  assert.equal(written.code, 0, written.stderr);
  assert.deepEqual(JSON.parse(written.stdout), { repos: 2, minStars: 100, with: 'auth ***' }, 'set by the flow, its registered secret masked');
  assert.equal((await cli('variable', 'get', 'label')).stdout, '42\n', 'text printed as it is');
  assert.equal((await cli('variable', 'get', 'label', '--json')).stdout, '"42"\n');

  const listed = await cli('variables', '--json');
  assert.deepEqual((JSON.parse(listed.stdout) as { name: string }[]).map((v) => v.name), ['label', 'last_report', 'min_stars', 'repos']);
  const table = await cli('variable', 'ls');
  assert.match(table.stdout, /^NAME\s+VALUE\s+UPDATED\nlabel\s+42\s+\d+ s ago\nlast_report\s+\{"repos":2,"minStars":100,"with":"auth \*\*\*"\}\s+\d+ s ago\n/);

  // What a name and a value may be, said where they are given.
  const badName = await cli('variable', 'set', 'Min Stars', '1');
  assert.equal(badName.code, 2);
  assert.match(badName.stderr, /Not a variable name: "Min Stars"\. A name is 1 to 64 lowercase letters, digits, '_' and '-'/);
  const missing = await cli('variable', 'get', 'nope');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no variable 'nope' in .+; `flowdeck variable ls` lists them/);
  const tooBig = await cli('variable', 'set', 'big', 'x'.repeat(70_000));
  assert.equal(tooBig.code, 2);
  assert.match(tooBig.stderr, /Variable 'big' is 70,002 bytes as JSON; the limit is 65,536/);
  for (const [what, message] of [
    ['name', /Not a variable name: "Not Allowed"/],
    ['value', /Variable 'when' cannot be set: JSON does not carry its value exactly/],
  ] as const) {
    const bad = await cli('run', 'bad.flow.ts', '--param', `what=${what}`, '--json');
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(JSON.parse(bad.stdout).state.message, message);
  }

  // Read while the file loads, outside any run: said so (variables are reached through a run's host).
  // At a flow file's top level, as its worker loads it (Prefect's Variable.get works anywhere): read then.
  const early = await cli('run', 'early.flow.ts', '--json');
  assert.equal(early.code, 0, early.stderr);
  assert.deepEqual(JSON.parse(early.stdout).result, ['octo/a', 'octo/b']);

  assert.equal((await cli('variable', 'rm', 'label')).stdout, "Removed variable 'label'.\n");
  const again = await cli('variable', 'rm', 'label');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /no variable 'label'/);
}

describe('variables', { timeout: 240_000 }, () => {
  it('set from the CLI, read and written by a flow, across processes (embedded store)', async () => {
    await variablesAcrossProcesses({ FLOWDECK_HOME: tempDir() });
  });

  it('a variable file that is not one (edited by hand) is left out of the list, and get of it says so: exit 2, no stack', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    for (const [k, v] of [['good', '1'], ['torn', '2']]) assert.equal((await runCli(['variable', 'set', k!, v!], { env })).code, 0);
    writeFileSync(join(env.FLOWDECK_HOME, 'variables', 'torn.json'), '{"name":"torn","upd');
    const list = await runCli(['variables', '--json'], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((v) => v.name), ['good']);
    const get = await runCli(['variable', 'get', 'torn'], { env });
    assert.equal(get.code, 2, get.stderr);
    assert.match(get.stderr, /^flowdeck variable: Variable 'torn' could not be read: its file in the store is not a variable \(edited by hand\?\); set it again\n$/);
  });

  it('a number JSON cannot hold (1e400, -0) is refused quoting what was typed and why, exit 2; --string sets it as text', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    for (const typed of ['1e400', '[1, -1e999]', '-0']) {
      const set = await runCli(['variable', 'set', 'n', typed], { env });
      assert.equal(set.code, 2, set.stdout);
      assert.equal(set.stderr, `flowdeck variable: Variable 'n' cannot be set to ${JSON.stringify(typed)}: it holds a number JSON cannot hold (one beyond ±1.8e308 reads as Infinity, written null; -0 is written 0); give a number JSON holds, or set it as text (\`--string\`)\n`);
    }
    const text = await runCli(['variable', 'set', 'n', '1e400', '--string'], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.equal((await runCli(['variable', 'get', 'n'], { env })).stdout, '1e400\n');
  });

  // Found by a hunter: such a key was refused as 'a number JSON cannot hold', naming no key.
  it('a value holding a __proto__ or toJSON key is refused naming the key, not as a number, exit 2', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    for (const [typed, key] of [['{"__proto__": {"x": 1}}', '__proto__'], ['[{"a": {"toJSON": 1}}]', 'toJSON']] as const) {
      const set = await runCli(['variable', 'set', 'v', typed], { env });
      assert.equal(set.code, 2, set.stdout);
      assert.match(set.stderr, new RegExp(`^flowdeck variable: Variable 'v' cannot be set: it holds a key named "${key}", which Flowdeck does not keep .*; rename the key\\n$`));
    }
    assert.equal((await runCli(['variable', 'get', 'v'], { env })).code, 2, 'nothing was set');
  });

  // Found by a hunter: a string's line break was printed as it is, splitting its row (and could draw a row of its own).
  it('variables shows a string value with line breaks and tabs on its own row, as \\n and \\t', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    assert.equal((await runCli(['variable', 'set', 'note', 'one\ntwo\tthree\r\nzz    9  1 s ago', '--string'], { env })).code, 0);
    const list = await runCli(['variables'], { env });
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, list.stdout);
    assert.match(lines[1]!, /^note {2}one\\ntwo\\tthree\\nzz {4}9 {2}1 s ago {2}\d+ s ago$/);
    assert.equal((await runCli(['variable', 'get', 'note'], { env })).stdout, 'one\ntwo\tthree\r\nzz    9  1 s ago\n', 'get writes it as set');
  });

  it('a value or name holding a secret the command knows (GITHUB_TOKEN) is refused, exit 2, and nothing is stored or shown', async () => {
    const token = 'ghp_' + 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8';
    const env = { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token };
    for (const args of [['tok', token], ['tok', `["octo/a", "Bearer ${token}"]`], [token.toLowerCase() === token ? token : 'tok', token]]) {
      const set = await runCli(['variable', 'set', ...args], { env });
      assert.equal(set.code, 2, set.stdout);
      assert.match(set.stderr, /was given a secret's value \(GITHUB_TOKEN, a stored token…\): variables are kept in the store and shown to whoever lists them, so nothing was set/);
      assert.doesNotMatch(set.stdout + set.stderr, new RegExp(token));
    }
    const listed = await runCli(['variables', '--json'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), [], 'nothing stored');
    assert.equal((await runCli(['variable', 'set', 'tok', 'plain'], { env })).code, 0, 'a value without one is set as before');
  });

  it('the same on Postgres', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, async () => {
    await variablesAcrossProcesses({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: freshSchema(), FLOWDECK_HOME: tempDir() });
  });

  it('get shows the control characters of a value a flow set as escapes at a terminal, and writes it as set into a pipe', { ...(NO_PSEUDO_TERMINAL !== undefined ? { skip: NO_PSEUDO_TERMINAL } : {}) }, async () => {
    const ws = workspace({
      'esc.flow.ts': `import { flow, setVariable } from 'flowdeck';
export default flow({ name: 'esc' }, async () => {
  await setVariable('escv', 'val\\x1b]0;PWNED\\x07\\x1b[2J\\u202eOVR\\u009b');
  await setVariable('escj', { t: 'j\\x1b[2J\\u202e\\u009b' });
});
`,
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const run = await runCli(['run', 'esc.flow.ts'], { cwd: ws, env });
    assert.equal(run.code, 0, run.stderr);
    const raw = 'val\x1b]0;PWNED\x07\x1b[2J\u202eOVR\u009b';

    const piped = await runCli(['variable', 'get', 'escv'], { cwd: ws, env });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, `${raw}\n`);
    const pipedJson = await runCli(['variable', 'get', 'escv', '--json'], { cwd: ws, env });
    assert.equal(JSON.parse(pipedJson.stdout), raw);

    const shown = await runCliAtTerminal(['variable', 'get', 'escv'], { cwd: ws, env });
    assert.equal(shown.code, 0, shown.output);
    assert.equal(shown.output, 'val\\x1b]0;PWNED\\x07\\x1b[2J\\u202eOVR\\x9b\n');
    for (const args of [['variable', 'get', 'escv', '--json'], ['variable', 'get', 'escj']]) {
      const json = await runCliAtTerminal(args, { cwd: ws, env });
      assert.equal(json.code, 0, json.output);
      assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/.test(json.output), `${args.join(' ')}: ${JSON.stringify(json.output)}`);
      assert.match(json.output, /\\u001b\[2J\\u202e/);
      assert.deepEqual(JSON.parse(json.output), args.length === 4 ? raw : { t: 'j\x1b[2J\u202e\u009b' });
    }

    const help = await runCli(['variable', '--help'], { cwd: ws, env });
    assert.match(help.stdout, /At a terminal, control characters in it[\s\S]*piped or redirected, the value is written byte for byte/);
  });
});
