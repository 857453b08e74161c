/** "Flowdeck: Cached Results…": its rows (a row per task) of a cache as large as a listing reads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { MAX_CACHE_ENTRIES_LISTED } from '../../src/engine/resultCache';
import { ROOT } from '../support/engine';
import { useVscodeStub } from '../support/vscodeStub';

useVscodeStub();

test('the rows of a few tasks: counts, sizes, the newest and the expired ones', async () => {
  const { cacheItems } = await import('../../src/extension/commands/cachedResults');
  const now = Date.UTC(2026, 0, 10);
  const entry = (i: number, task: string | undefined, created: number, expiresAt?: number) => ({
    keyHash: i.toString(16).padStart(64, '0'),
    ...(task !== undefined ? { task } : {}),
    created,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    bytes: 100 * (i + 1),
  });
  const items = cacheItems([entry(0, 'fetch', now - 60_000), entry(1, 'fetch', now - 3_600_000, now - 1), entry(2, undefined, now - 7_200_000), entry(3, 'fetch', now - 120_000)], now);
  const rows = items.filter((i) => i.label !== '');
  assert.deepEqual(rows.map((i) => i.label), ['fetch', '(task not recorded)', '$(clock) Clear Expired Results (1)', '$(trash) Clear All Cached Results…']);
  assert.match(rows[0]!.description!, /^3 results · .* · 1 expired$/);
  assert.equal(rows[0]!.detail, 'newest cached 1 min ago');
  assert.deepEqual(rows[0]!.clear!.keyHashes, [0, 1, 3].map((i) => i.toString(16).padStart(64, '0')));
  assert.deepEqual(rows[2]!.clear!.keyHashes, [(1).toString(16).padStart(64, '0')]);
  assert.equal(rows[3]!.clear!.keyHashes.length, 4);
});

test(`a task with as many cached results as a listing reads (${MAX_CACHE_ENTRIES_LISTED.toLocaleString('en-US')}) is listed without holding the editor for minutes`, { timeout: 120_000 }, () => {
  // In a process of its own, bounded: rows built by copying each task's list at every entry took 267 s of
  // the extension host's thread for these (30,000: 14 s), every extension of the window frozen meanwhile.
  const script = `const { useVscodeStub } = require(${JSON.stringify(join(ROOT, 'test', 'support', 'vscodeStub.ts'))});
useVscodeStub();
const { cacheItems } = require(${JSON.stringify(join(ROOT, 'src', 'extension', 'commands', 'cachedResults.ts'))});
const now = Date.UTC(2026, 0, 10);
const entries = Array.from({ length: ${MAX_CACHE_ENTRIES_LISTED} }, (_, i) => ({ keyHash: i.toString(16).padStart(64, '0'), task: 'fetch', created: now - 1000 - i, expiresAt: i % 2 === 0 ? now - 1 : now + 1, bytes: 10 }));
const items = cacheItems(entries, now);
console.log(JSON.stringify(items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, hashes: i.clear ? i.clear.keyHashes.length : undefined }))));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.signal, null, `the rows were not built within 60 s (killed: ${child.signal})`);
  assert.equal(child.status, 0, child.stderr);
  const rows = JSON.parse(child.stdout) as { label: string; description?: string; detail?: string; hashes?: number }[];
  assert.deepEqual(
    rows.filter((r) => r.label !== ''),
    [
      { label: 'fetch', description: '100,000 results · 976.6 KB · 50,000 expired', detail: 'newest cached 1 s ago', hashes: 100_000 },
      { label: '$(clock) Clear Expired Results (50,000)', description: 'never returned; purged once a day anyway', hashes: 50_000 },
      { label: '$(trash) Clear All Cached Results…', hashes: 100_000 },
    ],
  );
});
