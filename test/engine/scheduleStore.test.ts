/** The embedded store's schedules across real processes (what every backend keeps is in storeContract.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { ROOT, tempDir, waitFor } from '../support/engine';

const STORE = join(ROOT, 'src', 'engine', 'embeddedStore.ts');

/** Runs `body` (with `store` open on `home`) in a process of its own; resolves with what it printed. */
function inProcess(home: string, body: string, options: { keep?: (child: ReturnType<typeof spawn>) => void } = {}): Promise<{ code: number | null; out: string }> {
  const script = `const { EmbeddedStore } = require(${JSON.stringify(STORE)});
(async () => { const store = await EmbeddedStore.open(${JSON.stringify(home)}); ${body} })().catch((e) => { console.error(e); process.exit(3); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  options.keep?.(child);
  return new Promise((res) => child.on('close', (code) => res({ code, out })));
}

test('a slot is claimed by exactly one of six processes racing for it', { timeout: 120_000 }, async () => {
  const home = tempDir();
  (await EmbeddedStore.open(home)).close();
  const results = await Promise.all(
    Array.from({ length: 6 }, () => inProcess(home, `const c = await store.schedules.claimSlot('00000000aa', 1700000000000); console.log(c.claimed ? 'won' : 'lost');`)),
  );
  assert.deepEqual(results.map((r) => r.code), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(results.map((r) => r.out.trim()).sort(), ['lost', 'lost', 'lost', 'lost', 'lost', 'won']);
});

test("a dead claimant's slot is taken over once, and only when its run was never created; a live claimant's never", { timeout: 120_000 }, async () => {
  const home = tempDir();
  const store = await EmbeddedStore.open(home);
  const dead = await inProcess(home, `console.log(process.pid, (await store.schedules.claimSlot('00000000bb', 60000)).claimed);`);
  const [deadPid, won] = dead.out.trim().split(' ');
  assert.equal(won, 'true');

  // Its run exists (the scheduler says so): the slot stays claimed.
  const kept = await store.schedules.claimSlot('00000000bb', 60000, { abandoned: async () => false });
  assert.equal(kept.claimed, false);
  assert.equal(kept.claimed === false && kept.holder?.pid, Number(deadPid));
  // It died before creating it: of two takers at once, one takes it over.
  const takers = await Promise.all([
    store.schedules.claimSlot('00000000bb', 60000, { abandoned: async () => true }),
    inProcess(home, `const c = await store.schedules.claimSlot('00000000bb', 60000, { abandoned: async () => true }); console.log(c.claimed ? 'won' : 'lost');`),
  ]);
  const wins = (takers[0].claimed ? 1 : 0) + (takers[1].out.trim() === 'won' ? 1 : 0);
  assert.equal(wins, 1, JSON.stringify(takers));

  // A live claimant: the abandoned check is not even asked.
  let asked = false;
  let holder: ReturnType<typeof spawn> | undefined;
  const live = inProcess(home, `await store.schedules.claimSlot('00000000bb', 120000); console.log('held'); await new Promise((r) => setTimeout(r, 60000));`, { keep: (c) => (holder = c) });
  await waitFor(() => existsSync(join(home, 'schedules', 'slots', '00000000bb', '120000')), 'the live claim', 30_000);
  await new Promise((r) => setTimeout(r, 200));
  const claim = await store.schedules.claimSlot('00000000bb', 120000, { abandoned: async () => (asked = true) });
  assert.equal(claim.claimed, false);
  assert.equal(asked, false);
  assert.equal(claim.claimed === false && claim.holder?.pid, holder!.pid);
  holder!.kill('SIGKILL');
  await live;
  assert.equal((await store.schedules.claimSlot('00000000bb', 120000, { abandoned: async () => true })).claimed, true);
  await store.close();
});

test('a released slot can be claimed again; old claims whose runs were made are pruned, the newest kept; young claims, and those without a run for a day, never', { timeout: 60_000 }, async () => {
  const home = tempDir();
  const clock = { t: Date.parse('2025-06-01T10:00:00Z'), now: () => clock.t };
  const store = await EmbeddedStore.open(home, { clock });
  const kept = () => readdirSync(join(home, 'schedules', 'slots', '00000000cc')).map(Number).sort((a, b) => a - b);
  assert.equal((await store.schedules.claimSlot('00000000cc', 1000)).claimed, true);
  assert.equal((await store.schedules.claimSlot('00000000cc', 1000)).claimed, false);
  await store.schedules.releaseSlot('00000000cc', 1000);
  assert.equal((await store.schedules.claimSlot('00000000cc', 1000)).claimed, true);
  // Slot 2000's claimant has not created its run (asleep, or dead): it notes none.
  for (let i = 2; i <= 60; i++) {
    assert.equal((await store.schedules.claimSlot('00000000cc', i * 1000)).claimed, true);
    if (i !== 2) await store.schedules.markSlotRun('00000000cc', i * 1000, `run-${i}`);
  }
  await store.schedules.markSlotRun('00000000cc', 1000, 'run-1');
  // All claimed a moment ago: none is pruned, whatever the runs not ended are.
  assert.equal(kept().length, 60);
  // Eleven minutes on, those whose runs were made are.
  clock.t += 11 * 60_000;
  for (let i = 61; i <= 70; i++) assert.equal((await store.schedules.claimSlot('00000000cc', i * 1000)).claimed, true);
  let left = kept();
  assert.ok(left.length <= 40 && left.length >= 20, `${left.length} claims kept`);
  assert.deepEqual([left[0], left.at(-1)], [2000, 70_000], 'the claim without a run stays; the newest stay');
  assert.ok(left.includes(51_000));
  // A day on, the claim without a run goes too.
  clock.t += 24 * 3600_000;
  for (let i = 71; i <= 150; i++) assert.equal((await store.schedules.claimSlot('00000000cc', i * 1000)).claimed, true);
  left = kept();
  assert.ok(!left.includes(2000) && left.includes(150_000), left.join(','));
  await store.close();
});
