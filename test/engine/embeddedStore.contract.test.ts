/** The store contract (storeContract.ts) against the embedded store: files under a temporary FLOWDECK_HOME. */
import { spawnSync } from 'node:child_process';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { currentProcess } from '../../src/engine/processIdentity';
import { state } from '../../src/engine/states';
import { join } from 'node:path';
import { inOwnProcess, ROOT, tempDir } from '../support/engine';
import { runPartsContract } from './runPartsContract';
import { scheduleAndLimitContract, storeContract, type StoreBackend } from './storeContract';

const backend: StoreBackend = {
  name: 'embedded',
  space: async () => {
    const home = tempDir();
    return {
      open: (options = {}) => EmbeddedStore.open(home, { ...options, detectCrashed: false }),
      deadOwnerRun: async (store, run, journal) => {
        // A process that has exited: its PID (with another start time) no longer names a live process.
        const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
        const h = await store.createRun({ ...run, owner: { ...currentProcess(), pid: dead, startTicks: 1 } });
        await h.setState(state('Running'));
        if (journal) await h.append(journal(h.id));
        await h.close();
        return h.id;
      },
      // An exited process's PID no longer names a live process.
      inDeadProcess: (body) => inOwnProcess(`require(${JSON.stringify(join(ROOT, 'src', 'engine', 'embeddedStore.ts'))}).EmbeddedStore.open(${JSON.stringify(home)})`, body),
    };
  },
};

storeContract(backend);
scheduleAndLimitContract(backend);
runPartsContract(backend);
