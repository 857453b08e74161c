/**
 * `flowdeck cancel` while the Postgres store is out of reach — the server stopped (refused at once), or a
 * network that drops every packet (nothing answers: the connection times out after 15 s) — says plainly that
 * the store could not be opened, exit 2. Against the silent network it waited twice the connection timeout
 * (30 s): the store it could not open, closing, tried a second connection to give back a lease it never had.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../support/engine';

describe('flowdeck cancel with the Postgres store out of reach', { timeout: 120_000 }, () => {
  it('a server that is not there: says it could not open the store, exit 2', async () => {
    // A port nothing listens on: a listener opened and closed again.
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
    const r = await runCli(['cancel', 'some-run'], { env: { FLOWDECK_STORE: `postgres://flowdeck@127.0.0.1:${port}/flowdeck`, FLOWDECK_HOME: tempDir() }, timeoutMs: 60_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Could not open the run store in the Postgres store postgres:\/\/flowdeck@127\.0\.0\.1:\d+\/flowdeck: .*ECONNREFUSED.*is the server running/);
  });

  it('a network where nothing answers: says so once the connection times out, having tried one connection, exit 2', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const r = await runCli(['cancel', 'some-run'], { env: { FLOWDECK_STORE: `postgres://flowdeck@127.0.0.1:${port}/flowdeck`, FLOWDECK_HOME: tempDir() }, timeoutMs: 90_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Could not open the run store in the Postgres store .*: Connection terminated due to connection timeout \(is the server running and reachable from this machine\?\)/);
      assert.equal(sockets.size, 1, `${sockets.size} connections tried`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
