import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { anyToResume, isToResume } from '../../src/engine/crashedToResume';
import type { FlowRunSummary } from '../../src/engine/records';
import { CRASHED_HOST_MESSAGE } from '../../src/engine/runStore';
import { tempDir } from '../support/engine';

const crashed = (over: Partial<FlowRunSummary> = {}): FlowRunSummary =>
  ({
    id: 'r1',
    name: 'calm-otter',
    flowName: 'nightly',
    state: { type: 'CRASHED', name: 'Crashed', timestamp: 1, message: CRASHED_HOST_MESSAGE },
    resumeOnCrash: true,
    ...over,
  }) as FlowRunSummary;

test('a run is resumed by itself only when it is a flow run of its own of a resumeOnCrash flow whose host died', { timeout: 10_000 }, () => {
  assert.equal(isToResume(crashed()), true);
  assert.equal(isToResume(crashed({ resumeOnCrash: false })), false, 'its flow does not ask for it');
  assert.equal(isToResume(crashed({ parentRunId: 'p1' })), false, 'a subflow run is resumed with its flow run');
  assert.equal(isToResume(crashed({ state: { type: 'CRASHED', name: 'Crashed', timestamp: 1, message: 'the worker process exited with code 1' } })), false, 'its worker died under a live host: not a host that died');
  assert.equal(isToResume(crashed({ state: { type: 'FAILED', name: 'Failed', timestamp: 1, message: CRASHED_HOST_MESSAGE } })), false);
});

test('anyToResume reads the runs named (a run deleted meanwhile is none) and says whether one is to resume', { timeout: 30_000 }, async () => {
  const store = await EmbeddedStore.open(tempDir());
  try {
    assert.equal(await anyToResume(store, []), false);
    assert.equal(await anyToResume(store, ['no-such-run']), false);
    const calls: string[] = [];
    const fake = { get: async (id: string) => (calls.push(id), id === 'gone' ? undefined : crashed({ id })) } as unknown as EmbeddedStore;
    assert.equal(await anyToResume(fake, ['gone', 'r2', 'r2']), true);
    assert.deepEqual(calls.sort(), ['gone', 'r2'], 'each run read once');
  } finally {
    await store.close();
  }
});
