/** `flowdeck resume` of a run given a secret parameter: its records hold `***`, so the value is given again. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const TOKEN = 'tok-live-5551234';

function filesUnder(dir: string): string {
  let all = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) all += readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return all;
}

describe('secret parameters in the CLI', { timeout: 120_000 }, () => {
  it('resume --param token=- reads the secret from stdin and resumes the run; without it the refusal names the parameter and the flag', async () => {
    const mark = join(tempDir(), 'failed-once');
    const ws = workspace({
      'pay.flow.ts': flowSource(`import { existsSync, writeFileSync } from 'node:fs';
export default flow({ name: 'pay', parameters: { user: { type: 'string' }, token: { type: 'string', secret: true } } }, async ({ token }: { token: string }) => {
  if (token !== '${TOKEN}') throw new Error('ran with a wrong token: ' + token);
  if (!existsSync(${JSON.stringify(mark)})) {
    writeFileSync(${JSON.stringify(mark)}, '');
    throw new Error('the bank is closed');
  }
  return 'paid';
});`),
    });
    const home = tempDir();
    const env = { FLOWDECK_HOME: home };
    const first = await runCli(['run', join(ws, 'pay.flow.ts'), '--param', 'user=ada', '--param', `token=${TOKEN}`, '--json'], { env });
    assert.equal(first.code, 1, first.stderr);
    const name = (JSON.parse(first.stdout) as { name: string }).name;
    assert.ok(existsSync(mark));

    const refused = await runCli(['resume', name], { env });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /its parameter 'token' is secret and its value was not kept/);
    assert.match(refused.stderr, new RegExp(`flowdeck resume ${name} --param token=-`));

    // Only a secret parameter is given again: the run's own values are the others'.
    const notSecret = await runCli(['resume', name, '--param', 'user=eve-77331', '--param', 'token=-'], { env, stdin: `${TOKEN}\n` });
    assert.equal(notSecret.code, 2, notSecret.stderr);
    assert.match(notSecret.stderr, /parameter 'user' is not declared secret/);
    assert.ok(!notSecret.stderr.includes('eve-77331'), notSecret.stderr);

    const emptyStdin = await runCli(['resume', name, '--param', 'token=-'], { env, stdin: '' });
    assert.equal(emptyStdin.code, 2, emptyStdin.stderr);
    assert.match(emptyStdin.stderr, /--param token=-: stdin held no value/);

    const resumed = await runCli(['resume', name, '--param', 'token=-', '--json'], { env, stdin: `${TOKEN}\n` });
    assert.equal(resumed.code, 0, resumed.stderr);
    const doc = JSON.parse(resumed.stdout) as { name: string; attempt: number; parameters: Record<string, unknown>; state: { name: string } };
    assert.equal(doc.name, name);
    assert.equal(doc.attempt, 2);
    assert.deepEqual(doc.parameters, { user: 'ada', token: '***' });
    for (const text of [resumed.stdout, resumed.stderr, filesUnder(join(home, 'runs'))]) assert.ok(!text.includes(TOKEN), `the token shows in: ${text.slice(0, 400)}`);
  });

  it('resume --param is refused where no value of a secret can be given: a queue, --crashed', async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const crashed = await runCli(['resume', '--crashed', '--param', 'token=x'], { env });
    assert.equal(crashed.code, 2);
    assert.match(crashed.stderr, /--param .*--crashed/);
    const queued = await runCli(['resume', 'some-run', '--queue', 'q', '--param', 'token=x'], { env });
    assert.equal(queued.code, 2);
    assert.match(queued.stderr, /--param .*--queue/);
  });
});
