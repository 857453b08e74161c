/**
 * What a connection's wait for the Postgres server says: a server with no free connection (53300, 53400) and
 * one shutting down or starting up (57P03, during a restart) are told apart, while waiting and after.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FreeSlotWait, NoFreeSlotError, waitText } from '../../src/engine/postgres/freeSlotWait';

/** A refusal as node-postgres gives it: the server's words and its SQLSTATE. */
function refusal(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

describe('waiting for the Postgres server to take a connection', () => {
  it('says the server has no free connection for 53300 and 53400, and that it is shutting down or starting up for 57P03', () => {
    assert.equal(
      waitText(refusal('53300', 'too many connections for role "app"'), 60_000),
      'the Postgres server has no free connection for this process (too many connections for role "app"): it waits for a free connection, up to 60 s',
    );
    assert.equal(
      waitText(refusal('53400', 'too many connections for database "flows"'), 60_000),
      'the Postgres server has no free connection for this process (too many connections for database "flows"): it waits for a free connection, up to 60 s',
    );
    assert.equal(
      waitText(refusal('57P03', 'the database system is shutting down'), 60_000),
      'the Postgres server is shutting down or starting up (the database system is shutting down): it waits for the server to take connections again, up to 60 s',
    );
    assert.equal(
      waitText(refusal('57P03', 'the database system is starting up'), 30_000),
      'the Postgres server is shutting down or starting up (the database system is starting up): it waits for the server to take connections again, up to 30 s',
    );
  });

  it('a connection refused during a restart says so as it waits, once, and after waiting in vain names the restart, not a connection limit', async () => {
    const said: string[] = [];
    const wait = new FreeSlotWait({ waitMs: 1000, onWait: (m) => said.push(m) });
    const error = await wait.connect(() => Promise.reject(refusal('57P03', 'the database system is shutting down'))).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.deepEqual(said, ['the Postgres server is shutting down or starting up (the database system is shutting down): it waits for the server to take connections again, up to 1 s']);
    assert.ok(error instanceof NoFreeSlotError);
    assert.match(error.message, /^the database system is shutting down, still after waiting \d+ s for the server to take connections again\. /);
    assert.doesNotMatch(error.message, /CONNECTION LIMIT|max_connections/);
    assert.equal(error.code, '57P03');
  });
});
