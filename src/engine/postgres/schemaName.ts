/**
 * The name of the Postgres schema a Flowdeck store lives in (FLOWDECK_STORE_SCHEMA, default `flowdeck`).
 * Kept apart from the backend so that a bad name is refused before it is loaded or a connection is made.
 */
import { StoreSettingError } from '../storeErrors';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,40}$/;

/** The name, or a StoreSettingError (bad input) saying what a name may be; `setting` names where it came from. */
export function checkSchemaName(schema: string, setting = 'The schema name'): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreSettingError(`${setting} must be a schema name for the Flowdeck store: lowercase letters, digits and _, not starting with a digit, at most 41 characters (got ${JSON.stringify(schema)}); leave it unset for 'flowdeck'`);
  }
  return schema;
}
