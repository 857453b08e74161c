/**
 * The YouTube credentials (OAuth client and refresh token) in SecretStorage. Refreshed tokens a run hands
 * back are merged in one at a time, so two runs finishing together cannot lose each other's update.
 */
import * as vscode from 'vscode';
import { mergeYouTubeSecret, parseYouTubeSecret, type YouTubeSecret } from './runEnv';

const SECRET = 'flowdeck.youtube';

export class YouTubeAccount {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly secrets: vscode.SecretStorage) {}

  async read(): Promise<YouTubeSecret | undefined> {
    return parseYouTubeSecret(await this.secrets.get(SECRET));
  }

  save(secret: YouTubeSecret): Promise<void> {
    return this.serial(() => this.secrets.store(SECRET, JSON.stringify(secret)));
  }

  /** Merges refreshed tokens from a run; nothing happens when no account is connected any more. */
  merge(patch: Record<string, unknown>): Promise<void> {
    return this.serial(async () => {
      const current = await this.read();
      if (current) await this.secrets.store(SECRET, JSON.stringify(mergeYouTubeSecret(current, patch)));
    });
  }

  disconnect(): Promise<void> {
    return this.serial(() => this.secrets.delete(SECRET));
  }

  private serial<T>(work: () => Thenable<T> | Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
