/**
 * A small store file written whole or not at all: the text goes to a temporary file beside it, private to
 * the user, which is then renamed over it — a reader sees the old file or the new one, never half of one,
 * and concurrent writers each rename a file of their own (the last one wins). A failed write leaves no
 * temporary file behind, and its error names the file, not the temporary one. Not synced: for files the
 * store can lose in a crash (kv, cache entries, limits).
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { FILE_MODE } from './journalFile';
import { StoreWriteError } from './storeErrors';

export async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: FILE_MODE });
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw StoreWriteError.from(e, file);
  }
}
