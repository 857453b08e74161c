/** The store contract (storeContract.ts) against Postgres, each test in a schema of its own. */
import { PgStore } from '../../src/engine/postgres/pgStore';
import { state } from '../../src/engine/states';
import { join } from 'node:path';
import { inOwnProcess, ROOT, tempDir } from '../support/engine';
import { PG_SKIP, freshSchema, leaseLapsed, pgUrl } from '../support/postgres';
import { runPartsContract } from './runPartsContract';
import { scheduleAndLimitContract, storeContract, type StoreBackend } from './storeContract';

const backend: StoreBackend = {
  name: 'postgres',
  ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}),
  space: async () => {
    const schema = freshSchema();
    const home = tempDir();
    return {
      open: (options = {}) => PgStore.open(pgUrl(), { home, schema, detectCrashed: false, ...options }),
      deadOwnerRun: async (_store, run, journal) => {
        // Another process (its own lease) that ends without finishing its run: its lease goes with it.
        const owner = await PgStore.open(pgUrl(), { home, schema, detectCrashed: false });
        const h = await owner.createRun(run);
        await h.setState(state('Running'));
        if (journal) await h.append(journal(h.id));
        await owner.close();
        return h.id;
      },
      // A process killed without a word: its lease (short here) lapses, and the store counts it dead. Not
      // shorter: under a loaded machine's delays a 300 ms lease (fenced after 180 ms without a heartbeat)
      // fenced the process before its own writes went out.
      inDeadProcess: async (body) => {
        const options = JSON.stringify({ home, schema, detectCrashed: false, lease: { heartbeatMs: 400, lapseMs: 2500 } });
        const out = await inOwnProcess(`require(${JSON.stringify(join(ROOT, 'src', 'engine', 'postgres', 'pgStore.ts'))}).PgStore.open(${JSON.stringify(pgUrl())}, ${options})`, `${body} console.log('LEASE', store.lease.id);`);
        await leaseLapsed(schema, /^LEASE (\S+)$/m.exec(out)![1]!);
        return out;
      },
    };
  },
};

storeContract(backend);
scheduleAndLimitContract(backend);
runPartsContract(backend);
