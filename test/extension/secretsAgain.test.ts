/**
 * Retry from Failure and Rerun of a run given a secret parameter: the run's records hold `***` in its place,
 * so the launcher asks for each one in a password box (never pre-filled) and starts with them; Escape starts
 * nothing and shows nothing. Driven in plain Node through a stub of the `vscode` API, the host a fake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActiveRun } from '../../src/engine/runner';
import { BadInputError } from '../../src/engine/runRequest';
import type { FlowdeckHost, StartRequest } from '../../src/extension/host';
import type { RunOutput } from '../../src/extension/output/runOutput';
import { inputBoxes, shownMessages, typeIntoInputBoxes, useVscodeStub } from '../support/vscodeStub';

useVscodeStub();

const RUN = { id: 'run-1', name: 'brave-otter', source: 'builtin:pay' };
const refusal = (names: string[]) => new BadInputError('invalid-parameters', `Run 'brave-otter' cannot be resumed: its parameter 'token' is secret and its value was not kept`, names);

/** A host whose resume and start are refused until every secret in `names` is given; what each call was given. */
function fakeHost(names: string[]) {
  const resumes: (Record<string, string> | undefined)[] = [];
  const starts: StartRequest[] = [];
  const active = { id: RUN.id, name: RUN.name, done: new Promise(() => undefined) } as unknown as ActiveRun;
  const host = {
    resume: async (_id: string, _input?: Record<string, unknown>, secretParameters?: Record<string, string>) => {
      resumes.push(secretParameters);
      if (!names.every((n) => secretParameters?.[n] !== undefined)) throw refusal(names);
      return active;
    },
    start: async (request: StartRequest & { secretParameters?: Record<string, string> }) => {
      starts.push(request);
      if (!names.every((n) => request.secretParameters?.[n] !== undefined)) throw refusal(names);
      return active;
    },
    markUnwatched: () => undefined,
  } as unknown as FlowdeckHost;
  return { host, resumes, starts };
}

const output = { reveal: () => undefined, note: () => undefined } as unknown as RunOutput;

test('Retry from Failure asks for each secret the run did not keep in an empty password box, and resumes with them', async () => {
  const { RunLauncher } = await import('../../src/extension/runs/launcher');
  const { host, resumes } = fakeHost(['token', 'pin']);
  inputBoxes.length = 0;
  shownMessages.length = 0;
  typeIntoInputBoxes(['tok-live-5551234', '4711-pin']);
  const active = await new RunLauncher(host, output).resume(RUN);
  assert.equal(active?.id, RUN.id);
  assert.deepEqual(resumes, [undefined, { token: 'tok-live-5551234', pin: '4711-pin' }]);
  const boxes = inputBoxes as { password?: boolean; value?: string; prompt: string; title: string }[];
  assert.deepEqual(boxes.map((b) => [b.password, b.value ?? '']), [[true, ''], [true, '']]);
  assert.match(boxes[0]!.title, /token/);
  assert.match(boxes[1]!.title, /pin/);
  assert.deepEqual(shownMessages, [], 'no refusal shown');
});

test('Escape in a secret box resumes nothing and shows nothing', async () => {
  const { RunLauncher } = await import('../../src/extension/runs/launcher');
  const { host, resumes } = fakeHost(['token']);
  shownMessages.length = 0;
  typeIntoInputBoxes([undefined]);
  assert.equal(await new RunLauncher(host, output).resume(RUN), undefined);
  assert.deepEqual(resumes, [undefined]);
  assert.deepEqual(shownMessages, []);
});

test('Rerun asks for the secret the run did not keep and starts the new run with it, its other parameters as they were', async () => {
  const { RunLauncher } = await import('../../src/extension/runs/launcher');
  const { host, starts } = fakeHost(['token']);
  inputBoxes.length = 0;
  shownMessages.length = 0;
  typeIntoInputBoxes(['tok-live-5551234']);
  const request: StartRequest = { source: { kind: 'builtin', id: 'pay' }, flowName: 'pay', parameters: { user: 'ada', token: '***' } };
  const active = await new RunLauncher(host, output).run(request);
  assert.equal(active?.id, RUN.id);
  assert.equal(starts.length, 2);
  assert.deepEqual(starts[1], { ...request, secretParameters: { token: 'tok-live-5551234' } });
  assert.deepEqual((inputBoxes as { password?: boolean }[]).map((b) => b.password), [true]);
  assert.deepEqual(shownMessages, []);
});
