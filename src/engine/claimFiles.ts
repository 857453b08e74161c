/**
 * Claims as files, for state shared by every process using the embedded store without a lock (a
 * schedule's slot, a concurrency slot): a file created with O_EXCL that names its owner (process
 * identity) and a random nonce. One caller creates it; the others see who holds it.
 *
 * A claim whose owner is dead can be taken over, safely: only the process that creates the takeover file
 * for exactly that claim's content may replace it, and it reads the claim again just before replacing it,
 * so a claim that changed meanwhile (taken over and claimed again) is never replaced — a live owner's
 * claim never is. (fileLock.ts does the same, synchronously, for the CLI's credentials file.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { FILE_MODE } from './journalFile';
import { currentProcess, isAlive } from './processIdentity';
import type { ProcessIdentity } from './records';

export interface ClaimContent<T> {
  owner: ProcessIdentity;
  nonce: string;
  data: T;
}

/** A claim file as read: its claim, or — when it cannot be read as one (being written, or torn) — its age. */
export type HeldClaim<T> =
  | {
      /** The file's text, as judged (what a takeover compares against). */
      text: string;
      claim: ClaimContent<T>;
    }
  | {
      text: string;
      claim?: undefined;
      /** The file's age in ms: a claim that stays unreadable is abandoned. */
      ageMs: number;
    };

/** A claim that stays unreadable this long was left by a process that died while writing it. */
export const UNREADABLE_CLAIM_MS = 5_000;
/** A takeover file left by a process that died in the middle of a takeover is cleared after this long. */
const STALE_TAKEOVER_MS = 10_000;

/**
 * Creates `path` holding `text`, if no file is there (O_EXCL); false when one is. A file that could not be
 * written whole (a full disk) is closed and removed again before the error is thrown: left empty, it would
 * hold its name for nobody, and left open, Node 26 would end the process when it is collected.
 */
export async function createExclusiveFile(path: string, text: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(text);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return true;
}

/** Creates the claim; undefined when the file already exists. */
export async function createClaim<T>(path: string, data: T): Promise<ClaimContent<T> | undefined> {
  const content: ClaimContent<T> = { owner: currentProcess(), nonce: randomBytes(8).toString('hex'), data };
  return (await createExclusiveFile(path, JSON.stringify(content))) ? content : undefined;
}

/**
 * The claim at `path`, or undefined when there is none. A run claim written before claims named a nonce (the
 * bare owner) is read as a claim of that owner. The file's age is looked up only when it holds no claim.
 */
export async function readClaim<T>(path: string): Promise<HeldClaim<T> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(text) as ClaimContent<T>;
    if (v && typeof v.nonce === 'string' && v.owner && typeof v.owner.pid === 'number' && typeof v.owner.hostname === 'string') return { text, claim: v };
    const bare = v as unknown as ProcessIdentity;
    if (bare && typeof bare.pid === 'number' && typeof bare.hostname === 'string') return { text, claim: { owner: bare, nonce: '', data: undefined as T } };
  } catch {
    // Being written right now, or torn by a crash: no claim, judged by its age.
  }
  try {
    return { text, ageMs: Date.now() - (await stat(path)).mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Whether a held claim may be taken over: its owner is dead, or it has stayed unreadable too long (its writer died mid-write). */
export function isAbandoned(held: HeldClaim<unknown>): boolean {
  return held.claim ? !isAlive(held.claim.owner) : held.ageMs > UNREADABLE_CLAIM_MS;
}

async function textOf(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Replaces the claim at `path` with one of this process holding `data`, if it still reads `judged` (a claim
 * its caller found abandoned: its owner dead). Of several processes judging the same claim, one replaces
 * it and gets the new claim; the others get undefined. The new claim is renamed over the old one, so the
 * file is never missing meanwhile: a process looking then sees a claim, never a slot nobody claimed (which
 * it would claim without knowing it took it over).
 */
export async function replaceAbandoned<T>(path: string, judged: string, data: T): Promise<ClaimContent<T> | undefined> {
  const takeover = `${path}.takeover-${createHash('sha256').update(judged).digest('hex').slice(0, 16)}`;
  let fh;
  try {
    fh = await open(takeover, 'wx', FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const age = await stat(takeover).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_TAKEOVER_MS) await unlink(takeover).catch(() => undefined);
    return undefined;
  }
  await fh.close();
  try {
    if ((await textOf(path)) !== judged) return undefined;
    const content: ClaimContent<T> = { owner: currentProcess(), nonce: randomBytes(8).toString('hex'), data };
    await writeOver(path, content);
    return content;
  } finally {
    await unlink(takeover).catch(() => undefined);
  }
}

/** Removes this process's own claim (by its nonce); a claim that is no longer ours is left alone. */
export async function removeOwn(path: string, nonce: string): Promise<void> {
  const held = await readClaim(path);
  if (held?.claim?.nonce === nonce) await unlink(path).catch(() => undefined);
}

/**
 * Rewrites this process's own claim `held` (read from `path`) to hold `data`, keeping its owner and nonce:
 * written aside and renamed over it, so a reader sees the old claim or the new, never none.
 */
export async function rewriteOwn<T>(path: string, held: ClaimContent<T>, data: T): Promise<void> {
  await writeOver(path, { owner: held.owner, nonce: held.nonce, data });
}

/** Writes `content` beside `path` and renames it over it: the file is never missing, never half written. */
async function writeOver<T>(path: string, content: ClaimContent<T>): Promise<void> {
  const written = `${path}.new-${randomBytes(8).toString('hex')}`;
  try {
    await writeFile(written, JSON.stringify(content), { mode: FILE_MODE, flag: 'wx' });
    await rename(written, path);
  } catch (e) {
    await unlink(written).catch(() => undefined);
    throw e;
  }
}
