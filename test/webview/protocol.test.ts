import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_WEBVIEW_STATE,
  parseWebviewMessage,
  parseWebviewState,
  ProtocolError,
  type WebviewToHost,
} from '../../src/webview/protocol';

function rejects(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseWebviewMessage(value),
    (error: unknown) => error instanceof ProtocolError && pattern.test(error.message),
    `expected ${JSON.stringify(value)} to be refused with ${pattern}`,
  );
}

describe('parseWebviewMessage', () => {
  it('accepts every well-formed message and returns it unchanged', () => {
    const good: WebviewToHost[] = [
      { type: 'ready' },
      { type: 'ready', selection: {} },
      { type: 'ready', selection: { youtubeRunId: 'abc', githubRunId: 'A-1_b', logRunId: 'x'.repeat(64) } },
      { type: 'runFlow', req: 1, flowId: 'github-repo-stats' },
      { type: 'runFlow', req: 2, flowId: 'youtube-channel-analytics' },
      { type: 'openRun', runId: 'r4' },
      { type: 'retryFromFailure', runId: 'r5' },
      { type: 'showOlderRuns' },
      { type: 'selectRun', runId: 'r1' },
      { type: 'selectYoutubeRun', runId: 'r2' },
      { type: 'selectYoutubeRun', runId: null },
      { type: 'selectGithubRun', runId: 'r3' },
      { type: 'selectGithubRun', runId: null },
      { type: 'showLogs', runId: '01HZX9' },
      { type: 'showLogs', runId: null },
    ];
    for (const message of good) assert.deepEqual(parseWebviewMessage(structuredClone(message)), message);
  });

  it('refuses values that are not message objects', () => {
    rejects(undefined, /message must be an object, got undefined/);
    rejects(null, /message must be an object, got null/);
    rejects('ready', /message must be an object, got the string 'ready'/);
    rejects(42, /got number/);
    rejects([{ type: 'ready' }], /got an array/);
  });

  it('refuses a missing or unknown type', () => {
    rejects({}, /message.type must be a string, got undefined/);
    rejects({ type: 7 }, /message.type must be a string, got number/);
    rejects({ type: 'deleteEverything' }, /unknown message type 'deleteEverything'/);
    rejects({ type: 'READY' }, /unknown message type/);
    rejects({ type: '__proto__' }, /unknown message type/);
  });

  it('refuses flow ids other than the built-in flows', () => {
    rejects({ type: 'runFlow', req: 1 }, /runFlow.flowId must be one of github-repo-stats, youtube-channel-analytics, got undefined/);
    rejects({ type: 'runFlow', req: 1, flowId: 'rm -rf' }, /runFlow.flowId must be one of .*got the string 'rm -rf'/);
    rejects({ type: 'runFlow', req: 1, flowId: '/home/me/flow.ts' }, /runFlow.flowId/);
    rejects({ type: 'runFlow', req: 1, flowId: ['github-repo-stats'] }, /got an array/);
    rejects({ type: 'runFlow', flowId: 'github-repo-stats' }, /runFlow.req must be a request number, got undefined/);
    rejects({ type: 'runFlow', req: 'x', flowId: 'github-repo-stats' }, /runFlow.req must be a request number/);
    rejects({ type: 'openRun', runId: '../x' }, /not a run id/);
    rejects({ type: 'showOlderRuns', flowNames: ['x'] }, /unexpected field 'flowNames'/);
  });

  it('refuses run ids outside [A-Za-z0-9_-]{1,64}', () => {
    rejects({ type: 'selectRun', runId: '' }, /selectRun.runId '' is not a run id/);
    rejects({ type: 'selectRun', runId: '../../etc/passwd' }, /is not a run id/);
    rejects({ type: 'selectRun', runId: 'a b' }, /is not a run id/);
    rejects({ type: 'selectRun', runId: 'x'.repeat(65) }, /is not a run id/);
    rejects({ type: 'selectRun', runId: 'run\n' }, /is not a run id/);
    rejects({ type: 'selectRun', runId: 'ünï' }, /is not a run id/);
    rejects({ type: 'selectRun', runId: 12 }, /selectRun.runId must be a string, got number/);
    rejects({ type: 'selectRun', runId: null }, /must be a string, got null/);
    rejects({ type: 'selectRun' }, /must be a string, got undefined/);
    rejects({ type: 'showLogs', runId: 'a/b' }, /showLogs.runId 'a\/b' is not a run id/);
    rejects({ type: 'selectYoutubeRun', runId: {} }, /must be a string, got object/);
  });

  it('asks for an explicit null to follow the latest run', () => {
    rejects({ type: 'showLogs' }, /showLogs.runId is missing \(use null to follow the latest\)/);
    rejects({ type: 'selectGithubRun' }, /selectGithubRun.runId is missing/);
  });

  it('refuses unexpected fields, so a typo is not silently ignored', () => {
    rejects({ type: 'ready', extra: 1 }, /ready has an unexpected field 'extra'/);
    rejects({ type: 'runFlow', req: 1, flowId: 'github-repo-stats', parameters: { repo: 'a/b' } }, /unexpected field 'parameters'/);
    rejects({ type: 'selectRun', runId: 'r1', run_id: 'r1' }, /unexpected field 'run_id'/);
    rejects({ type: 'ready', selection: { logRunID: 'r1' } }, /ready.selection has an unexpected field 'logRunID'/);
  });

  it('checks the selection carried by ready', () => {
    rejects({ type: 'ready', selection: 'r1' }, /ready.selection must be an object/);
    rejects({ type: 'ready', selection: { logRunId: '../x' } }, /ready.selection.logRunId '..\/x' is not a run id/);
    rejects({ type: 'ready', selection: null }, /ready.selection must be an object, got null/);
  });

  it('shortens long values in its messages', () => {
    assert.throws(
      () => parseWebviewMessage({ type: 'x'.repeat(1000) }),
      (error: unknown) => error instanceof Error && error.message.length < 100,
    );
  });
});

describe('parseWebviewState', () => {
  it('gives the empty state when nothing was saved', () => {
    assert.deepEqual(parseWebviewState(undefined), EMPTY_WEBVIEW_STATE);
    assert.deepEqual(parseWebviewState(null), EMPTY_WEBVIEW_STATE);
  });

  it('reads a saved identity', () => {
    const saved = { version: 1, selection: { youtubeRunId: 'r9', logRunId: 'r12' }, hiddenMetrics: ['likes', 'shares'] };
    assert.deepEqual(parseWebviewState(structuredClone(saved)), saved);
    assert.deepEqual(parseWebviewState({ version: 1 }), EMPTY_WEBVIEW_STATE);
  });

  it('refuses other versions and malformed fields', () => {
    assert.throws(() => parseWebviewState({ version: 2, selection: {} }), /state.version must be 1/);
    assert.throws(() => parseWebviewState({ selection: {} }), /state.version must be 1, got undefined/);
    assert.throws(() => parseWebviewState({ version: 1, hiddenMetrics: 'likes' }), /hiddenMetrics must be a list/);
    assert.throws(() => parseWebviewState({ version: 1, hiddenMetrics: [1] }), /hiddenMetrics must be a list/);
    assert.throws(() => parseWebviewState({ version: 1, selection: { githubRunId: 'a b' } }), /state.selection.githubRunId/);
    assert.throws(() => parseWebviewState({ version: 1, model: {} }), /unexpected field 'model'/);
    assert.throws(() => parseWebviewState('state'), ProtocolError);
  });
});
