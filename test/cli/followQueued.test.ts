import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { followQueued } from '../../src/cli/followQueued';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { state } from '../../src/engine/states';
import { tempDir } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

const T = { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) };

describe('following a queued run (flowdeck run --queue --wait)', T, () => {
  // Seen in CI: a flow that failed at once was reported Failed without its error, its log lines written
  // between the follower's read of the records and its look at the run's state.
  it('a run that ends while the follower looks is printed to its last line', async () => {
    const store = await PgStore.open(pgUrl(), { home: tempDir(), schema: freshSchema() });
    try {
      const h = await store.createRun({ flowName: 'fails', source: '/w/fails.flow.ts', parameters: {} });
      await h.setState(state('Running'));
      // The run ends (its error logged, then its final state) the moment the follower first asks for its state.
      let ended = false;
      const get = async (id: string): ReturnType<PgStore['get']> => {
        if (!ended) {
          ended = true;
          await h.append([
            { k: 'log', runId: h.id, ts: Date.now(), level: 'ERROR', source: 'flow', message: 'boom from the flow' },
            { k: 'state', runId: h.id, name: 'Failed', ts: Date.now(), message: 'boom from the flow' },
          ]);
          await h.setState(state('Failed', 'boom from the flow'), { endTime: Date.now() });
        }
        return store.get(id);
      };
      const watched = new Proxy(store, {
        get(target, p) {
          if (p === 'get') return get;
          const v = Reflect.get(target, p, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const stderr = new PassThrough();
      let printed = '';
      stderr.setEncoding('utf8').on('data', (c: string) => (printed += c));
      const code = await followQueued(watched, store.shared, { stdout: new PassThrough(), stderr, env: {}, cwd: '/' }, h.id, { json: false });
      assert.equal(code, 1);
      assert.match(printed, /boom from the flow/);
    } finally {
      await store.close();
    }
  });
});
