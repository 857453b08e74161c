/**
 * What a loaded flow adds to a run made ahead (runFlowFacts.ts), and how its record and the index's state
 * record read back from a store line that anything could have written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { currentProcess } from '../../src/engine/processIdentity';
import { CRASHED_HOST_MESSAGE } from '../../src/engine/runStore';
import { asIndexRecord, asRunRecord } from '../../src/engine/recordShape';
import { flowFacts } from '../../src/engine/runFlowFacts';
import { MAX_RUN_TAGS } from '../../src/engine/runTags';
import { state } from '../../src/engine/states';
import { tempDir } from '../support/engine';

describe('flowFacts', { timeout: 10_000 }, () => {
  it("adds the flow's resumeOnCrash and the tags the run lacks; nothing when it has them", () => {
    assert.deepEqual(flowFacts({ tags: ['nightly'] }, { resumeOnCrash: true, tags: ['etl', 'nightly'] }), { resumeOnCrash: true, tags: ['nightly', 'etl'] });
    assert.deepEqual(flowFacts({}, { tags: ['etl'] }), { tags: ['etl'] });
    assert.equal(flowFacts({ resumeOnCrash: true, tags: ['etl'] }, { resumeOnCrash: true, tags: ['etl'] }), undefined);
    assert.equal(flowFacts({}, {}), undefined);
    assert.equal(flowFacts({}, undefined), undefined);
  });

  it('takes no tags a worker sent that are not tags, and adds none past the limit', () => {
    assert.equal(flowFacts({}, { tags: ['fine', 'not a tag'] }), undefined);
    const full = Array.from({ length: MAX_RUN_TAGS }, (_, i) => `t${i}`);
    assert.equal(flowFacts({ tags: full }, { tags: ['one-more'] }), undefined);
    assert.deepEqual(flowFacts({ tags: full.slice(1) }, { tags: ['a', 'b'] })?.tags, [...full.slice(1), 'a']);
  });
});

describe('flow facts read back from store lines', { timeout: 10_000 }, () => {
  it('keeps a flow record and an index state record as written', () => {
    assert.deepEqual(asRunRecord({ k: 'flow', ts: 5, resumeOnCrash: true, tags: ['etl'] }, 'r1'), { k: 'flow', runId: 'r1', ts: 5, resumeOnCrash: true, tags: ['etl'] });
    const s = state('Pending', undefined, 5);
    assert.deepEqual(asIndexRecord({ k: 'state', id: 'r1', seq: 2, state: s, resumeOnCrash: true, tags: ['etl'] }), { k: 'state', id: 'r1', seq: 2, state: s, resumeOnCrash: true, tags: ['etl'] });
  });

  it('drops what is not a flag or tags, keeping the rest of the line', () => {
    assert.deepEqual(asRunRecord({ k: 'flow', ts: 5, resumeOnCrash: 'yes', tags: ['a b'] }, 'r1'), { k: 'flow', runId: 'r1', ts: 5 });
    assert.equal(asRunRecord({ k: 'flow', resumeOnCrash: true }, 'r1'), undefined);
    const s = state('Pending', undefined, 5);
    assert.deepEqual(asIndexRecord({ k: 'state', id: 'r1', seq: 2, state: s, resumeOnCrash: 1, tags: 'etl' }), { k: 'state', id: 'r1', seq: 2, state: s });
  });
});

describe('what a flow said of a run, when its host died as it took the run up (embedded)', { timeout: 30_000 }, () => {
  it('is read from the journal as the run is settled Crashed: its resumeOnCrash (so it is resumed) and tags kept', async () => {
    const home = tempDir();
    const store = await EmbeddedStore.open(home, { detectCrashed: false });
    after(() => store.close());
    // A process that has exited took the run up: the journal has what its flow said, the index does not.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {}, state: state('Scheduled'), owner: { ...currentProcess(), pid: dead, startTicks: 1 } });
    const ts = Date.now();
    await h.append([
      { k: 'state', runId: h.id, name: 'Pending', ts },
      { k: 'flow', runId: h.id, ts, resumeOnCrash: true, tags: ['etl'] },
    ]);
    await h.close();
    assert.equal((await store.get(h.id))?.resumeOnCrash, undefined);
    const look = await EmbeddedStore.open(home, { readOnly: true, detectCrashed: false });
    after(() => look.close());
    assert.deepEqual(await look.markCrashed(), [h.id]);
    assert.equal((await look.get(h.id))?.resumeOnCrash, true, 'shown so by a read-only look');
    assert.deepEqual(await store.markCrashed(), [h.id]);
    const again = await EmbeddedStore.open(home, { readOnly: true, detectCrashed: false });
    after(() => again.close());
    const crashed = (await again.get(h.id))!;
    assert.equal(crashed.state.name, 'Crashed');
    assert.equal(crashed.state.message, CRASHED_HOST_MESSAGE);
    assert.equal(crashed.resumeOnCrash, true);
    assert.deepEqual(crashed.tags, ['etl']);
  });
});
