/**
 * A TCP forwarder to a server on loopback (Postgres), for tests that put a connection of their own between
 * a process and the database: `cut` drops every connection through it and refuses new ones (as a network
 * that went away), `restore` lets them through again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Forwarder {
  port: number;
  /** The URL with its host and port replaced by the forwarder's. */
  url(base: string): string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startForwarder(listenHost: string, targetPort: number): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((inbound) => {
    if (cut) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const close = (): void => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  });
  await new Promise<void>((res, rej) => server.once('error', rej).listen(0, listenHost, () => res()));
  const port = (server.address() as { port: number }).port;
  const dropAll = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port,
    url: (base) => {
      const u = new URL(base);
      u.hostname = listenHost;
      u.port = String(port);
      return u.toString();
    },
    cut: () => {
      cut = true;
      dropAll();
    },
    restore: () => {
      cut = false;
    },
    close: () =>
      new Promise<void>((res) => {
        dropAll();
        server.close(() => res());
      }),
  };
}
