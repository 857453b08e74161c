import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_WEBVIEW_STATE,
  parseWebviewMessage,
  parseWebviewState,
  MAX_EXPORT_CHARS,
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
      { type: 'ready', selection: { compareRepos: ['acme/one', 'Acme/two.js'] } },
      { type: 'addRepository', req: 1, repo: 'PrefectHQ/prefect' },
      { type: 'removeRepository', repo: 'a/b' },
      { type: 'chooseYoutubeRange', req: 2, startDate: '2024-06-01', endDate: '2024-06-30' },
      { type: 'saveFile', req: 3, format: 'png', name: 'star-history.png', data: 'data:image/png;base64,iVBORw0KGgo=' },
      { type: 'saveFile', req: 4, format: 'csv', name: 'youtube days 2024-06-01.csv', data: 'date,views\n2024-06-01,3\n' },
      { type: 'copyText', req: 5, text: 'a,b\n1,2\n' },
      { type: 'saveLog', req: 6, runId: 'r1' },
      { type: 'openVideo', url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' },
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

  it('checks repositories, ranges and request numbers', () => {
    rejects({ type: 'addRepository', req: 1, repo: 'not a repo' }, /addRepository.repo must be a repository as owner\/name/);
    rejects({ type: 'addRepository', req: 1, repo: 'owner/..' }, /must be a repository/);
    rejects({ type: 'addRepository', req: -1, repo: 'a/b' }, /addRepository.req must be a request number/);
    rejects({ type: 'addRepository', repo: 'a/b' }, /addRepository.req must be a request number, got undefined/);
    rejects({ type: 'ready', selection: { compareRepos: Array.from({ length: 7 }, (_, i) => `a/r${i}`) } }, /compareRepos must be a list of at most 6/);
    rejects({ type: 'chooseYoutubeRange', req: 1, startDate: '2024-6-1', endDate: '2024-06-30' }, /startDate must be a day written YYYY-MM-DD/);
  });

  it('bounds what is saved or copied and accepts only PNG data: URLs for images', () => {
    const png = { type: 'saveFile', req: 1, format: 'png', name: 'chart.png' };
    rejects({ ...png, data: 'data:image/svg+xml;base64,PHN2Zz4=' }, /saveFile.data must be a data:image\/png;base64,… URL/);
    rejects({ ...png, data: 'data:image/png;base64,<script>' }, /must be a data:image\/png;base64/);
    rejects({ ...png, data: 'https://example.com/x.png' }, /must be a data:image\/png;base64/);
    rejects({ ...png, name: '../../.bashrc.png', data: 'data:image/png;base64,AAAA' }, /saveFile.name must be a plain file name ending in .png/);
    rejects({ ...png, name: 'chart.csv', data: 'data:image/png;base64,AAAA' }, /ending in .png/);
    rejects({ ...png, format: 'exe', data: '' }, /saveFile.format must be png or csv/);
    rejects({ type: 'copyText', req: 1, text: 'x'.repeat(MAX_EXPORT_CHARS + 1) }, /copyText.text is \d+ characters, more than the \d+ accepted/);
  });

  it('opens nothing but YouTube watch pages', () => {
    for (const url of ['https://www.youtube.com/watch?v=dQw4w9WgXcQ&x=1', 'http://www.youtube.com/watch?v=dQw4w9WgXcQ', 'https://evil.com/watch?v=dQw4w9WgXcQ', 'javascript:alert(1)', 'https://www.youtube.com.evil.com/watch?v=dQw4w9WgXcQ']) {
      rejects({ type: 'openVideo', url }, /openVideo.url must be https:\/\/www.youtube.com\/watch\?v=<video id>/);
    }
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
    const saved = { version: 1, selection: { youtubeRunId: 'r9', logRunId: 'r12' }, hiddenMetrics: ['likes', 'shares'], charts: { logScale: true, alignTimeline: false, velocity: 'day' } };
    assert.deepEqual(parseWebviewState(structuredClone(saved)), saved);
    assert.deepEqual(parseWebviewState({ version: 1 }), EMPTY_WEBVIEW_STATE);
    // A state saved before the chart preferences existed gets the defaults.
    assert.deepEqual(parseWebviewState({ version: 1, hiddenMetrics: ['likes'] }).charts, EMPTY_WEBVIEW_STATE.charts);
  });

  it('refuses other versions and malformed fields', () => {
    assert.throws(() => parseWebviewState({ version: 2, selection: {} }), /state.version must be 1/);
    assert.throws(() => parseWebviewState({ selection: {} }), /state.version must be 1, got undefined/);
    assert.throws(() => parseWebviewState({ version: 1, hiddenMetrics: 'likes' }), /hiddenMetrics must be a list/);
    assert.throws(() => parseWebviewState({ version: 1, hiddenMetrics: [1] }), /hiddenMetrics must be a list/);
    assert.throws(() => parseWebviewState({ version: 1, selection: { githubRunId: 'a b' } }), /state.selection.githubRunId/);
    assert.throws(() => parseWebviewState({ version: 1, model: {} }), /unexpected field 'model'/);
    assert.throws(() => parseWebviewState({ version: 1, charts: { velocity: 'month' } }), /state.charts must hold/);
    assert.throws(() => parseWebviewState('state'), ProtocolError);
  });
});
