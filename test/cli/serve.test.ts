/**
 * `flowdeck serve` as a real process (and two at once, and one killed): runs every schedule until
 * SIGTERM, one run per slot, resumes a scheduled run its dead predecessor left Crashed, and POSTs one
 * notice per failed scheduled run to a loopback webhook, masked. Bounded waits on what the store says;
 * nothing is timed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { PgStore } from '../../src/engine/postgres/pgStore';
import type { FlowRunSummary } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { CLI, flowSource, runCli, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';

interface Served {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function serve(args: string[], cwd: string, env: NodeJS.ProcessEnv): Served {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return { child, stderr: () => stderr, exited: new Promise((r) => child.on('close', (code) => r(code))) };
}

async function stop(s: Served): Promise<number | null> {
  s.child.kill('SIGTERM');
  return s.exited;
}

async function scheduledRuns(home: string, openStore: () => Promise<RunStore> = () => EmbeddedStore.open(home, { readOnly: true })): Promise<FlowRunSummary[]> {
  const store = await openStore();
  try {
    return (await store.list()).filter((r) => r.trigger?.kind === 'schedule');
  } finally {
    await store.close();
  }
}

const slotOf = (r: FlowRunSummary): number => (r.trigger?.kind === 'schedule' ? r.trigger.slot : NaN);

type NoticeBody = { id?: string; text: string; run: Record<string, unknown>; runs?: { id: string; name: string; state: string }[]; moreRuns?: number };

/**
 * A loopback webhook for `--notify-url`: `status(n)` answers its n-th post (from 0); the bodies of the
 * posts answered 200 are kept, each checked to be a JSON POST.
 */
async function webhook(status: (n: number) => number = () => 200): Promise<{ url: string; bodies: NoticeBody[]; posts: () => number }> {
  const bodies: NoticeBody[] = [];
  let posts = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      const code = status(posts++);
      if (code === 200) {
        assert.equal(req.method, 'POST');
        assert.equal(req.headers['content-type'], 'application/json');
        bodies.push(JSON.parse(body) as NoticeBody);
      }
      res.writeHead(code).end(code === 200 ? 'ok' : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/abc`, bodies, posts: () => posts };
}

/**
 * A scheduled run left Running by a serve killed with SIGKILL (its flow then let go, so a resume would end):
 * the run a serve that finds it Crashed tells of.
 */
async function scheduledRunOfKilledServe(home: string, options: { resumeOnCrash?: boolean } = {}): Promise<FlowRunSummary> {
  const gate = join(home, 'gate');
  const resume = options.resumeOnCrash ? `resumeOnCrash: true, ` : '';
  const cwd = workspace({
    'held.flow.ts': flowSource(`
import { existsSync } from 'node:fs';
export default flow({ name: 'held', ${resume}schedule: { intervalSeconds: 2${options.resumeOnCrash ? `, overlap: 'skip'` : ''} } }, async () => {
  while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 25));
});`),
  });
  const host = serve([], cwd, { FLOWDECK_HOME: home });
  let victim: FlowRunSummary | undefined;
  await waitFor(async () => (victim = (await scheduledRuns(home)).find((r) => r.state.name === 'Running')) !== undefined, 'a scheduled run to be running', 120_000);
  host.child.kill('SIGKILL');
  await host.exited;
  writeFileSync(gate, '');
  return victim!;
}

/**
 * A gated flow (`options` its flow options) whose scheduled run is Running when its serve process is
 * killed; the gate then opens and the next serve process must resume it as attempt 2 and see it complete.
 * `prepare` runs before the first serve (a schedule added to the store). Returns the run as it was, running.
 */
async function resumedAfterServeKilled(options: string, prepare?: (cwd: string, home: string) => Promise<void>): Promise<{ victim: FlowRunSummary; cwd: string; home: string }> {
  const home = tempDir();
  const gate = join(home, 'gate');
  const cwd = workspace({
    'gated.flow.ts': flowSource(`
