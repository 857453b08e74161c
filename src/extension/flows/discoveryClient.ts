/**
 * Flow discovery for the extension host, done by a worker thread (discoveryWorker.ts) so that parsing
 * never blocks the host. The worker answers in order; when the request it is on takes longer than the
 * timeout, the worker is ended (the next request starts a fresh one) and everything it still had is
 * answered with an error.
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileFlows } from '../../engine/flowDiscovery';
import { MAX_SCAN_BYTES, tooLargeToScan } from '../../engine/scanLimit';
import type { DiscoveryReply, DiscoveryRequest } from './discoveryProtocol';

interface Pending {
  file: string;
  resolve(result: FileFlows): void;
}

export class DiscoveryClient {
  private worker?: Worker;
  private nextId = 1;
  /** In the order sent, which is the order the worker answers in. */
  private readonly pending = new Map<number, Pending>();
  private timer?: NodeJS.Timeout;

  /** `workerPath`: the discovery worker bundle, dist/discovery-worker.js. */
  constructor(
    private readonly workerPath: string,
    private readonly timeoutMs = 60_000,
  ) {}

  /** The flows in a file on disk. */
  file(file: string): Promise<FileFlows> {
    return this.request({ file: resolve(file) });
  }

  /** The flows in `text`, an editor's content of `file`. Text over the scan limit is not sent. */
  text(file: string, text: string): Promise<FileFlows> {
    // Each UTF-16 unit takes at least one byte in UTF-8: a length over the limit is a size over it.
    if (text.length > MAX_SCAN_BYTES) return Promise.resolve(tooLargeToScan(file, text.length));
    return this.request({ file, text });
  }

  dispose(): void {
    this.stop('Flowdeck is shutting down');
  }

  private request(body: Omit<DiscoveryRequest, 'id'>): Promise<FileFlows> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolveResult) => {
      this.pending.set(id, { file: body.file, resolve: resolveResult });
      worker.ref();
      worker.postMessage({ id, ...body } satisfies DiscoveryRequest);
      this.arm();
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerPath);
    worker.on('message', (reply: DiscoveryReply) => this.settle(reply.id, reply.result));
    worker.on('error', (e) => this.stop(`the scanner failed: ${e.message}`));
    worker.on('exit', () => this.worker === worker && this.stop('the scanner stopped'));
    this.worker = worker;
    return worker;
  }

  /** Times the request the worker is on: the oldest one. */
  private arm(): void {
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => this.stop(`scanning took longer than ${Math.round(this.timeoutMs / 1000)} s`), this.timeoutMs);
  }

  private settle(id: number, result: FileFlows): void {
    const p = this.pending.get(id);
    if (!p) return;
    const wasOldest = this.pending.keys().next().value === id;
    this.pending.delete(id);
    if (wasOldest) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.arm();
    }
    // An idle scanner must not keep the process alive.
    if (this.pending.size === 0) this.worker?.unref();
    p.resolve(result);
  }

  /** Ends the worker and answers everything it still had with `reason`. */
  private stop(reason: string): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    for (const [id, p] of this.pending) this.settle(id, { file: p.file, flows: [], problems: [], error: { kind: 'scan-failed', message: `could not be scanned: ${reason}` } });
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
