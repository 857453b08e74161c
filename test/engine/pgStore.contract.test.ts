/** The store contract (storeContract.ts) against Postgres, each test in a schema of its own. */
import { PgStore } from '../../src/engine/postgres/pgStore';
import { state } from '../../src/engine/states';
import { tempDir } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { storeContract } from './storeContract';

storeContract({
  name: 'postgres',
  ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}),
  space: async () => {
    const schema = freshSchema();
    const home = tempDir();
    return {
      open: (options = {}) => PgStore.open(pgUrl(), { home, schema, detectCrashed: false, ...options }),
      deadOwnerRun: async (_store, run) => {
        // Another process (its own lease) that ends without finishing its run: its lease goes with it.
        const owner = await PgStore.open(pgUrl(), { home, schema, detectCrashed: false });
        const h = await owner.createRun(run);
        await h.setState(state('Running'));
        await owner.close();
        return h.id;
      },
    };
  },
});
