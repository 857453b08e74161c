/**
 * A `flowdeck worker` stopped (SIGTERM) while the database is out of reach: it stops as asked and says why
 * its queue ended in one line — not with the stack trace graphile-worker's pool prints on the console for
 * each of its workers whose job look failed (`Trace: Error: connect ECONNREFUSED …` and a dozen frames,
 * found by a hunt: the database stopped, then the worker).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { startForwarder } from '../support/forwarder';
import { startWorker } from '../support/workers';

describe('a worker stopped while the database is away', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('exits without printing a stack trace', async () => {
    const ws = workspace({ 'ok.flow.ts': flowSource(`export default flow({ name: 'ok' }, async () => 1);`) });
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(pgUrl()).port));
    const worker = await startWorker({ url: forwarder.url(pgUrl()), schema: freshSchema(), name: 'w1', flowsDir: ws, concurrency: 2, heartbeatSeconds: 0.25, leaseSeconds: 2, args: ['--no-standby'] });
    try {
      forwarder.cut();
      await waitFor(() => /unreachable|lost the lease/.test(worker.output()), 'the worker to find the database away', 30_000);
      await worker.stop();
      const out = worker.output();
      assert.doesNotMatch(out, /^Trace:|\n\s+at /m, out);
    } finally {
      await worker.stop();
      await forwarder.close();
    }
  });
});
