/**
 * What the editor says when its run store cannot be opened: the store named (a Postgres store by its
 * setting, never its URL), the reason, and the one thing to change — said once, in the editor's terms.
 * Apart from vscode, so it is tested directly.
 */
import { StoreHomeError } from '../engine/storeErrors';

export function storeOpenMessage(home: string, url: string | undefined, e: unknown): string {
  const message = ((e as Error)?.message ?? String(e)).replace(/\.+$/, '');
  // A Postgres store's error names it without its password; the setting itself is never shown.
  if (url) return `Could not open the Postgres run store set in "flowdeck.store": ${message}. Check the setting, the network and the database.`;
  // The engine's own advice names FLOWDECK_HOME first, for a terminal; here the setting comes first.
  if (e instanceof StoreHomeError) return `Could not open the run store at ${home}: ${e.reason}. Set "flowdeck.home" to a folder you can write, or leave it empty for FLOWDECK_HOME or ~/.flowdeck.`;
  return `Could not open the run store at ${home}: ${message}. Check the "flowdeck.home" setting and the folder's permissions.`;
}
