/**
 * `--store URL` (or `--store=URL`) anywhere on the line: the store for every command, as FLOWDECK_STORE
 * (so runs mask its password like the variable's). Read by the entry too, which forks a run's worker with
 * the environment the run will have; it imports nothing but Node for that reason.
 */
export class StoreOptionError extends Error {
  override readonly name = 'StoreOptionError';
}

/** The arguments without `--store`, and the environment with FLOWDECK_STORE set from it if it was given. */
export function takeStoreOption(argv: readonly string[], env: NodeJS.ProcessEnv): { argv: string[]; env: NodeJS.ProcessEnv } {
  const rest: string[] = [];
  let store: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--store') {
      if (i + 1 >= argv.length) throw new StoreOptionError('--store needs a value: a postgres:// URL');
      store = argv[++i]!;
    } else if (a.startsWith('--store=')) store = a.slice('--store='.length);
    else rest.push(a);
  }
  return { argv: rest, env: store === undefined ? env : { ...env, FLOWDECK_STORE: store } };
}
