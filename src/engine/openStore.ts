/** Opens the run store the environment points at: the embedded store under FLOWDECK_HOME. */
import { EmbeddedStore, type EmbeddedStoreOptions } from './embeddedStore';
import type { RunStore } from './runStore';
import { defaultHome } from './storeHome';

export interface OpenStoreOptions extends EmbeddedStoreOptions {
  /** The store folder; FLOWDECK_HOME or ~/.flowdeck when unset. */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

export function openStore(options: OpenStoreOptions = {}): Promise<RunStore> {
  const env = options.env ?? process.env;
  return EmbeddedStore.open(options.home ?? defaultHome(env), options);
}