import { existsSync } from 'node:fs';
const step = task({ name: 'step' }, async (n: number) => n);
export default flow(${options}, async () => {
  await step(1);
  while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 25));
  return step(2);
});`),
  });
  await prepare?.(cwd, home);
  const first = serve([], cwd, { FLOWDECK_HOME: home });
  let victim: FlowRunSummary | undefined;
  await waitFor(async () => (victim = (await scheduledRuns(home)).find((r) => r.state.name === 'Running')) !== undefined, 'a scheduled run to be running', 120_000);
  first.child.kill('SIGKILL');
  await first.exited;
  writeFileSync(gate, '');
  const next = serve([], cwd, { FLOWDECK_HOME: home });
  await waitFor(async () => (await scheduledRuns(home)).find((r) => r.id === victim!.id)?.state.name === 'Completed', 'the crashed run to be resumed and complete', 120_000);
  assert.equal(await stop(next), 0, next.stderr());
  assert.equal((await scheduledRuns(home)).find((r) => r.id === victim!.id)!.attempt, 2);
  assert.match(next.stderr(), new RegExp(`Resuming flow run '${victim!.name}' of gated: its host ended while it ran`));
  return { victim: victim!, cwd, home };
}

const EVERY_2S = flowSource(`export default flow({ name: 'tick', schedule: { intervalSeconds: 2 } }, async () => 'tock');`);

/**
 * A notice of a scheduled run of the flow in `files` that its serve, killed (SIGKILL) while it retried it against a
 * webhook that was down, left untold: the next serve — serving no schedule of that flow, so what it tells of it
 * it tells again — tells it once, with `expected`'s id and text, and no notice twice; a serve started later not again.
 */
async function noticeToldAfterKill(files: Record<string, string>, expected: { state: string; id: (victim: FlowRunSummary) => string; text: (victim: FlowRunSummary) => RegExp }): Promise<void> {
  let up = false;
  const hook = await webhook(() => (up ? 200 : 503));
  const home = tempDir();
  const first = serve(['--notify-url', hook.url], workspace(files), { FLOWDECK_HOME: home });
  let name: string | undefined;
  await waitFor(() => (name = /Notice about '([^']+)' not delivered \(attempt 1/.exec(first.stderr())?.[1]) !== undefined, 'the first serve to retry a notice', 120_000);
  first.child.kill('SIGKILL');
  await first.exited;
  up = true;
  const victim = (await scheduledRuns(home)).find((r) => r.name === name)!;
  assert.equal(victim.state.name, expected.state);
  const far = workspace({ 'yearly.flow.ts': flowSource(`export default flow({ name: 'yearly', schedule: { cron: '0 0 1 1 *' } }, async () => 'ok');`) });
  const next = serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home });
  await waitFor(() => hook.bodies.some((b) => b.run.id === victim.id), `the ${expected.state} run to be told of after the restart`, 60_000);
  assert.equal(await stop(next), 0, next.stderr());
  const told = hook.bodies.filter((b) => b.run.id === victim.id);
  assert.equal(told.length, 1, JSON.stringify(hook.bodies));
  assert.equal(told[0]!.id, expected.id(victim));
  assert.equal(told[0]!.run.state, expected.state);
  assert.match(told[0]!.text, expected.text(victim));
  assert.equal(new Set(hook.bodies.map((b) => b.id)).size, hook.bodies.length, `no notice told twice: ${JSON.stringify(hook.bodies)}`);
  // Told for good: a serve started later does not tell of it again.
  const later = serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home });
  await waitFor(() => /Next: yearly/.test(later.stderr()), 'the later serve to plan its schedule', 120_000);
  assert.equal(await stop(later), 0, later.stderr());
  assert.equal(hook.bodies.filter((b) => b.run.id === victim.id).length, 1, JSON.stringify(hook.bodies));
}

describe('flowdeck serve', () => {
  it('runs a schedule every 2 s until SIGTERM, printing what it serves and each next time; a slot per run', { timeout: 180_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({
      'tick.flow.ts': EVERY_2S,
      'odd.flow.ts': flowSource(`export default flow({ name: 'odd', schedule: { intervalSeconds: 2 } }, async () => { throw new Error("can't\\nsay"); });`),
    });
    const s = serve([], cwd, { FLOWDECK_HOME: home });
    await waitFor(async () => (await scheduledRuns(home)).filter((r) => r.flowName === 'tick' && r.state.name === 'Completed').length >= 4, 'four completed scheduled runs', 120_000);
    assert.equal(await stop(s), 0, s.stderr());
    assert.match(s.stderr(), /^Serving 2 schedules from .+:$/m);
    assert.match(s.stderr(), /^ {2}[0-9a-f]{10} +tick +every 2 s +\S+ +active +code tick\.flow\.ts:2$/m);
    assert.match(s.stderr(), /Next: tick \([0-9a-f]{10}\) at \d\d:\d\d:\d\d/);
    assert.match(s.stderr(), /Started flow run '[a-z]+-[a-z]+' of tick for /);
    assert.match(s.stderr(), /SIGTERM: stopping/);
    // How long each took, as `flowdeck runs` and the editor say it: a run of milliseconds is not "0.0 s".
    assert.match(s.stderr(), /Flow run '[a-z]+-[a-z]+' of tick ended Completed in (\d+ ms|\d\.\d s|\d+ s)$/m);
    assert.doesNotMatch(s.stderr(), / in 0\.\d s/);
    // A failed run's message on the line, as its state is printed (Prefect's way): one line, whatever it holds.
    assert.match(s.stderr(), /Flow run '[a-z]+-[a-z]+' of odd ended Failed\("can't\\nsay"\) in (\d+ ms|\d\.\d s|\d+ s)$/m);
    assert.doesNotMatch(s.stderr(), /^say/m);
    const runs = (await scheduledRuns(home)).filter((r) => r.flowName === 'tick');
    const slots = runs.map(slotOf);
    assert.equal(new Set(slots).size, slots.length, 'one run per slot');
    for (const slot of slots) assert.equal(slot % 2000, 0, 'slots of an interval are counted from the epoch');
    // Stopping gave back the slot prepared and not started: no run is left waiting.
    assert.deepEqual(runs.filter((r) => r.state.name !== 'Completed').map((r) => r.state.name), []);
    assert.doesNotMatch(s.stderr(), /ERROR/);
    console.log(`serve made ${runs.length} runs`);
  });

  it('--limit 1 runs one run at a time: a slot due while one goes waits, and one overtaken by its next slot meanwhile is not run', { timeout: 180_000 }, async () => {
    const home = tempDir();
    const gate = join(home, 'gate');
    const cwd = workspace({
      'slow.flow.ts': flowSource(`
