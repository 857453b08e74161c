import { test } from 'node:test';
import assert from 'node:assert/strict';
import githubRepoStats from '../../src/flows/githubRepoStats';
import youtubeChannelAnalytics from '../../src/flows/youtubeChannelAnalytics';
import { BUILTIN_FLOWS, builtinOfSource } from '../../src/extension/builtinFlows';
import { BUILTIN_FLOW_IDS } from '../../src/webview/protocol';

test('the static registry lists the built-in flows the dashboard knows', () => {
  assert.deepEqual(BUILTIN_FLOWS.map((f) => f.id), [...BUILTIN_FLOW_IDS]);
});

test("the registry matches each flow's own name, description and parameter declarations", () => {
  for (const [id, flow] of [
    ['github-repo-stats', githubRepoStats],
    ['youtube-channel-analytics', youtubeChannelAnalytics],
  ] as const) {
    const entry = BUILTIN_FLOWS.find((f) => f.id === id)!;
    assert.equal(entry.name, flow.options.name, id);
    assert.equal(entry.description, flow.options.description, id);
    assert.deepEqual(entry.parameters, JSON.parse(JSON.stringify(flow.options.parameters)), id);
  }
});

test('stored runs map back to their built-in flow by source', () => {
  assert.equal(builtinOfSource('builtin:github-repo-stats')?.id, 'github-repo-stats');
  assert.equal(builtinOfSource('/ws/flows/hello.flow.ts'), undefined);
  assert.equal(builtinOfSource('builtin:nope'), undefined);
});
