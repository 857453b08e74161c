/**
 * The Postgres backend (node-postgres, graphile-worker) is a bundle of its own, dist/postgres.js, next to
 * dist/cli.js and dist/extension.js: required the first time a Postgres store is opened, so the embedded
 * store's users never load or parse it. From source (the tests) it is the module itself.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type PostgresModule = typeof import('./index');

let loaded: PostgresModule | undefined;

export function loadPostgres(): PostgresModule {
  if (loaded) return loaded;
  const bundle = join(__dirname, 'postgres.js');
  // A name the bundler cannot follow: the backend stays out of the bundle that loads it.
  const fromSource = './index';
  loaded = (existsSync(bundle) ? require(bundle) : require(fromSource)) as PostgresModule;
  return loaded;
}
