/**
 * `flowdeck serve` run in this process until it has started, then stopped as a service manager stops it
 * (SIGTERM): what it did as it started (its notices looked at) is then on record, and what it said is returned.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { serveCommand } from '../../src/cli/commands/serve';
import { waitFor } from './engine';

export async function serveOnce(args: string[], env: Record<string, string>, cwd: string): Promise<string> {
  let said = '';
  const stderr = new PassThrough().setEncoding('utf8');
  stderr.on('data', (c: string) => (said += c));
  const listening = process.listenerCount('SIGTERM');
  const served = serveCommand(args, { stdout: new PassThrough(), stderr, env, cwd });
  // Serving (its store opened: that opening's own signal listener gone), and waiting for the signal.
  await waitFor(() => said.includes('Serving') && process.listenerCount('SIGTERM') > listening, 'serve to start');
  process.emit('SIGTERM', 'SIGTERM');
  assert.equal(await served, 0, said);
  return said;
}