import { existsSync } from 'node:fs';
export default flow({ name: 'slow', schedule: { intervalSeconds: 2 } }, async () => {
  while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 25));
  return 'opened';
});`),
      'tick.flow.ts': EVERY_2S,
    });
    const s = serve(['--limit', '1'], cwd, { FLOWDECK_HOME: home });
    let slow: FlowRunSummary | undefined;
    await waitFor(async () => (slow = (await scheduledRuns(home)).find((r) => r.flowName === 'slow' && r.state.name === 'Running')) !== undefined, 'a run of the slow flow to go', 120_000);
    await waitFor(() => /Schedule [0-9a-f]{10} of flow 'tick': slot \S+ not run: a later slot \(\S+\) came due before it could start \(it waited for a free run slot\)/.test(s.stderr()), "a slot of tick overtaken while it waited for the slot the slow run holds", 120_000);
    assert.match(s.stderr(), /^Serving 2 schedules from .+, at most 1 run at once:$/m);
    assert.match(s.stderr(), /Schedule [0-9a-f]{10} of flow 'tick': slot \S+ waits for a free run slot \(1 run going, the most this process runs at once\)/);
    // Nothing ran beside the slow run.
    const beside = (await scheduledRuns(home)).filter((r) => r.id !== slow!.id && r.startTime !== undefined && (r.endTime === undefined || r.endTime > slow!.startTime!));
    assert.deepEqual(beside.map((r) => `${r.flowName} ${r.state.name}`), []);
    const waiting = (await scheduledRuns(home)).filter((r) => r.flowName === 'tick' && r.state.name === 'Scheduled' && slotOf(r) <= Date.now());
    // One waits; at the moment a slot comes due, the one it overtakes may not be let go of yet.
    assert.ok(waiting.length <= 2, `due slots of tick do not pile up: ${waiting.length} wait`);
    writeFileSync(gate, '');
    await waitFor(async () => (await scheduledRuns(home)).some((r) => r.flowName === 'tick' && r.state.name === 'Completed' && r.startTime! >= slow!.startTime!), 'a run of tick once the slow run ended', 120_000);
    assert.equal(await stop(s), 0, s.stderr());
    const runs = (await scheduledRuns(home)).filter((r) => r.startTime !== undefined).sort((a, b) => a.startTime! - b.startTime!);
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.startTime! >= runs[i - 1]!.endTime!, `one at a time: ${runs.map((r) => `${r.flowName} ${r.startTime}-${r.endTime}`).join(', ')}`);
  });

  it('two serve processes sharing a store run each slot once', { timeout: 180_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({ 'tick.flow.ts': EVERY_2S });
    const both = [serve([], cwd, { FLOWDECK_HOME: home }), serve([], cwd, { FLOWDECK_HOME: home })];
    await waitFor(async () => (await scheduledRuns(home)).filter((r) => r.state.name === 'Completed').length >= 6, 'six completed scheduled runs', 150_000);
    for (const s of both) assert.equal(await stop(s), 0, s.stderr());
    const runs = await scheduledRuns(home);
    const slots = runs.map(slotOf).sort();
    assert.equal(new Set(slots).size, slots.length, `one run per slot: ${slots.map((x) => new Date(x).toISOString()).join(', ')}`);
    const starters = both.map((s) => (s.stderr().match(/Started flow run/g) ?? []).length);
    assert.equal(starters[0]! + starters[1]!, runs.filter((r) => r.startTime !== undefined).length, 'every run was started by one of them');
    console.log(`runs started by each serve process: ${starters.join(' and ')}`);
  });

  it('a scheduled run of a resumeOnCrash flow whose serve process was killed is resumed by the next one', { timeout: 180_000 }, async () => {
    await resumedAfterServeKilled(`{ name: 'gated', resumeOnCrash: true, schedule: { intervalSeconds: 2, overlap: 'skip' } }`);
  });

  it("a stored schedule's run (schedule add) carries its flow's tags and, its flow resumeOnCrash, is resumed by the next serve process when its own was killed", { timeout: 180_000 }, async () => {
    // No schedule in code: the store's schedule's runs are made before anything loads the flow.
    const { victim, cwd, home } = await resumedAfterServeKilled(`{ name: 'gated', resumeOnCrash: true, tags: ['etl'] }`, async (cwd, home) => {
      const added = await runCli(['schedule', 'add', 'gated.flow.ts', '--every', '2s', '--overlap', 'skip'], { cwd, env: { FLOWDECK_HOME: home } });
      assert.equal(added.code, 0, added.stderr);
    });
    // Taken up, it carried what its flow says of its runs.
    assert.deepEqual(victim.tags, ['etl']);
    assert.equal(victim.resumeOnCrash, true);
    const tagged = await runCli(['runs', '--tag', 'etl', '--json'], { cwd, env: { FLOWDECK_HOME: home } });
    assert.ok((JSON.parse(tagged.stdout) as { id: string }[]).some((r) => r.id === victim.id), tagged.stdout);
  });

  it('POSTs one notice per failed scheduled run to --notify-url: the first at once, the rest of the minute summed up; masked; retried', { timeout: 180_000 }, async () => {
    const secret = 'ghp_' + 'S3cr3tT0kenValue0123456789abcdefABCD';
    // The first delivery meets a busy server: the notice is retried.
    const { url, bodies } = await webhook((n) => (n === 0 ? 503 : 200));
    const home = tempDir();
    const cwd = workspace({
      'failing.flow.ts': flowSource(`export default flow({ name: 'failing', schedule: { intervalSeconds: 2 } }, async () => { throw new Error('token ' + process.env.GITHUB_TOKEN + ' was refused'); });`),
    });
    const s = serve(['--notify-url', url], cwd, { FLOWDECK_HOME: home, GITHUB_TOKEN: secret });
    await waitFor(() => bodies.length >= 1, 'the first notice', 120_000);
    await waitFor(async () => (await scheduledRuns(home)).filter((r) => r.state.name === 'Failed').length >= 3, 'three failed runs', 120_000);
    assert.equal(await stop(s), 0, s.stderr());
    const failed = (await scheduledRuns(home)).filter((r) => r.state.name === 'Failed');

    const [notice, summary, ...more] = bodies;
    assert.deepEqual(more, [], 'no more than a notice and a summary within the minute');
    const run = failed.find((r) => r.id === notice!.run.id)!;
    assert.ok(run, 'the notice names a failed run');
    assert.deepEqual(notice!.run, {
      id: run.id,
      name: run.name,
      flowName: 'failing',
      state: 'Failed',
      startTime: new Date(run.startTime!).toISOString(),
      endTime: new Date(run.endTime!).toISOString(),
      message: 'token *** was refused',
    });
    assert.match(notice!.text, new RegExp(`^Flow run '${run.name}' of failing \\(scheduled for .+\\) failed: token \\*\\*\\* was refused$`));
    // The JSON as before, with the notice's id beside: its run, its attempt and what is told.
    assert.deepEqual(Object.keys(notice!), ['id', 'text', 'run']);
    assert.equal(notice!.id, `${run.id}:1:failed`);
    assert.match(summary?.id ?? '', /^[0-9a-f-]{36}:1:summary:[0-9a-f]{16}$/);
    // Stopping sends what the minute held back: every other failed run, counted once.
    // Each listed by name, state and id, in the order they ended (fewer than SUMMARY_RUNS_LISTED here).
    const summed = failed.filter((r) => r.id !== run.id).sort((a, b) => a.endTime! - b.endTime!);
    assert.deepEqual(summary?.runs, summed.map((r) => ({ id: r.id, name: r.name, state: 'Failed' })));
    assert.equal(summary?.moreRuns, 0);
    assert.equal(summary?.text, `${summed.length} more run${summed.length === 1 ? '' : 's'} of failing failed: ${summed.map((r) => `'${r.name}' (Failed)`).join(', ')}`);
    assert.ok(!JSON.stringify(bodies).includes(secret), 'no notice carries the secret');
    assert.ok(!s.stderr().includes(secret) && !s.stderr().includes('/hooks/abc'), 'the log shows neither the secret nor the webhook path');
    assert.match(s.stderr(), /not delivered \(attempt 1: the server answered HTTP 503\); retrying/);
  });

  it('a scheduled run that pauses for input is said and POSTed at once (under the default policy), and goes on when `flowdeck resume` gives it its input', { timeout: 180_000 }, async () => {
    const { url, bodies } = await webhook();
    const home = tempDir();
    const cwd = workspace({
      'nightly.flow.ts': `import { flow, pauseFlowRun } from 'flowdeck';
