/**
 * Small values flows keep across runs (`getRunContext().kv`: ETags, cursors), by namespace and key.
 * Values arrive masked from the worker; keys are hashed into file names and checked on reading.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyHash } from './resultCache';
import { replaceFile } from './replaceFile';
import { privateDir } from './storeHome';

export interface KeyValueStore {
  get(namespace: string, key: string): Promise<unknown>;
  set(namespace: string, key: string, value: unknown): Promise<void>;
}

/** Bounds what one value may take, so a flow cannot fill the disk through its key-value store by mistake. */
export const MAX_KV_VALUE_BYTES = 1024 * 1024;

export class FileKeyValueStore implements KeyValueStore {
  constructor(private readonly home: string) {}

  private file(namespace: string, key: string): { dir: string; file: string; hash: string } {
    const ns = namespace.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64).replace(/^\.+/, '_') || '_';
    const hash = keyHash(key);
    const dir = join(this.home, 'kv', ns);
    return { dir, file: join(dir, `${hash.slice(0, 40)}.json`), hash };
  }

  async get(namespace: string, key: string): Promise<unknown> {
    const { file, hash } = this.file(namespace, key);
    try {
      const entry = JSON.parse(await readFile(file, 'utf8')) as { keyHash?: string; key?: string; value: unknown };
      // 0.1.0 kept the key itself; this version keeps only its hash (a key may hold a secret).
      return entry.keyHash === hash || (entry.keyHash === undefined && entry.key === key) ? entry.value : undefined;
    } catch {
      return undefined;
    }
  }

  async set(namespace: string, key: string, value: unknown): Promise<void> {
    const { dir, file, hash } = this.file(namespace, key);
    const text = JSON.stringify({ keyHash: hash, value });
    if (Buffer.byteLength(text) > MAX_KV_VALUE_BYTES) throw new RangeError(`kv value for '${namespace}' is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_KV_VALUE_BYTES} (keep large data in task results)`);
    await privateDir(dir);
    await replaceFile(file, text);
  }
}
