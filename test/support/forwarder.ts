/**
 * A TCP forwarder to a server on loopback (Postgres), for tests that put a connection of their own between
 * a process and the database: `cut` drops every connection through it and refuses new ones (as a network
 * that went away), `restore` lets them through again; `loseCommitAnswer` cuts the moment a transaction's
 * commit has gone to the server, before its answer comes back (the one outcome a client cannot know).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Forwarder {
  port: number;
  /** The URL with its host and port replaced by the forwarder's. */
  url(base: string): string;
  cut(): void;
  restore(): void;
  /**
   * Armed once: the next `commit` sent on a connection whose transaction sent a statement containing
   * `statement` reaches the server, its answer is lost, and every connection is cut for `ms`. Resolves when
   * that cut is over.
   */
  loseCommitAnswer(statement: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startForwarder(listenHost: string, targetPort: number): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  let cut = false;
  let armed: { statement: Buffer; ms: number; done: () => void } | undefined;
  const COMMIT = Buffer.from('commit\0');
  const BEGIN = Buffer.from('begin\0');
  const server: Server = createServer((inbound) => {
    if (cut) {
      inbound.destroy();
      return;
    }
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(inbound).add(outbound);
    // node-postgres sends one statement and waits for its answer: a chunk holds one statement's messages.
    let sawStatement = false;
    let commitSent = false;
    const close = (): void => {
      inbound.destroy();
      // A commit on its way keeps its socket until the server has read it (end: the data, then a FIN).
      if (!commitSent) outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('data', (chunk: Buffer) => {
      if (chunk.includes(BEGIN)) sawStatement = false;
      if (armed && chunk.includes(armed.statement)) sawStatement = true;
      if (armed && sawStatement && chunk.includes(COMMIT)) {
        const { ms, done } = armed;
        armed = undefined;
        commitSent = true;
        outbound.unpipe(inbound);
        outbound.resume();
        outbound.end(chunk);
        cut = true;
        dropAllBut(outbound);
        setTimeout(() => {
          cut = false;
          done();
        }, ms);
        return;
      }
      if (!outbound.write(chunk)) inbound.pause();
    });
    outbound.on('drain', () => inbound.resume());
    outbound.pipe(inbound);
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
  });
  await new Promise<void>((res, rej) => server.once('error', rej).listen(0, listenHost, () => res()));
  const port = (server.address() as { port: number }).port;
  const dropAllBut = (keep?: Socket): void => {
    for (const s of sockets) if (s !== keep) s.destroy();
    sockets.clear();
  };
  const dropAll = (): void => dropAllBut();
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
    loseCommitAnswer: (statement, ms) => new Promise<void>((done) => (armed = { statement: Buffer.from(statement), ms, done })),
    close: () =>
      new Promise<void>((res) => {
        dropAll();
        server.close(() => res());
      }),
  };
}
