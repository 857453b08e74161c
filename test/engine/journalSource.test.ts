import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { journalSourceOf } from '../../src/engine/journalSource';
import type { RunRecord } from '../../src/engine/records';
import { tempDir } from '../support/engine';

describe("following a run's journal", { timeout: 60_000 }, () => {
  it('passes over task runs, results and artifacts for a reader of logs, and keeps artifacts for one that shows progress', async () => {
    const store = await EmbeddedStore.open(tempDir());
    try {
      const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
      const id = h.id;
      await h.append([
        { k: 'log', runId: id, ts: 1, level: 'INFO', source: 's', message: 'one' },
        { k: 'trun', runId: id, id: 't1', name: 'work-0', taskName: 'work', ts: 1, state: 'Completed', start: 1, end: 2 },
        { k: 'artifact', runId: id, key: 'import', ts: 3, data: { kind: 'progress', progress: 45 } },
        { k: 'result', runId: id, taskRunId: 't1', note: 'not kept' },
        { k: 'log', runId: id, ts: 4, level: 'INFO', source: 's', message: 'two' },
      ]);
      await h.close();
      const kinds = async (options: Parameters<typeof journalSourceOf>[2]): Promise<string[]> => {
        const seen: string[] = [];
        await journalSourceOf(store, id, options).read(0, (records: RunRecord[]) => void seen.push(...records.map((r) => r.k)));
        return seen;
      };
      assert.deepEqual(await kinds({ logsAndRun: true }), ['run', 'log', 'log']);
      assert.deepEqual(await kinds({ logsAndRun: true, artifacts: true }), ['run', 'log', 'artifact', 'log']);
      assert.deepEqual(await kinds({}), ['run', 'log', 'trun', 'artifact', 'result', 'log']);
    } finally {
      await store.close();
    }
  });
});
