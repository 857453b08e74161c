/** The Postgres backend as one bundle (dist/postgres.js), loaded only by processes that use it (load.ts). */
export { PgStore } from './pgStore';
export { QueueWorker } from './queueWorker';