export default flow({ name: 'nightly', schedule: { intervalSeconds: 2 } }, async () => {
  const { go } = await pauseFlowRun({ description: 'Publish tonight?', input: { go: { type: 'boolean', required: true } } });
  return go ? 'published' : 'held';
});
`,
    });
    const s = serve(['--notify-url', url], cwd, { FLOWDECK_HOME: home });
    await waitFor(() => bodies.length >= 1, 'the paused notice', 120_000);
    const [notice] = bodies;
    const name = notice!.run.name as string;
    assert.equal(notice!.run.state, 'Paused');
    assert.equal(notice!.run.message, 'Publish tonight?');
    assert.match(notice!.text, new RegExp(`^Flow run '${name}' of nightly \\(scheduled for .+\\) is paused: Publish tonight\\? — resume it with \`flowdeck resume ${name}\` or Resume Run in VS Code$`));
    assert.match(s.stderr(), new RegExp(`Flow run '${name}' of nightly is paused: Publish tonight\\? — resume it with \`flowdeck resume ${name}\``));
    const resumed = spawn(process.execPath, [CLI, 'resume', name, '--input', 'go=true'], { cwd, env: { ...process.env, FLOWDECK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    resumed.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    assert.equal(await new Promise((r) => resumed.on('close', r)), 0, out);
    await waitFor(async () => (await scheduledRuns(home)).some((r) => r.name === name && r.state.name === 'Completed'), 'the run completed', 60_000);
    assert.equal(await stop(s), 0, s.stderr());
    // Only pauses are told: a completed run is not under onFailure, nor is one cancelled as serve stops.
    assert.deepEqual([...new Set(bodies.map((b) => b.run.state))], ['Paused']);
    assert.equal(new Set(bodies.map((b) => b.run.name)).size, bodies.length, 'each pause told once');
  });

  it('stopping gives up, after its wait, a notice the server keeps refusing, saying so; it does not go on retrying', { timeout: 180_000 }, async () => {
    const { url, posts } = await webhook(() => 503);
    const home = tempDir();
    const cwd = workspace({ 'failing.flow.ts': flowSource(`export default flow({ name: 'failing', schedule: { intervalSeconds: 2 } }, async () => { throw new Error('no'); });`) });
    const s = serve(['--notify-url', url], cwd, { FLOWDECK_HOME: home });
    await waitFor(() => /not delivered \(attempt 1: the server answered HTTP 503\); retrying/.test(s.stderr()), 'a refused notice', 120_000);
    assert.equal(await stop(s), 0, s.stderr());
    const postsAtExit = posts();
    assert.match(s.stderr(), /Stopping without the notice not delivered after 15 s: http:\/\/127\.0\.0\.1:\d+ did not take it$/m);
    assert.doesNotMatch(s.stderr(), /Could not deliver/, 'a notice given up is not reported again as failed');
    // The backoff (1, 2, 4, 8, 16 s: six posts in 31 s) would have gone on past the stop's wait: at most
    // the attempts within the first failure and the stop's 15 s.
    assert.ok(postsAtExit <= 5, `${postsAtExit} posts`);
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(posts(), postsAtExit, 'no post after serve ended');
  });

  it("a scheduled run whose serve process was killed is told as crashed, once, by the serve process that finds it Crashed", { timeout: 180_000 }, async () => {
    const hook = await webhook();
    const home = tempDir();
    // The teller serves no schedule of its own: it only shares the store, with a notify URL.
    const teller = serve(['--notify-url', hook.url], workspace({}), { FLOWDECK_HOME: home });
    await waitFor(() => /Serving 0 schedules/.test(teller.stderr()), 'the teller to serve', 120_000);
    const victim = await scheduledRunOfKilledServe(home);
    await waitFor(() => hook.bodies.some((b) => b.run.id === victim.id), 'the crashed run to be told of', 120_000);
    assert.equal(await stop(teller), 0, teller.stderr());
    const told = hook.bodies.filter((b) => b.run.id === victim.id);
    assert.equal(told.length, 1, JSON.stringify(hook.bodies));
    assert.match(told[0]!.text, new RegExp(`^Flow run '${victim.name}' of held \\(scheduled for [^)]+\\) crashed: host process ended$`));
    assert.equal(told[0]!.run.state, 'Crashed');
    assert.match(teller.stderr(), new RegExp(`Flow run '${victim.name}' of held ended Crashed\\('host process ended'\\): its host ended while it ran`));
  });

  // Found on review: serve told of the runs it found Crashed while it watched, but not of those its opening
  // of the store settled (serve started after the host of a scheduled run died): they were never told of.
  it('a scheduled run whose host died before serve started is told as crashed by the serve whose opening of the store marks it, once across two serves', { timeout: 180_000 }, async () => {
    const hook = await webhook();
    const home = tempDir();
    const victim = await scheduledRunOfKilledServe(home);
    // Each teller serves one far-off schedule of its own: its first plan logged, it has told what it found.
    const far = workspace({ 'yearly.flow.ts': flowSource(`export default flow({ name: 'yearly', schedule: { cron: '0 0 1 1 *' } }, async () => 'ok');`) });
    for (let i = 0; i < 2; i++) {
      const teller = serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home });
      await waitFor(() => /Next: yearly/.test(teller.stderr()), 'the teller to plan its schedule', 120_000);
      if (i === 0) await waitFor(() => hook.bodies.some((b) => b.run.id === victim.id), 'the crashed run to be told of', 120_000);
      assert.equal(await stop(teller), 0, teller.stderr());
      if (i === 0) assert.match(teller.stderr(), new RegExp(`Flow run '${victim.name}' of held ended Crashed\\('host process ended'\\): its host ended while it ran`));
      else assert.doesNotMatch(teller.stderr(), /its host ended while it ran/);
    }
    const told = hook.bodies.filter((b) => b.run.id === victim.id);
    assert.equal(told.length, 1, JSON.stringify(hook.bodies));
    assert.match(told[0]!.text, new RegExp(`^Flow run '${victim.name}' of held \\(scheduled for [^)]+\\) crashed: host process ended$`));
    assert.equal((await scheduledRuns(home)).find((r) => r.id === victim.id)!.state.name, 'Crashed');
  });

  // Found on review: a run whose host died was told of only by the serve that marked it Crashed; marked first
  // by another writing process (the editor, a CLI command), it was never told of, by any serve.
  it('a scheduled run whose host died, marked Crashed by a CLI command before any serve looked, is told as crashed once by two serves starting together', { timeout: 240_000 }, async () => {
    const hook = await webhook();
    const home = tempDir();
    const victim = await scheduledRunOfKilledServe(home);
    // `cancel` opens the store to write: it marks the dead host's run Crashed (nothing left to cancel, exit
    // 1), and tells no webhook — `flowdeck runs` only shows it so, opening the store to read.
    const cancel = await runCli(['cancel', victim.id], { env: { FLOWDECK_HOME: home }, cwd: workspace({}) });
    assert.equal(cancel.code, 1, cancel.stderr);
    assert.match(cancel.stdout, /had already ended: Crashed/);
    assert.equal((await scheduledRuns(home)).find((r) => r.id === victim.id)!.state.name, 'Crashed');
    const far = workspace({ 'yearly.flow.ts': flowSource(`export default flow({ name: 'yearly', schedule: { cron: '0 0 1 1 *' } }, async () => 'ok');`) });
    const tellers = [0, 1].map(() => serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home }));
    for (const t of tellers) await waitFor(() => /Next: yearly/.test(t.stderr()), 'the teller to plan its schedule', 120_000);
    await waitFor(() => hook.bodies.some((b) => b.run.id === victim.id), 'the crashed run to be told of', 60_000);
    for (const t of tellers) assert.equal(await stop(t), 0, t.stderr());
    const told = hook.bodies.filter((b) => b.run.id === victim.id);
    assert.equal(told.length, 1, JSON.stringify(hook.bodies));
    assert.match(told[0]!.text, new RegExp(`^Flow run '${victim.name}' of held \\(scheduled for [^)]+\\) crashed: host process ended$`));
    assert.equal(tellers.filter((t) => /its host ended while it ran/.test(t.stderr())).length, 1);
    // Told for good: a serve started later does not tell of it again.
    const later = serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home });
    await waitFor(() => /Next: yearly/.test(later.stderr()), 'the later teller to plan its schedule', 120_000);
    assert.equal(await stop(later), 0, later.stderr());
    assert.doesNotMatch(later.stderr(), /its host ended while it ran/);
    assert.equal(hook.bodies.filter((b) => b.run.id === victim.id).length, 1, JSON.stringify(hook.bodies));
  });

  // Found on review: the crash notice's mark said "told" before its POST went out, so a serve killed while it
  // retried against a webhook that was down left the run marked told, and no serve ever told it.
  it('a crash notice whose serve was killed (SIGKILL) while retrying against a webhook that was down is told by the next serve, once, with a stable id', { timeout: 240_000 }, async () => {
    let up = false;
    const hook = await webhook(() => (up ? 200 : 503));
    const home = tempDir();
    const victim = await scheduledRunOfKilledServe(home);
    const far = workspace({ 'yearly.flow.ts': flowSource(`export default flow({ name: 'yearly', schedule: { cron: '0 0 1 1 *' } }, async () => 'ok');`) });
    const first = serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home });
    await waitFor(() => new RegExp(`Notice about '${victim.name}' not delivered \\(attempt 1`).test(first.stderr()), 'the first teller to retry the notice', 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    up = true;
    const next = serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home });
    await waitFor(() => hook.bodies.some((b) => b.run.id === victim.id), 'the crashed run to be told of after the restart', 60_000);
    assert.equal(await stop(next), 0, next.stderr());
    const told = hook.bodies.filter((b) => b.run.id === victim.id);
    assert.equal(told.length, 1, JSON.stringify(hook.bodies));
    assert.match(told[0]!.text, new RegExp(`^Flow run '${victim.name}' of held \\(scheduled for [^)]+\\) crashed: host process ended$`));
    assert.equal(told[0]!.id, `${victim.id}:1:failed`);
    // Told for good once its POST went through: a serve started later does not tell of it again.
    const later = serve(['--notify-url', hook.url], far, { FLOWDECK_HOME: home });
    await waitFor(() => /Next: yearly/.test(later.stderr()), 'the later teller to plan its schedule', 120_000);
    assert.equal(await stop(later), 0, later.stderr());
    assert.doesNotMatch(later.stderr(), /its host ended while it ran/);
    assert.equal(hook.bodies.filter((b) => b.run.id === victim.id).length, 1, JSON.stringify(hook.bodies));
  });

  // Found on review: the end of a run serve watched was told from memory alone, so a serve killed while it
  // retried the notice against a webhook that was down (or held it within its flow's minute) lost it for good.
  it("a failed run's notice whose serve was killed (SIGKILL) while retrying against a webhook that was down is told by the next serve, once, with a stable id", { timeout: 240_000 }, async () => {
    await noticeToldAfterKill({ 'flaky.flow.ts': flowSource(`export default flow({ name: 'flaky', schedule: { intervalSeconds: 2 } }, async () => { throw new Error('quota exceeded'); });`) }, {
      state: 'Failed',
      id: (victim) => `${victim.id}:1:failed`,
      text: (victim) => new RegExp(`^Flow run '${victim.name}' of flaky \\(scheduled for [^)]+\\) failed: quota exceeded$`),
    });
  });

  // Found on review: a pause's notice was told from memory alone, so a serve killed while it retried it against
  // a webhook that was down lost it for good, though the run still waited (suspended: no process holds it).
  it("a suspended run's notice whose serve was killed (SIGKILL) while retrying against a webhook that was down is told by the next serve, once, with a stable id", { timeout: 240_000 }, async () => {
    const approval = `import { flow, suspendFlowRun } from 'flowdeck';
export default flow({ name: 'approval', schedule: { intervalSeconds: 2 } }, async () => {
  const { go } = await suspendFlowRun({ description: 'Publish tonight?', input: { go: { type: 'boolean', required: true } } });
  return go ? 'published' : 'held';
});
`;
    await noticeToldAfterKill({ 'approval.flow.ts': approval }, {
      state: 'Suspended',
      id: (victim) => `${victim.id}:1:paused:${victim.state.timestamp}`,
      text: (victim) => new RegExp(`^Flow run '${victim.name}' of approval \\(scheduled for [^)]+\\) is suspended: Publish tonight\\? — resume it with \`flowdeck resume ${victim.name}\` or Resume Run in VS Code$`),
    });
  });

  it('a scheduled run whose host died, marked Crashed by a CLI command while a serve looked away, is told as crashed by that serve once it looks again', { timeout: 240_000 }, async () => {
    const hook = await webhook();
    const home = tempDir();
    const teller = serve(['--notify-url', hook.url], workspace({}), { FLOWDECK_HOME: home });
    await waitFor(() => /Serving 0 schedules/.test(teller.stderr()), 'the teller to serve', 120_000);
    // Stopped (SIGSTOP), the teller cannot be the first to find the run Crashed: the CLI command is.
    teller.child.kill('SIGSTOP');
    const victim = await scheduledRunOfKilledServe(home);
    const cancel = await runCli(['cancel', victim.id], { env: { FLOWDECK_HOME: home }, cwd: workspace({}) });
    assert.match(cancel.stdout, /had already ended: Crashed/, cancel.stderr);
    teller.child.kill('SIGCONT');
    await waitFor(() => hook.bodies.some((b) => b.run.id === victim.id), 'the crashed run to be told of', 60_000);
    assert.equal(await stop(teller), 0, teller.stderr());
    assert.equal(hook.bodies.filter((b) => b.run.id === victim.id).length, 1, JSON.stringify(hook.bodies));
    assert.match(teller.stderr(), new RegExp(`Flow run '${victim.name}' of held ended Crashed\\('host process ended'\\): its host ended while it ran`));
  });

  it("runs no slot of a schedule whose parameters hold a secret of its environment, saying so once: no run's journal holds it", { timeout: 180_000 }, async () => {
    const home = tempDir();
    const token = 'ghp_serveScheduleSecret0123456789';
    const cwd = workspace({
      'tick.flow.ts': EVERY_2S,
      'leak.flow.ts': flowSource(`export default flow({ name: 'leak', schedule: { intervalSeconds: 2, parameters: { token: '${token}' } } }, async ({ token }: { token: string }) => token.length);`),
    });
    const s = serve([], cwd, { FLOWDECK_HOME: home, GITHUB_TOKEN: token });
    // The schedule beside it runs on: four of its slots passed, each one a slot the refused schedule had too.
    await waitFor(async () => (await scheduledRuns(home)).filter((r) => r.flowName === 'tick' && r.state.name === 'Completed').length >= 4, 'four completed runs of tick', 120_000);
    assert.equal(await stop(s), 0, s.stderr());
    assert.deepEqual((await scheduledRuns(home)).filter((r) => r.flowName === 'leak'), []);
    assert.match(s.stderr(), /^ {2}[0-9a-f]{10} +leak +every 2 s +- +refused +code leak\.flow\.ts:2$/m, 'listed refused among what it serves');
    const said = s.stderr().split('\n').filter((l) => l.includes('holds a secret'));
    assert.equal(said.length, 1, s.stderr());
    assert.match(said[0]!, /ERROR: Schedule [0-9a-f]{10} of flow 'leak' \(.*leak\.flow\.ts:2\) not run: a parameter of the schedule holds a secret \(\{"token":"\*\*\*"\}\); .*let the flow read the secret from its environment instead$/);
    assert.ok(!s.stderr().includes(token));
    const stored = spawnSync('grep', ['-rl', token, home], { encoding: 'utf8' }).stdout.trim();
    assert.equal(stored, '', 'no file of the store holds the secret');
  });

  it('a scheduled run of a resumeOnCrash flow whose host died, marked Crashed by a CLI command while two serves looked away, is resumed once by them as they look again', { timeout: 240_000 }, async () => {
    const home = tempDir();
    const resumers = [serve([], workspace({}), { FLOWDECK_HOME: home }), serve([], workspace({}), { FLOWDECK_HOME: home })];
    for (const r of resumers) await waitFor(() => /Serving 0 schedules/.test(r.stderr()), 'the resumer to serve', 120_000);
    // Stopped (SIGSTOP), neither can be the first to find the run Crashed: the CLI command is, and they serve
    // no schedule that would make them look for crashes themselves.
    for (const r of resumers) r.child.kill('SIGSTOP');
    const victim = await scheduledRunOfKilledServe(home, { resumeOnCrash: true });
    // A command that writes (not `cancel`: it would cancel the resume) marks the run Crashed as it opens the store.
    const marker = await runCli(['variable', 'set', 'probe', '1'], { env: { FLOWDECK_HOME: home }, cwd: workspace({}) });
    assert.equal(marker.code, 0, marker.stderr);
    assert.match(readFileSync(join(home, 'runs', `${victim.id}.jsonl`), 'utf8'), /"name":"Crashed"/, 'the CLI command recorded it Crashed');
    for (const r of resumers) r.child.kill('SIGCONT');
    await waitFor(async () => (await scheduledRuns(home)).find((r) => r.id === victim.id)?.state.name === 'Completed', 'the crashed run to be resumed and complete', 120_000);
    for (const r of resumers) assert.equal(await stop(r), 0, r.stderr());
    assert.equal((await scheduledRuns(home)).find((r) => r.id === victim.id)!.attempt, 2);
    const resumedBy = resumers.filter((r) => new RegExp(`Resuming flow run '${victim.name}' of held: its host ended while it ran`).test(r.stderr()));
    assert.equal(resumedBy.length, 1, resumers.map((r) => r.stderr()).join('\n---\n'));
  });

  it('rejects a notify URL that is not http(s), an unknown policy and a bad --limit with exit 2', { timeout: 60_000 }, async () => {
    const cwd = workspace({});
    for (const [args, message] of [
      [['--notify-url', 'file:///etc/passwd'], /must be an http:\/\/ or https:\/\/ URL/],
      [['--notify', 'sometimes'], /--notify must be one of onFailure, onFailureAndRecovery, always, never/],
      [['--limit', '0'], /--limit must be a whole number from 1 to 256 \(runs at once\), got "0"/],
    ] as [string[], RegExp][]) {
      const s = serve(args, cwd, { FLOWDECK_HOME: tempDir() });
      assert.equal(await s.exited, 2);
      assert.match(s.stderr(), message);
    }
  });

  it('refuses a notify URL with a user name and password (--notify-url or FLOWDECK_NOTIFY_URL) with exit 2, saying what to do and quoting none of its secrets', { timeout: 60_000 }, async () => {
    const cwd = workspace({});
    const url = 'http://hookuser:hookPassw0rd@127.0.0.1:9/services/T000/XXXXSECRETPATH?token=qtokensecret123';
    for (const [args, env, name] of [
      [['--notify-url', url], {}, '--notify-url'],
      [[], { FLOWDECK_NOTIFY_URL: url }, 'FLOWDECK_NOTIFY_URL'],
    ] as [string[], NodeJS.ProcessEnv, string][]) {
      const s = serve(args, cwd, { FLOWDECK_HOME: tempDir(), ...env });
      assert.equal(await s.exited, 2, s.stderr());
      assert.match(s.stderr(), new RegExp(`^flowdeck serve: ${name} holds a user name and password \\('user:password@' before the host\\), which a webhook POST cannot send: remove it`, 'm'));
      for (const secret of ['hookuser', 'hookPassw0rd', 'XXXXSECRETPATH', 'qtokensecret123']) assert.ok(!s.stderr().includes(secret), `${secret} in: ${s.stderr()}`);
    }
  });
});

