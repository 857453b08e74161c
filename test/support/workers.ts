/**
 * `flowdeck worker` processes for tests: each with a host name of its own and its own FLOWDECK_HOME (as a
 * machine of its own would have), optionally inside a network namespace of its own (as root, where `ip
 * netns` works): it then reaches Postgres only through a veth link and a forwarder in this process, and
 * `cutNetwork` takes that link down. Every worker, namespace and forwarder is gone when the file's tests end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { CLI, ROOT, tempDir, waitFor } from './engine';
import { startForwarder } from './forwarder';

export interface WorkerProc {
  name: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited in time. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
  exited: Promise<void>;
  /** Set for a worker in a namespace of its own. */
  netns?: Netns;
}

export interface Netns {
  name: string;
  cut(): void;
  restore(): void;
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// A file the test runner stops (its timeout) gets SIGTERM and runs no `after` hooks: its workers would
// live on, orphaned. They go with it.
const live = new Set<ChildProcess>();
process.once('SIGTERM', () => {
  for (const c of live) c.kill('SIGKILL');
  process.exit(143);
});

/** Whether workers can be put in network namespaces here (root, `ip netns` works); the reason when not. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  const name = `fdchk${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add failed: ${(add.stderr || add.error?.message || '').trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return undefined;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

let nextSubnet = 1 + (process.pid % 200);

/**
 * A namespace linked to this one by a veth pair (10.213.N.1 here, .2 inside: addresses of our own test
 * hosts, nothing else), and a forwarder on 10.213.N.1 to Postgres on loopback.
 */
async function makeNetns(pgPort: number): Promise<{ ns: Netns; url: (base: string) => string }> {
  const id = randomBytes(3).toString('hex');
  const name = `fd${id}`;
  const subnet = nextSubnet++ % 250;
  const hostIf = `fdh${id}`;
  const nsIf = `fdn${id}`;
  const hostIp = `10.213.${subnet}.1`;
  const nsIp = `10.213.${subnet}.2`;
  ip('netns', 'add', name);
  cleanups.push(() => void spawnSync('ip', ['netns', 'del', name]));
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
  cleanups.push(() => void spawnSync('ip', ['link', 'del', hostIf]));
  ip('link', 'set', nsIf, 'netns', name);
  ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ip('netns', 'exec', name, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
  ip('netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up');
  ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  const forwarder = await startForwarder(hostIp, pgPort);
  cleanups.push(() => forwarder.close());
  return {
    ns: {
      name,
      // The link goes down inside the namespace: packets stop both ways, no reset is sent (as a pulled cable).
      cut: () => ip('netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'down'),
      restore: () => {
        ip('netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up');
        ip('netns', 'exec', name, 'ip', 'addr', 'replace', `${nsIp}/30`, 'dev', nsIf);
      },
    },
    url: (base) => forwarder.url(base),
  };
}

export interface WorkerSpec {
  url: string;
  schema: string;
  name: string;
  flowsDir: string;
  concurrency?: number;
  queue?: string;
  heartbeatSeconds?: number;
  leaseSeconds?: number;
  env?: NodeJS.ProcessEnv;
  /** Run it in a network namespace of its own. */
  netns?: boolean;
  /** More options for `flowdeck worker`. */
  args?: string[];
}

export async function startWorker(spec: WorkerSpec): Promise<WorkerProc> {
  let url = spec.url;
  let netns: Netns | undefined;
  if (spec.netns) {
    const made = await makeNetns(Number(new URL(spec.url).port));
    netns = made.ns;
    url = made.url(spec.url);
  }
  const args = [CLI, 'worker', '--name', spec.name, '--flows', spec.flowsDir, '--concurrency', String(spec.concurrency ?? 2), '--queue', spec.queue ?? 'default'];
  if (spec.heartbeatSeconds !== undefined) args.push('--heartbeat', String(spec.heartbeatSeconds));
  if (spec.leaseSeconds !== undefined) args.push('--lease', String(spec.leaseSeconds));
  args.push(...(spec.args ?? []));
  const env = { ...process.env, ...spec.env, FLOWDECK_STORE: url, FLOWDECK_STORE_SCHEMA: spec.schema, FLOWDECK_HOME: tempDir(`flowdeck-${spec.name}-`), EFFECT_HOST: spec.name };
  const command = netns ? 'ip' : process.execPath;
  const child = spawn(command, netns ? ['netns', 'exec', netns.name, process.execPath, ...args] : args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  live.add(child);
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  void exited.then(() => live.delete(child));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(async () => {
    netns?.restore();
    if (!gone) {
      child.kill('SIGTERM');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  });
  const w: WorkerProc = {
    name: spec.name,
    child,
    output: () => out,
    stop,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    exited,
    ...(netns ? { netns } : {}),
  };
  await waitFor(() => out.includes('serving queue') || gone, `worker ${spec.name} to start`, 60_000);
  if (gone) throw new Error(`worker ${spec.name} exited at start:\n${out}`);
  return w;
}

/** Runs `body`; a failure's message ends with what `worker` printed (why a run was not taken or did not end). */
export async function explainedBy<T>(worker: WorkerProc, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    (e as Error).message += `\nworker ${worker.name} printed:\n${worker.output().slice(-4000)}`;
    throw e;
  }
}
