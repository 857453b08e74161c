import { test } from 'node:test';
import assert from 'node:assert/strict';
import githubRepoStats from '../../src/flows/githubRepoStats';
import youtubeChannelAnalytics from '../../src/flows/youtubeChannelAnalytics';
import { BUILTIN_FLOWS, builtinFlow } from '../../src/extension/builtinFlows';
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

test('a built-in flow is found by its id only', () => {
  assert.equal(builtinFlow('github-repo-stats')?.name, 'github-repo-stats');
  assert.equal(builtinFlow('nope'), undefined);
});
