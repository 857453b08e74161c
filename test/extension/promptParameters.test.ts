/** Run Flow with Parameters' input boxes as VS Code gets them, driven in plain Node through a stub of the `vscode` API. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParameterDeclarations } from '../../src/engine/parameters';
import { inputBoxes, typeIntoInputBoxes, useVscodeStub } from '../support/vscodeStub';

useVscodeStub();

test('a secret parameter is asked for in a password box, never pre-filled with its default; left empty, the run fills the default in', async () => {
  const { promptParameters } = await import('../../src/extension/parameters/promptParameters');
  const declarations: ParameterDeclarations = {
    user: { type: 'string', default: 'ada' },
    password: { type: 'string', secret: true, required: true },
    apiKey: { type: 'string', secret: true, default: 'default-key-9f8e7d' },
  };
  inputBoxes.length = 0;
  typeIntoInputBoxes(['ada', 'hunter2-correct-horse', '']);
  const parameters = await promptParameters('login', declarations);
  const boxes = inputBoxes as { password?: boolean; value: string; prompt: string; placeHolder: string }[];
  assert.deepEqual(boxes.map((b) => b.password), [false, true, true]);
  assert.equal(boxes[0]!.value, 'ada', 'a plain default is pre-filled');
  assert.deepEqual(boxes.slice(1).map((b) => b.value), ['', ''], 'a secret box starts empty');
  for (const b of boxes) assert.ok(!JSON.stringify(b).includes('default-key-9f8e7d'), JSON.stringify(b));
  assert.match(boxes[2]!.prompt, /secret; leave empty for its default/);
  assert.deepEqual(parameters, { user: 'ada', password: 'hunter2-correct-horse' }, "the secret's default is left to the run's worker");

  typeIntoInputBoxes(['ada', 'hunter2-correct-horse', 'typed-key-1234']);
  assert.deepEqual(await promptParameters('login', declarations), { user: 'ada', password: 'hunter2-correct-horse', apiKey: 'typed-key-1234' });
});
