/**
 * Options are checked where a task or flow is defined (issue 9), so a wrong one stops the flow file from
 * loading with a message naming it; and task.map takes a list per argument or unmapped(value).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flow, task, unmapped } from '../../src/engine/api';
import { BadInputError } from '../../src/engine/runner';
import { mapCalls, type MapCalls } from '../../src/engine/worker/mapArguments';
import { flowSource, makeRunner, tempDir, valueOf, workspace } from '../support/engine';

const T = { timeout: 120_000 };
const noop = (): number => 1;

/** Defines a task with `options` as code that is not type-checked would. */
const taskWith = (options: Record<string, unknown>) => () => task({ name: 't', ...options } as never, noop);
const flowWith = (options: Record<string, unknown>) => () => flow({ name: 'f', ...options } as never, noop);

describe('task and flow options', T, () => {
  it('rejects each wrong option where it is written, naming it and what it must be', () => {
    const cases: [() => unknown, RegExp][] = [
      [taskWith({ retries: -1 }), /^task 't': retries must be a whole number ≥ 0, got -1$/],
      [taskWith({ retries: 1.5 }), /retries must be a whole number ≥ 0, got 1\.5/],
      [taskWith({ retries: '3' }), /retries must be a whole number ≥ 0, got "3"/],
      [taskWith({ timeoutSeconds: 0 }), /^task 't': timeoutSeconds must be a number of seconds > 0, got 0$/],
      [taskWith({ timeoutSeconds: Infinity }), /timeoutSeconds must be a number of seconds > 0, got Infinity/],
      [taskWith({ retryDelaySeconds: -1 }), /retryDelaySeconds must be seconds ≥ 0: a number, a list of numbers \(one per retry\), or a function of the retry number, got -1/],
      [taskWith({ retryDelaySeconds: [1, NaN] }), /retryDelaySeconds must be seconds ≥ 0.*got an array/],
      [taskWith({ retryJitterFactor: 1.5 }), /^task 't': retryJitterFactor must be a number from 0 to 1, got 1\.5$/],
      [taskWith({ cacheExpirationSeconds: 0 }), /cacheExpirationSeconds must be a number of seconds > 0, got 0/],
      [taskWith({ cacheKey: 'k' }), /cacheKey must be a function, got "k"/],
      [taskWith({ onFailure: [noop, 'x'] }), /onFailure must be a function or a list of functions, got an array/],
      [taskWith({ taskRunName: '' }), /^task 't': taskRunName must be a non-empty string or a function of the call's arguments that returns one, got ""$/],
      [taskWith({ taskRunName: 7 }), /taskRunName must be a non-empty string or a function .*, got 7$/],
      [taskWith({ retires: 3 }), /^task 't': unknown option 'retires'; the options are name, description, tags, retries, /],
      [flowWith({ retries: -2 }), /^flow 'f': retries must be a whole number ≥ 0, got -2$/],
      [flowWith({ timeoutSeconds: -5 }), /^flow 'f': timeoutSeconds must be a number of seconds > 0, got -5$/],
      [flowWith({ resumeOnCrash: 'yes' }), /resumeOnCrash must be true or false, got "yes"/],
      [flowWith({ concurrency: 2 }), /^flow 'f': unknown option 'concurrency'/],
      [flowWith({ parameters: { v: { type: 'strng' } } }), /^flow 'f': parameter 'v' has type "strng", which is not a parameter type; the types are string, number, integer, boolean, object, array$/],
      [flowWith({ parameters: { n: { type: 'integer', default: 'many' } } }), /^flow 'f': parameter 'n' has a default that does not fit its declaration: 'n' must be an integer, got the string "many"$/],
      [() => task({ name: '' }, noop), /options\.name must be a non-empty string/],
      [() => flow({ name: 'line\nbreak' }, noop), /^flow\(options, fn\): options\.name must be one line without control characters, got "line\\nbreak"$/],
      [() => task({ name: 'esc\u001b[31m' }, noop), /^task\(options, fn\): options\.name must be one line without control characters/],
      [() => flow({ name: 'f'.repeat(201) }, noop), /^flow\(options, fn\): options\.name is 201 characters, more than the 200 a name may have; give it a shorter one$/],
      [() => task({ name: `${'t'.repeat(1_000_000)}\n` }, noop), /^task\(options, fn\): options\.name is 1000001 characters, more than the 200 a name may have/],
      [() => task({ name: 't' }, noop).withOptions({ name: 'w'.repeat(300) } as never), /^task\(options, fn\): options\.name is 300 characters/],
    ];
    for (const [define, message] of cases) assert.throws(define, (e: unknown) => e instanceof TypeError && message.test(e.message), String(message));
  });

  it('accepts every option at its bounds, and undefined as left out', () => {
    task({ name: 't', retries: 0, retryDelaySeconds: [0, 1.5], retryJitterFactor: 1, timeoutSeconds: 0.001, cacheExpirationSeconds: 1, persistResult: false, tags: ['a'], cacheKey: undefined }, noop);
    task({ name: 't', retryJitterFactor: 0, retryDelaySeconds: (n) => n, onCompletion: noop, taskRunName: 'fixed' }, noop);
    task({ name: 't', taskRunName: (repo: string) => `fetch-${repo}` }, async (repo: string) => repo);
    flow({ name: 'f', retries: 3, timeoutSeconds: 60, resumeOnCrash: true, parameters: { n: { type: 'integer', default: 2, minimum: 1 } } }, noop);
    task({ name: 't'.repeat(200) }, noop);
    flow({ name: 'f'.repeat(200) }, noop);
  });

  it("withOptions makes the same task with some options changed, checked as task() checks them, the task's own left as they were", () => {
    const base = task({ name: 't', retries: 1, tags: ['a'] }, noop);
    const more = base.withOptions({ retries: 5, timeoutSeconds: 2 });
    assert.deepEqual(more.options, { name: 't', retries: 5, tags: ['a'], timeoutSeconds: 2 });
    assert.deepEqual(base.options, { name: 't', retries: 1, tags: ['a'] });
    assert.equal(typeof more.map, 'function');
    assert.equal(more.withOptions({ name: 'u' }).options.name, 'u');
    assert.throws(() => base.withOptions({ retries: -1 }), /^TypeError: task 't': retries must be a whole number ≥ 0, got -1$/);
    assert.throws(() => base.withOptions({ retires: 2 } as never), /^TypeError: task 't': unknown option 'retires'/);
    assert.throws(() => base.withOptions(null as never), /^TypeError: task 't': withOptions takes an object of options, got null$/);
    const child = flow({ name: 'f', retries: 1 }, noop);
    assert.deepEqual(child.withOptions({ timeoutSeconds: 5 }).options, { name: 'f', retries: 1, timeoutSeconds: 5 });
    assert.deepEqual(child.options, { name: 'f', retries: 1 });
    assert.throws(() => child.withOptions({ timeoutSeconds: 0 }), /^TypeError: flow 'f': timeoutSeconds must be a number of seconds > 0, got 0$/);
  });

  it('a flow file with a wrong option does not load: no run, a message naming the option', async () => {
    const ws = workspace({ 'bad.flow.ts': flowSource(`const t = task({ name: 'fetch', retries: -1 }, async () => 1);\nexport default flow({ name: 'bad' }, async () => t());`) });
    const { runner, store } = await makeRunner(tempDir());
    await assert.rejects(
      runner.start({ source: { kind: 'file', path: join(ws, 'bad.flow.ts') } }),
      (e: unknown) => e instanceof BadInputError && e.reason === 'module' && /task 'fetch': retries must be a whole number ≥ 0, got -1/.test(e.message),
    );
    assert.equal(await store.count(), 0);
  });

  it('a task named longer than 200 characters fails where it is made: its flow run when made in the flow, the file when made at its top', async () => {
    const ws = workspace({
      'inside.flow.ts': flowSource(`export default flow({ name: 'inside' }, async () => task({ name: 'fetch-'.repeat(50_000) }, async () => 1)());`),
      'top.flow.ts': flowSource(`const t = task({ name: 'x'.repeat(201) }, async () => 1);\nexport default flow({ name: 'top' }, async () => t());`),
    });
    const { runner, store } = await makeRunner(tempDir());
    const inside = await (await runner.start({ source: { kind: 'file', path: join(ws, 'inside.flow.ts') } })).done;
    assert.equal(inside.state.name, 'Failed');
    assert.match(inside.state.message!, /task\(options, fn\): options\.name is 300000 characters, more than the 200 a name may have; give it a shorter one/);
    assert.equal(inside.taskRuns.length, 0);
    await assert.rejects(
      runner.start({ source: { kind: 'file', path: join(ws, 'top.flow.ts') } }),
      (e: unknown) => e instanceof BadInputError && e.reason === 'module' && /task\(options, fn\): options\.name is 201 characters, more than the 200/.test(e.message),
    );
    assert.equal(await store.count(), 1, 'only the run of inside.flow.ts');
  });
});

/** Every call's argument list of a map, in order. */
function callsOf(m: MapCalls): unknown[][] {
  return Array.from({ length: m.count }, (_, i) => m.argsAt(i));
}

describe('task.map arguments', T, () => {
  it('turns lists and unmapped values into calls; options may follow', () => {
    assert.deepEqual(callsOf(mapCalls('add', [[1, 2, 3], unmapped(10)])), [[1, 10], [2, 10], [3, 10]]);
    assert.deepEqual(callsOf(mapCalls('add', [new Set([1, 2]), (function* () { yield 'a'; yield 'b'; })()])), [[1, 'a'], [2, 'b']]);
    const withOptions = mapCalls('one', [[[1, 2], [3]], { concurrency: 2 }]);
    assert.deepEqual(callsOf(withOptions), [[[1, 2]], [[3]]]);
    assert.deepEqual(withOptions.options, { concurrency: 2 });
    assert.deepEqual(callsOf(mapCalls('one', [[]])), []);
    const mutable = [1, 2];
    const taken = mapCalls('one', [mutable]);
    mutable.push(3);
    assert.deepEqual(callsOf(taken), [[1], [2]], 'the lists as they were when map was called');
    const shared = { big: true };
    const [a, b] = callsOf(mapCalls('one', [[1, 2], unmapped(shared)]));
    assert.equal(a![1], shared, 'the same value, not a copy');
    assert.equal(b![1], shared);
  });

  it('says what is wrong with them', () => {
    assert.throws(() => mapCalls('add', [[1, 2], [1]]), /task 'add'\.map: the lists have different lengths \(2 and 1\)/);
    assert.throws(() => mapCalls('add', [[1], 10]), /task 'add'\.map: argument 2 is number, not a list; pass a list \(an array or any iterable\) to map over, or unmapped\(value\) to pass the same value to every call/);
    assert.throws(() => mapCalls('add', ['abc']), /argument 1 is a string, not a list/);
    assert.throws(() => mapCalls('add', [unmapped(1)]), /task 'add'\.map needs a list to map over/);
    assert.throws(() => mapCalls('add', [[1], { concurrency: 0 }]), /^TypeError: task 'add'\.map: concurrency must be a whole number ≥ 1, got 0$/);
    assert.throws(() => mapCalls('add', [[1], { concurency: 2 }]), /task 'add'\.map: unknown option 'concurency'; the options are concurrency/);
  });

  it('outside a flow a mapped task is a plain call per item', async () => {
    const add = task({ name: 'add' }, (a: number, b: number) => a + b);
    assert.deepEqual(await add.map([1, 2, 3], unmapped(10), { concurrency: 2 }), [11, 12, 13]);
    assert.deepEqual(await add.map([1, 2], [30, 40]), [31, 42]);
  });

  it('in a flow: one task run per call with the unmapped value; a concurrency of 0 fails the map, naming it', async () => {
    const ws = workspace({
      'm.flow.ts': flowSource(`import { unmapped } from 'flowdeck';
const scale = task({ name: 'scale' }, async (x: number, by: { factor: number }) => x * by.factor);
export const ok = flow({ name: 'ok' }, async () => scale.map([1, 2, 3], unmapped({ factor: 10 }), { concurrency: 2 }));
export const zero = flow({ name: 'zero' }, async () => scale.map([1, 2, 3], unmapped({ factor: 10 }), { concurrency: 0 }));`),
    });
    const { runner } = await makeRunner(tempDir());
    const ok = await (await runner.start({ source: { kind: 'file', path: join(ws, 'm.flow.ts') }, flowName: 'ok' })).done;
    assert.equal(ok.state.name, 'Completed', ok.state.message);
    assert.deepEqual(valueOf(ok), [10, 20, 30]);
    assert.deepEqual(ok.taskRuns.map((t) => t.name).sort(), ['scale-0', 'scale-1', 'scale-2']);
    const zero = await (await runner.start({ source: { kind: 'file', path: join(ws, 'm.flow.ts') }, flowName: 'zero' })).done;
    assert.equal(zero.state.name, 'Failed');
    assert.match(zero.state.message!, /task 'scale'\.map: concurrency must be a whole number ≥ 1, got 0/);
    assert.equal(zero.taskRuns.length, 0);
  });
});
