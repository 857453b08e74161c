/**
 * What a run's creation leaves behind when its process dies part-way. createRun claims the run's name
 * (runs/names/<name>) while it creates the run's journal (runs/<id>.jsonl, empty at first), then writes
 * the run's records and lists it in the index; no flow code runs before both are durable. A process that
 * dies in between leaves a journal and a claim the index does not list: the files are never read, and
 * the name can never be used again. A deletion that dies part-way (the index first, then the files)
 * leaves the same.
 *
 * They are swept at most once a day, in the background, after the index has been read again: a journal,
 * results folder or name claim whose run the index does not list, once its creator is known to be dead
 * (the claim names it) or, where no creator can be read, once it is a day old — a creation in progress
 * in a live process is never touched. A journal holding more than its creation wrote is never swept
 * unless the index records its run's deletion: its run was listed once, and an index that no longer
 * lists it was damaged (bareCreation.ts) — its history is kept, not taken for an abandoned creation, and
 * its run is listed again (lostRuns.ts).
 */
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBareCreation } from './bareCreation';
import type { Clock } from './clock';
import { FILE_MODE } from './journalFile';
import { isAlive } from './processIdentity';
import type { ProcessIdentity } from './records';

export const SWEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Files whose creator cannot be told are left this long: no creation takes a day. */
export const UNOWNED_AGE_MS = 24 * 60 * 60 * 1000;

const RUN_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(jsonl|results)$/;
/** A claim's text is at most this long; anything longer is not one of ours. */
const MAX_CLAIM_BYTES = 4096;

/** What a name claim says: the run it was claimed for and who claimed it (claims from before 0.2 hold the id alone). */
export interface NameClaim {
  id: string;
  owner?: ProcessIdentity;
}

export function nameClaimText(id: string, owner: ProcessIdentity): string {
  return JSON.stringify({ id, owner });
}

export function parseNameClaim(text: string): NameClaim | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-f-]{36}$/.test(trimmed)) return { id: trimmed };
  try {
    const v = JSON.parse(trimmed) as { id?: unknown; owner?: { pid?: unknown; hostname?: unknown } };
    if (typeof v.id !== 'string') return undefined;
    const o = v.owner;
    const owner = o && typeof o.pid === 'number' && typeof o.hostname === 'string' ? (v.owner as ProcessIdentity) : undefined;
    return owner ? { id: v.id, owner } : { id: v.id };
  } catch {
    return undefined;
  }
}

export interface Listed {
  hasRun(id: string): boolean;
  hasName(name: string): boolean;
  /** Whether the index records the run's deletion (a deletion that died before removing its files). */
  wasDeleted?(id: string): boolean;
}

export interface Swept {
  /** Run ids whose files went. */
  runs: string[];
  /** Name claims that went. */
  names: string[];
}

interface Leftover {
  files: string[];
  claim?: { name: string; owner?: ProcessIdentity };
  /** The newest of its files' modification times. */
  mtimeMs: number;
}

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Sweeps what abandoned creations and deletions left in `runsDir`. `index` reads the index again and
 * says what it lists: once before looking, and once more before removing anything, so a run its (since
 * dead) creator listed meanwhile is seen listed and kept.
 */
export async function sweepAbandonedCreations(runsDir: string, index: () => Promise<Listed>, clock: Clock): Promise<Swept> {
  const listed = await index();
  const leftovers = new Map<string, Leftover>();
  const leftover = (id: string): Leftover => {
    let l = leftovers.get(id);
    if (!l) leftovers.set(id, (l = { files: [], mtimeMs: 0 }));
    return l;
  };
  const strayNames: { name: string; mtimeMs: number }[] = [];
  const namesDir = join(runsDir, 'names');
  for (const name of await readdir(namesDir).catch(() => [] as string[])) {
    if (listed.hasName(name)) continue;
    const path = join(namesDir, name);
    const when = await mtime(path);
    if (when === undefined) continue;
    const text = await readFile(path, 'utf8').catch(() => '');
    const claim = text.length <= MAX_CLAIM_BYTES ? parseNameClaim(text) : undefined;
    if (!claim || listed.hasRun(claim.id)) {
      // Empty or torn: its creator died writing it, or is writing it now (then it is seconds old).
      if (!claim) strayNames.push({ name, mtimeMs: when });
      continue;
    }
    const l = leftover(claim.id);
    l.claim = claim.owner ? { name, owner: claim.owner } : { name };
    l.mtimeMs = Math.max(l.mtimeMs, when);
  }
  for (const entry of await readdir(runsDir).catch(() => [] as string[])) {
    const m = RUN_FILE.exec(entry);
    if (!m || listed.hasRun(m[1]!)) continue;
    const when = await mtime(join(runsDir, entry));
    if (when === undefined) continue;
    const l = leftover(m[1]!);
    l.files.push(entry);
    l.mtimeMs = Math.max(l.mtimeMs, when);
  }
  const now = clock.now();
  const swept: Swept = { runs: [], names: [] };
  const abandoned: [string, Leftover][] = [];
  for (const [id, l] of leftovers) {
    if (!(l.claim?.owner ? !isAlive(l.claim.owner) : now - l.mtimeMs > UNOWNED_AGE_MS)) continue;
    // A run the index lost (not one it deleted) keeps its journal, its results and its name.
    if (l.files.includes(`${id}.jsonl`) && listed.wasDeleted?.(id) !== true && !(await isBareCreation(join(runsDir, `${id}.jsonl`)).catch(() => false))) continue;
    abandoned.push([id, l]);
  }
  const stray = strayNames.filter((s) => now - s.mtimeMs > UNOWNED_AGE_MS);
  if (abandoned.length === 0 && stray.length === 0) return swept;
  const again = await index();
  for (const [id, l] of abandoned) {
    if (again.hasRun(id) || (l.claim && again.hasName(l.claim.name))) continue;
    for (const f of l.files) await rm(join(runsDir, f), { recursive: true, force: true });
    if (l.files.length > 0) swept.runs.push(id);
    if (l.claim) {
      await rm(join(namesDir, l.claim.name), { force: true });
      swept.names.push(l.claim.name);
    }
  }
  for (const s of stray) {
    if (again.hasName(s.name)) continue;
    await rm(join(namesDir, s.name), { force: true });
    swept.names.push(s.name);
  }
  return swept;
}

/** Whether the day's sweep is due: the last one (by the marker file's time) is a day old or more. */
export async function sweepDue(runsDir: string, clock: Clock): Promise<boolean> {
  const last = await mtime(join(runsDir, '.swept'));
  return last === undefined || clock.now() - last >= SWEEP_INTERVAL_MS;
}

/** Runs the sweep when it is due (sweepDue). */
export async function sweepDaily(runsDir: string, index: () => Promise<Listed>, clock: Clock): Promise<Swept | undefined> {
  const marker = join(runsDir, '.swept');
  if (!(await sweepDue(runsDir, clock))) return undefined;
  const swept = await sweepAbandonedCreations(runsDir, index, clock);
  await writeFile(marker, '', { mode: FILE_MODE });
  return swept;
}
