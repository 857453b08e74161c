/** The Flows view's rows as VS Code gets them, driven in plain Node through a stub of the `vscode` API. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileFlows } from '../../src/engine/flowDiscovery';
import { editorMasker } from '../../src/extension/schedules/scheduleSecrets';
import { useVscodeStub } from '../support/vscodeStub';

useVscodeStub();

test("a flow's tooltip masks a parameter default holding a secret the editor knows, and shows other defaults", async () => {
  const { FileNode, FlowNode, FlowsTreeProvider } = await import('../../src/extension/flows/flowsTree');
  const token = 'ghp_s3cretT0kenValue1234567890';
  const file: FileFlows = {
    file: '/ws/deploy.flow.ts',
    problems: [],
    flows: [
      {
        name: 'deploy',
        exportName: 'default',
        line: 3,
        column: 16,
        parameters: {
          token: { type: 'string', default: token },
          auth: { type: 'object', default: { header: `Bearer ${token}` } },
          region: { type: 'string', default: 'eu-west-1' },
        },
      },
    ],
  };
  const index = { all: async () => [file], onDidChange: () => ({ dispose() {} }) };
  let asked = 0;
  const masker = editorMasker({ env: { GITHUB_TOKEN: token }, accounts: {} });
  const tree = new FlowsTreeProvider(index as never, undefined, async () => {
    asked++;
    return (text) => masker.mask(text);
  });
  try {
    const fileNode = (await tree.getChildren()).find((n) => n instanceof FileNode)!;
    const [flow] = await tree.getChildren(fileNode);
    assert.ok(flow instanceof FlowNode);
    const tooltip = (flow.tooltip as { value: string }).value;
    assert.ok(!tooltip.includes(token) && !tooltip.includes('s3cretT0ken'), tooltip);
    assert.match(tooltip, /`token`: string = `"\*\*\*"`/);
    assert.match(tooltip, /`auth`: object = `\{"header":"Bearer \*\*\*"\}`/);
    assert.match(tooltip, /`region`: string = `"eu-west-1"`/);
    assert.equal(asked, 1);
  } finally {
    tree.dispose();
  }
});

test("a flow's tooltip shows a secret parameter's default as ***, whether the editor knows it or not", async () => {
  const { FileNode, FlowNode, FlowsTreeProvider } = await import('../../src/extension/flows/flowsTree');
  const file: FileFlows = {
    file: '/ws/login.flow.ts',
    problems: [],
    flows: [{ name: 'login', exportName: 'default', line: 1, column: 16, parameters: { apiKey: { type: 'string', secret: true, default: 'default-key-9f8e7d' }, region: { type: 'string', default: 'eu-west-1' } } }],
  };
  const index = { all: async () => [file], onDidChange: () => ({ dispose() {} }) };
  const tree = new FlowsTreeProvider(index as never, undefined, async () => (text) => text);
  try {
    const fileNode = (await tree.getChildren()).find((n) => n instanceof FileNode)!;
    const [flow] = await tree.getChildren(fileNode);
    assert.ok(flow instanceof FlowNode);
    const tooltip = (flow.tooltip as { value: string }).value;
    assert.ok(!tooltip.includes('default-key-9f8e7d'), tooltip);
    assert.match(tooltip, /`apiKey`: string = `"\*\*\*"`/);
    assert.match(tooltip, /`region`: string = `"eu-west-1"`/);
  } finally {
    tree.dispose();
  }
});