describe('flowdeck serve on a Postgres store', { ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('three serve processes on one Postgres store, each with a home of its own, run each slot once', { timeout: 180_000 }, async () => {
    const schema = freshSchema();
    const cwd = workspace({ 'tick.flow.ts': EVERY_2S });
    const env = () => ({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir() });
    const runs = () => scheduledRuns('', () => PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true }));
    const three = [serve([], cwd, env()), serve([], cwd, env()), serve([], cwd, env())];
    await waitFor(async () => (await runs()).filter((r) => r.state.name === 'Completed').length >= 6, 'six completed scheduled runs', 150_000);
    for (const s of three) assert.equal(await stop(s), 0, s.stderr());
    const all = await runs();
    const slots = all.map(slotOf).sort();
    assert.equal(new Set(slots).size, slots.length, `one run per slot: ${slots.map((x) => new Date(x).toISOString()).join(', ')}`);
    const starters = three.map((s) => (s.stderr().match(/Started flow run/g) ?? []).length);
    assert.equal(starters.reduce((a, b) => a + b, 0), all.filter((r) => r.startTime !== undefined).length, 'every run was started by one of them');
    // Stopping gave back the slots prepared and not started: no run is left waiting.
    assert.deepEqual(all.filter((r) => r.state.name !== 'Completed').map((r) => r.state.name), []);
    for (const s of three) assert.doesNotMatch(s.stderr(), /ERROR/);
    console.log(`runs started by each serve process: ${starters.join(', ')}`);
  });

  it('a scheduled run whose host died, marked Crashed by a CLI command before any serve looked, is told as crashed once by two serves starting together', { timeout: 240_000 }, async () => {
    const hook = await webhook();
    const schema = freshSchema();
    // A short lease: the killed serve's run is found Crashed seconds after it stopped answering.
    const env = () => ({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir(), FLOWDECK_LEASE_SECONDS: '2', FLOWDECK_HEARTBEAT_SECONDS: '0.5' });
    const runs = () => scheduledRuns('', () => PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true }));
    const gate = join(tempDir(), 'gate');
    const cwd = workspace({
      'held.flow.ts': flowSource(`
import { existsSync } from 'node:fs';
export default flow({ name: 'held', schedule: { intervalSeconds: 2 } }, async () => {
  while (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 25));
});`),
    });
    const host = serve([], cwd, env());
    let victim: FlowRunSummary | undefined;
    await waitFor(async () => (victim = (await runs()).find((r) => r.state.name === 'Running')) !== undefined, 'a scheduled run to be running', 120_000);
    host.child.kill('SIGKILL');
    await host.exited;
    writeFileSync(gate, '');
    // Its host's lease lapsed (a look that may not write shows it Crashed), `cancel` settles it Crashed, and tells no webhook.
    await waitFor(async () => (await runs()).find((r) => r.id === victim!.id)?.state.name === 'Crashed', "the killed host's lease to lapse", 60_000);
    const cancel = await runCli(['cancel', victim!.id], { env: env(), cwd: workspace({}) });
    assert.match(cancel.stdout, /had already ended: Crashed/, cancel.stderr);
    const far = workspace({ 'yearly.flow.ts': flowSource(`export default flow({ name: 'yearly', schedule: { cron: '0 0 1 1 *' } }, async () => 'ok');`) });
    const tellers = [0, 1].map(() => serve(['--notify-url', hook.url], far, env()));
    for (const t of tellers) await waitFor(() => /Next: yearly/.test(t.stderr()), 'the teller to plan its schedule', 120_000);
    await waitFor(() => hook.bodies.some((b) => b.run.id === victim!.id), 'the crashed run to be told of', 60_000);
    for (const t of tellers) assert.equal(await stop(t), 0, t.stderr());
    const told = hook.bodies.filter((b) => b.run.id === victim!.id);
    assert.equal(told.length, 1, JSON.stringify(hook.bodies));
    assert.match(told[0]!.text, /crashed: host process ended$/);
    assert.equal(tellers.filter((t) => /its host ended while it ran/.test(t.stderr())).length, 1);
  });

  it('a cron declared without a timezone is read by every serve in the timezone of the first serve to see it, not in each one\'s own', { timeout: 180_000 }, async () => {
    const schema = freshSchema();
    const cwd = workspace({ 'daily.flow.ts': flowSource(`export default flow({ name: 'daily', schedule: { cron: '0 9 * * *' } }, async () => 'done');`) });
    const env = (TZ: string) => ({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_HOME: tempDir(), TZ });
    type Listed = { timezone: string; next: string };
    const listed = async (TZ: string): Promise<Listed> => JSON.parse((await runCli(['schedules', '--json'], { cwd, env: env(TZ) })).stdout)[0] as Listed;
    // Before any serve saw it, a list reads it in the machine's timezone, saying so.
    const before = await runCli(['schedules'], { cwd, env: env('America/Denver') });
    assert.match(before.stdout, /cron 0 9 \* \* \* \(America\/Denver: this machine's, until a serve or window records one\)/);
    const tokyo = serve([], cwd, env('Asia/Tokyo'));
    await waitFor(() => /Next: daily \([0-9a-f]{10}\) at /.test(tokyo.stderr()), "the Tokyo serve's first look", 120_000);
    const denver = serve([], cwd, env('America/Denver'));
    await waitFor(() => /Next: daily \([0-9a-f]{10}\) at /.test(denver.stderr()), "the Denver serve's first look", 120_000);
    // 09:00 in Tokyo (00:00Z) is 18:00 the day before in Denver (summer) or 17:00 (winter): not Denver's own 09:00.
    assert.match(denver.stderr(), /Next: daily \([0-9a-f]{10}\) at (\d{4}-\d\d-\d\d )?1[78]:00:00$/m, denver.stderr());
    for (const s of [tokyo, denver]) assert.equal(await stop(s), 0, s.stderr());
    // Any machine lists it so.
    const there = await listed('Europe/Madrid');
    assert.equal(there.timezone, 'Asia/Tokyo');
    assert.match(there.next, /T00:00:00\.000Z$/);
    assert.match((await runCli(['schedules'], { cwd, env: env('Europe/Madrid') })).stdout, /cron 0 9 \* \* \* \(Asia\/Tokyo\) /);
  });
});
