import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FlowRunDetail } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { failureNoticeOf } from '../../src/extension/runs/failureNoticeModel';
import { flowSource, makeRunner, tempDir, workspace } from '../support/engine';

// Found on review: the notification of a run failed by a subflow run it awaited offered no Go to Failure
// (the run's own state has no line), though the run details' Go to Failure goes to the subflow run's line.
describe('the failure notification of a run started from the editor', { timeout: 180_000 }, () => {
  it("offers Go to Failure when the run failed at a line: its own, or a subflow run's it awaited; not when no line is known", async () => {
    const ws = workspace({
      'sub.flow.ts': flowSource(`const inner = flow({ name: 'inner' }, async () => { throw new Error('child broke'); });
const lineless = flow({ name: 'lineless' }, async () => { throw 'no stack'; });
export const direct = flow({ name: 'direct' }, async () => { await inner(); });
export const noLine = flow({ name: 'no-line' }, async () => { await lineless(); });
export const plain = flow({ name: 'plain' }, async () => { throw new Error('own failure'); });`),
    });
    const { store, runner } = await makeRunner(tempDir());
    const run = (flowName: string) => runner.start({ source: { kind: 'file', path: join(ws, 'sub.flow.ts') }, flowName }).then((r) => r.done);
    const actionsOf = async (flowName: string, of: () => Promise<RunStore> = async () => store) => (await failureNoticeOf(await run(flowName), of))?.actions;

    assert.deepEqual(await actionsOf('direct'), ['Open Run', 'Go to Failure', 'Retry from Failure'], "the subflow run's line");
    assert.deepEqual(await actionsOf('plain'), ['Open Run', 'Go to Failure', 'Retry from Failure']);
    assert.deepEqual(await actionsOf('no-line'), ['Open Run', 'Retry from Failure']);
    // The store unreachable as the run ends: the notification still says so, without the way it cannot find.
    const unreachable = async (): Promise<RunStore> => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    assert.deepEqual(await actionsOf('direct', unreachable), ['Open Run', 'Retry from Failure']);
    const notice = (await failureNoticeOf(await run('direct'), async () => store))!;
    assert.match(notice.text, /^Flow run '.+' of flow 'direct' ended Failed: Subflow run '.+' ended in state Failed\('child broke'\)$/);
  });
});

describe('the failure notification text', () => {
  it("says a crash's state name once, its message beginning with it or missing", { timeout: 60_000 }, async () => {
    const detail = (message: string | undefined) => ({ id: 'x', name: 'brave-otter', flowName: 'etl', parentRunId: 'p', state: { type: 'CRASHED', name: 'Crashed', timestamp: 1, ...(message !== undefined ? { message } : {}) } }) as unknown as FlowRunDetail;
    const none = async (): Promise<RunStore> => {
      throw new Error('not read');
    };
    assert.equal((await failureNoticeOf(detail('Crashed: worker exited with code 3'), none))!.text, "Flow run 'brave-otter' of flow 'etl' ended Crashed: worker exited with code 3");
    assert.equal((await failureNoticeOf(detail(undefined), none))!.text, "Flow run 'brave-otter' of flow 'etl' ended Crashed");
    assert.equal((await failureNoticeOf(detail('host process ended'), none))!.text, "Flow run 'brave-otter' of flow 'etl' ended Crashed: host process ended");
  });
});
