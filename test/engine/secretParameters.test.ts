/** Parameters declared `secret: true`: their values never reach a run's journal, the index, its logs or its name. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkDeclarations } from '../../src/engine/parameters';
import type { BadInputError } from '../../src/engine/runRequest';
import { checkSchedule, ScheduleError } from '../../src/engine/schedules/scheduleSpec';
import { secretDefaultsMasked, secretParameterValues } from '../../src/engine/secretParameters';
import { flowSource, makeRunner, tempDir, workspace } from '../support/engine';

/** Every file the store holds, as one text. */
function storeText(home: string): string {
  const runs = join(home, 'runs');
  return readdirSync(runs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe('secret parameters', () => {
  it("are masked in the run's records, logs, name and result, a subflow's and a default too", async () => {
    const ws = workspace({
      'login.flow.ts': flowSource(`
const child = flow({ name: 'child', parameters: { code: { type: 'string', secret: true } } }, async ({ code }: { code: string }) => {
  getRunLogger().info('child got ' + code);
  return code;
});
export default flow({
  name: 'login',
  flowRunName: '{user}-{password}',
  parameters: { user: { type: 'string' }, password: { type: 'string', secret: true }, apiKey: { type: 'string', secret: true, default: 'default-key-9f8e7d' } },
}, async ({ user, password, apiKey }: { user: string; password: string; apiKey: string }) => {
  getRunLogger().info('pw ' + password + ' key ' + apiKey);
  console.log('printed', password);
  await child({ code: 'child-code-4711' });
  return { user, password };
});`),
    });
    const home = tempDir();
    const { store, runner } = await makeRunner(home);
    after(() => runner.dispose());
    const logs: string[] = [];
    runner.on('log', (l) => logs.push(l.message));
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'login.flow.ts') }, parameters: { user: 'ada', password: 'hunter2-correct-horse' } })).done;
    assert.equal(detail.state.name, 'Completed', detail.state.message);
    assert.equal(detail.name, 'ada-***');
    assert.deepEqual(detail.parameters, { user: 'ada', password: '***', apiKey: '***' });
    assert.ok(logs.includes('pw *** key ***'), logs.join('\n'));
    assert.ok(logs.includes('child got ***'), logs.join('\n'));
    const everything = storeText(home) + logs.join('\n') + JSON.stringify(await store.list());
    for (const secret of ['hunter2-correct-horse', 'default-key-9f8e7d', 'child-code-4711']) assert.ok(!everything.includes(secret), `${secret} is nowhere`);
  });

  it('are not quoted when refused: a value that does not fit its declaration starts no run and is said as ***', async () => {
    const ws = workspace({ 'pin.flow.ts': flowSource(`export default flow({ name: 'pin', parameters: { pin: { type: 'string', secret: true, enum: ['0000'] } } }, async () => 1);`) });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    after(() => runner.dispose());
    const refused = await runner.start({ source: { kind: 'file', path: join(ws, 'pin.flow.ts') }, parameters: { pin: 'wrong-pin-31337' } }).then(
      () => assert.fail('a run started'),
      (e: Error) => e,
    );
    assert.match(refused.message, /pin/);
    assert.ok(!refused.message.includes('wrong-pin-31337'), refused.message);
  });

  it('are not given back as *** by a resume or a rerun: refused, naming the parameter, the run left as it was', { timeout: 120_000 }, async () => {
    const ws = workspace({
      'pay.flow.ts': flowSource(`export default flow({ name: 'pay', parameters: { user: { type: 'string' }, token: { type: 'string', secret: true } } }, async ({ token }: { token: string }) => {
  if (token === '***') throw new Error('ran with the mask for a token');
  throw new Error('the bank is closed');
});`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    after(() => runner.dispose());
    const file = join(ws, 'pay.flow.ts');
    const first = await (await runner.start({ source: { kind: 'file', path: file }, parameters: { user: 'ada', token: 'tok-live-5551234' } })).done;
    assert.equal(first.state.name, 'Failed');
    assert.deepEqual(first.parameters, { user: 'ada', token: '***' });
    await assert.rejects(runner.resume(first.id), (e: Error) => {
      assert.equal(e.name, 'BadInputError');
      assert.equal(e.message, `Run '${first.name}' cannot be resumed: its parameter 'token' is secret and its value was not kept (a run's records hold *** in a secret's place). Give it again to the resume, or run the flow again for a new run.`);
      return true;
    });
    // A rerun from the editor gives the run's recorded parameters: refused as the bad input it is.
    await assert.rejects(runner.start({ source: { kind: 'file', path: file }, parameters: first.parameters }), /Invalid parameters for flow 'pay': parameter 'token' is secret and its value was not kept/);
  });

  it('are given again to a resume or a rerun: it runs with the value, never stored or shown; the refusal names the ones missing; only a secret parameter takes one', { timeout: 120_000 }, async () => {
    const mark = join(tempDir(), 'failed-once');
    const ws = workspace({
      'pay.flow.ts': flowSource(`import { existsSync, writeFileSync } from 'node:fs';
export default flow({ name: 'pay', flowRunName: '{user}-{token}', parameters: { user: { type: 'string' }, token: { type: 'string', secret: true } } }, async ({ token }: { token: string }) => {
  if (token !== 'tok-live-5551234') throw new Error('ran with a wrong token: ' + token);
  if (!existsSync(${JSON.stringify(mark)})) {
    writeFileSync(${JSON.stringify(mark)}, '');
    throw new Error('the bank is closed');
  }
  getRunLogger().info('paid with ' + token);
  return 'paid with ' + token;
});`),
    });
    const home = tempDir();
    const { runner } = await makeRunner(home);
    after(() => runner.dispose());
    const file = join(ws, 'pay.flow.ts');
    const first = await (await runner.start({ source: { kind: 'file', path: file }, parameters: { user: 'ada', token: 'tok-live-5551234' } })).done;
    assert.equal(first.state.name, 'Failed');
    // The refusal says which, for a caller to ask for them (the editor) or name its flag (the CLI).
    await assert.rejects(runner.resume(first.id), (e: BadInputError) => {
      assert.deepEqual(e.secretsNotKept, ['token']);
      assert.match(e.message, /its parameter 'token' is secret and its value was not kept .*Give it again to the resume, or run the flow again for a new run\.$/);
      return true;
    });
    // A value for a parameter not declared secret: the run's own are run with; refused, never quoted.
    await assert.rejects(runner.resume(first.id, { secretParameters: { token: 'tok-live-5551234', user: 'eve-77331' } }), (e: BadInputError) => {
      assert.equal(e.name, 'BadInputError');
      assert.match(e.message, /parameter 'user' is not declared secret/);
      assert.ok(!e.message.includes('eve-77331') && !e.message.includes('tok-live-5551234'), e.message);
      return true;
    });
    const resumed = await (await runner.resume(first.id, { secretParameters: { token: 'tok-live-5551234' } })).done;
    assert.equal(resumed.state.name, 'Completed', resumed.state.message);
    // (The flow got the token: it checks it; what it returns is stored masked.)
    assert.match(JSON.stringify(resumed.result), /paid with \*\*\*/);
    assert.equal(resumed.name, first.name);
    assert.deepEqual(resumed.parameters, { user: 'ada', token: '***' });
    assert.ok(!storeText(home).includes('tok-live-5551234'), 'the value given again is in the store');
    // A rerun: a new run of the run's parameters, its secret given again.
    const rerun = await (await runner.start({ source: { kind: 'file', path: file }, parameters: first.parameters, secretParameters: { token: 'tok-live-5551234' } })).done;
    assert.equal(rerun.state.name, 'Completed', rerun.state.message);
    assert.match(rerun.name, /^ada-\*\*\*/);
    await assert.rejects(runner.start({ source: { kind: 'file', path: file }, parameters: first.parameters }), (e: BadInputError) => {
      assert.deepEqual(e.secretsNotKept, ['token']);
      return true;
    });
    assert.ok(!storeText(home).includes('tok-live-5551234'), 'the value given again is in the store');
  });

  it('are strings of a flow: a secret number or a secret input is refused, a non-boolean secret too', () => {
    assert.throws(() => checkDeclarations('f', { n: { type: 'number', secret: true } }), /parameter 'n': secret is for a string parameter, not a number/);
    assert.throws(() => checkDeclarations('f', { s: { type: 'string', secret: 'yes' } }), /secret must be true or false/);
    assert.throws(() => checkDeclarations('', { s: { type: 'string', secret: true } }, { owner: "flow run 'x'", noun: 'input' }), /secret is for a flow's parameters/);
    assert.ok(checkDeclarations('f', { s: { type: 'string', secret: true, default: 'abcd' } }));
  });

  it('give their values (given or filled in) to the masker, and show their defaults as ***', () => {
    const declarations = { a: { type: 'string' as const, secret: true, default: 'dflt' }, b: { type: 'string' as const } };
    assert.deepEqual(secretParameterValues(declarations, { a: 'given', b: 'plain' }, { a: 'typed' }, undefined), ['given', 'typed']);
    assert.deepEqual(secretDefaultsMasked(declarations), { a: { type: 'string', secret: true, default: '***' }, b: { type: 'string' } });
  });

  it("are kept out of a schedule: given in its parameters, refused; a default, left to the run's worker", () => {
    const declarations = { apiKey: { type: 'string' as const, secret: true, default: 'default-key-9f8e7d' }, region: { type: 'string' as const, default: 'eu' } };
    assert.throws(() => checkSchedule({ cron: '0 9 * * *', parameters: { apiKey: 'given-key-1234' } }, 'f', declarations), (e: Error) => e instanceof ScheduleError && /parameter 'apiKey' is declared secret/.test(e.message) && !e.message.includes('given-key-1234'));
    assert.deepEqual(checkSchedule({ cron: '0 9 * * *', parameters: { region: 'us' } }, 'f', declarations).parameters, { region: 'us' });
  });
});
