/**
 * Small values flows keep across runs (`getRunContext().kv`: ETags, cursors), by namespace and key.
 * Values arrive masked from the worker; namespaces and keys are hashed into folder and file names (either may
 * hold a secret, and any string is one of its own: `a b` is not `a_b`), and checked on reading.
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
    const hash = keyHash(key);
    const dir = join(this.home, 'kv', `ns-${keyHash(namespace).slice(0, 40)}`);
    return { dir, file: join(dir, `${hash.slice(0, 40)}.json`), hash };
  }

  /**
   * Where Flowdeck before 0.2 kept the entry: a folder named after the namespace, its other characters made
   * `_`. Read only for a namespace that name is exactly (a folder shared by `a b` and `a_b` is no one's).
   */
  private legacyFile(namespace: string, key: string): string | undefined {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(namespace)) return undefined;
    return join(this.home, 'kv', namespace, `${keyHash(key).slice(0, 40)}.json`);
  }

  async get(namespace: string, key: string): Promise<unknown> {
    const { file, hash } = this.file(namespace, key);
    const legacy = this.legacyFile(namespace, key);
    for (const path of legacy === undefined ? [file] : [file, legacy]) {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        continue;
      }
      try {
        const entry = JSON.parse(text) as { keyHash?: string; key?: string; value: unknown };
        // 0.1.0 kept the key itself; later versions keep only its hash (a key may hold a secret).
        return entry.keyHash === hash || (entry.keyHash === undefined && entry.key === key) ? entry.value : undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  async set(namespace: string, key: string, value: unknown): Promise<void> {
    const { dir, file, hash } = this.file(namespace, key);
    const text = JSON.stringify({ keyHash: hash, value });
    if (Buffer.byteLength(text) > MAX_KV_VALUE_BYTES) throw new RangeError(`kv value for '${namespace}' is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_KV_VALUE_BYTES} (keep large data in task results)`);
    await privateDir(dir);
    await replaceFile(file, text);
  }
}
