/**
 * Which read of a watched file is still current. Each watcher event of a file (created, changed, deleted)
 * supersedes the reads begun before it: a read that finishes after the file was deleted, or changed again,
 * is dropped rather than put over what came after. Numbers only grow (one per file ever seen), so a slow
 * read can never be mistaken for a later one.
 */
export class FileEvents {
  private readonly latest = new Map<string, number>();

  /** An event of `file`; its number, for `isLatest`. */
  event(file: string): number {
    const n = (this.latest.get(file) ?? 0) + 1;
    this.latest.set(file, n);
    return n;
  }

  /** Whether event `n` is still the last one `file` had. */
  isLatest(file: string, n: number): boolean {
    return this.latest.get(file) === n;
  }
}
