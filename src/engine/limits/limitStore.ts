/**
 * Concurrency limits by tag, for every backend: `flowdeck limit set github-api 2` lets at most two task
 * runs tagged `github-api` run at once across every process sharing the store. A running task run holds
 * a slot of each limited tag it carries: a lease naming its owner process, so a dead owner's slots are
 * taken back at once.
 */
import type { ProcessIdentity } from '../records';

export interface ConcurrencyLimit {
  tag: string;
  limit: number;
  /**
   * Set when the tag's limit is stored but cannot be read (a damaged file): what is wrong and what to do.
   * Its `limit` is then 0: the tag's task runs are not run (unlimited would run more at once than was
   * set), each failing with this, until the limit is set again or removed.
   */
  unreadable?: string;
}

/** Which task run holds a slot. */
export interface LeaseHolder {
  runId: string;
  taskRunId: string;
}

/** A slot this process holds: what `release` needs. */
export interface Lease {
  tag: string;
  slot: number;
  nonce: string;
}

export interface LeaseInfo extends Lease {
  owner: ProcessIdentity;
  holder: LeaseHolder;
  /** Epoch ms when it was taken. */
  since: number;
}

export interface LimitStore {
  list(): Promise<ConcurrencyLimit[]>;
  /** Sets a tag's limit (a whole number ≥ 1). */
  set(tag: string, limit: number): Promise<void>;
  /** False when the tag had no limit. */
  remove(tag: string): Promise<boolean>;
  /**
   * Takes one of the `limit` slots of `tag` for `holder`, or undefined when a live process holds each of
   * them. Slots whose owner is dead are freed on the way.
   */
  tryAcquire(tag: string, limit: number, holder: LeaseHolder): Promise<Lease | undefined>;
  release(lease: Lease): Promise<void>;
  /** The slots of `tag` held now. */
  leases(tag: string): Promise<LeaseInfo[]>;
}

/** Tags that can be limited: what a file name and a command line carry without quoting. */
export const LIMIT_TAG = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MAX_LIMIT = 1000;

export function checkLimit(tag: string, limit: number): void {
  if (!LIMIT_TAG.test(tag)) throw new RangeError(`'${tag}' cannot be limited: a tag to limit is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) throw new RangeError(`a concurrency limit is a whole number from 0 to ${MAX_LIMIT}, got ${limit}`);
}
