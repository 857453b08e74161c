import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logLineMatches, parseRunDetailsMessage, parseRunDetailsState, ProtocolError } from '../../src/webview/runDetails/protocol';

const bad = (value: unknown, pattern: RegExp) => assert.throws(() => parseRunDetailsMessage(value), (e: unknown) => e instanceof ProtocolError && pattern.test(e.message));

test('the messages a run details panel may send are parsed into exactly their fields', () => {
  assert.deepEqual(parseRunDetailsMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseRunDetailsMessage({ type: 'action', req: 3, action: 'retryFromFailure' }), { type: 'action', req: 3, action: 'retryFromFailure' });
  assert.deepEqual(parseRunDetailsMessage({ type: 'goToFailure', req: 4 }), { type: 'goToFailure', req: 4 });
  assert.deepEqual(parseRunDetailsMessage({ type: 'goToFailure', req: 4, taskRunId: 'ab12-3' }), { type: 'goToFailure', req: 4, taskRunId: 'ab12-3' });
  assert.deepEqual(parseRunDetailsMessage({ type: 'openRun', req: 5, runId: 'a1b2-c3' }), { type: 'openRun', req: 5, runId: 'a1b2-c3' });
  assert.deepEqual(parseRunDetailsMessage({ type: 'exportLogs', req: 6, to: 'file', filter: { minLevel: 'WARNING', taskName: 'fetch', search: 'quota' } }), {
    type: 'exportLogs',
    req: 6,
    to: 'file',
    filter: { minLevel: 'WARNING', taskName: 'fetch', search: 'quota' },
  });
  assert.deepEqual(parseRunDetailsMessage({ type: 'expandResult', req: 7, path: ['rows', 3, 'name'], offset: 200 }), { type: 'expandResult', req: 7, path: ['rows', 3, 'name'], offset: 200 });
});

test('anything else is refused, saying what was wrong', () => {
  bad(null, /message must be an object/);
  bad({ type: 'eval', code: '1' }, /unknown message type 'eval'/);
  bad({ type: 'ready', extra: 1 }, /unexpected field 'extra'/);
  bad({ type: 'action', req: 1, action: 'deleteEverything' }, /action must be one of/);
  bad({ type: 'action', req: -1, action: 'cancel' }, /request number/);
  bad({ type: 'action', req: 1.5, action: 'cancel' }, /request number/);
  bad({ type: 'openRun', req: 1, runId: '../../etc/passwd' }, /not a run id/);
  bad({ type: 'exportLogs', req: 1, to: 'http://evil', filter: { minLevel: 'INFO' } }, /'clipboard' or 'file'/);
  bad({ type: 'exportLogs', req: 1, to: 'file', filter: { minLevel: 'LOUD' } }, /minLevel must be one of/);
  bad({ type: 'exportLogs', req: 1, to: 'file', filter: { minLevel: 'INFO', search: 'x'.repeat(501) } }, /longer than 500/);
  bad({ type: 'expandResult', req: 1, path: new Array(65).fill('a'), offset: 0 }, /at most 64 keys/);
  bad({ type: 'expandResult', req: 1, path: [{}], offset: 0 }, /path\[0\] must be a string/);
  bad({ type: 'expandResult', req: 1, path: [], offset: -3 }, /offset must be a whole number/);
});

test('the saved state is a run id and nothing else', () => {
  assert.deepEqual(parseRunDetailsState({ version: 1, runId: 'abc-123' }), { version: 1, runId: 'abc-123' });
  assert.throws(() => parseRunDetailsState({ version: 2, runId: 'abc' }), ProtocolError);
  assert.throws(() => parseRunDetailsState({ version: 1, runId: 'a/b' }), ProtocolError);
  assert.throws(() => parseRunDetailsState(undefined), ProtocolError);
});

test('an export keeps the lines the panel shows: level, task run or task, text', () => {
  const line = (level: 'INFO' | 'ERROR', message: string, taskRunId?: string) => ({ ts: 1, level, source: "Task run 'fetch-0'", message, ...(taskRunId ? { taskRunId } : {}) });
  const taskOf = (id: string) => (id.startsWith('f') ? 'fetch' : 'load');
  assert.equal(logLineMatches({ minLevel: 'ERROR' }, line('INFO', 'x'), taskOf), false);
  assert.equal(logLineMatches({ minLevel: 'INFO', taskRunId: 'f1' }, line('INFO', 'x', 'f1'), taskOf), true);
  assert.equal(logLineMatches({ minLevel: 'INFO', taskRunId: 'f1' }, line('INFO', 'x', 'f2'), taskOf), false);
  assert.equal(logLineMatches({ minLevel: 'INFO', taskName: 'fetch' }, line('INFO', 'x', 'f2'), taskOf), true);
  assert.equal(logLineMatches({ minLevel: 'INFO', taskName: 'fetch' }, line('INFO', 'x'), taskOf), false, "the flow run's own lines are no task's");
  assert.equal(logLineMatches({ minLevel: 'INFO', search: 'FETCH-0' }, line('INFO', 'x'), taskOf), true, 'the source is searched too, ignoring case');
});
