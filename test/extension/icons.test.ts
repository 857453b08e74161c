import { test } from 'node:test';
import assert from 'node:assert/strict';
import { state, type StateName } from '../../src/engine/states';
import { stateIcon } from '../../src/extension/icons';

const ALL: StateName[] = ['Scheduled', 'Late', 'AwaitingRetry', 'Pending', 'Running', 'Retrying', 'Completed', 'Cached', 'Failed', 'TimedOut', 'Cancelled', 'Cancelling', 'Crashed', 'Paused', 'Suspended'];

test('every state has an icon, coloured with a Testing view colour when it has a colour', () => {
  for (const name of ALL) {
    const icon = stateIcon(state(name));
    assert.match(icon.id, /^[a-z-]+(~spin)?$/, name);
    if (icon.color !== undefined) assert.match(icon.color, /^testing\.icon(Passed|Failed|Errored|Queued|Skipped)$/, name);
  }
});

test('runs that are going spin', () => {
  assert.equal(stateIcon(state('Running')).id, 'sync~spin');
  assert.equal(stateIcon(state('Retrying')).id, 'sync~spin');
  assert.equal(stateIcon(state('Cancelling')).id, 'sync~spin');
});

test('outcomes read like test results', () => {
  assert.deepEqual(stateIcon(state('Completed')), { id: 'pass', color: 'testing.iconPassed' });
  assert.deepEqual(stateIcon(state('Failed')), { id: 'error', color: 'testing.iconFailed' });
  assert.equal(stateIcon(state('TimedOut')).color, 'testing.iconFailed');
  assert.equal(stateIcon(state('Crashed')).color, 'testing.iconErrored');
  assert.equal(stateIcon(state('Cancelled')).color, 'testing.iconSkipped');
  assert.equal(stateIcon(state('Pending')).color, 'testing.iconQueued');
  assert.equal(stateIcon(state('Scheduled')).color, 'testing.iconQueued');
});
