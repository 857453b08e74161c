/** `flowdeck schedule add|pause|resume|rm`, `flowdeck schedules [--json]` and `flowdeck limit …`, through the built CLI. */
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { describe, it } from 'node:test';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

interface ScheduleJson {
  id: string;
  flowName: string;
  source: string;
  origin: 'code' | 'store';
  location?: { file: string; line: number };
  cron?: string;
  intervalSeconds?: number;
  timezone?: string;
  parameters?: Record<string, unknown>;
  state: 'active' | 'paused';
  next: string | null;
}

async function schedules(home: string, cwd: string): Promise<ScheduleJson[]> {
  const r = await runCli(['schedules', '--json'], { cwd, env: { FLOWDECK_HOME: home } });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ScheduleJson[];
}

const DECLARED = flowSource(`
export const daily = flow({ name: 'daily', parameters: { full: { type: 'boolean', default: false } },
  schedule: [{ cron: '0 9 * * *', timezone: 'Europe/Madrid' }, { intervalSeconds: 900, parameters: { full: true } }] }, async () => 'ok');
`);

describe('flowdeck schedule and schedules', () => {
  it('adds a schedule for a built-in flow, lists it with its next time, pauses, resumes and removes it', { timeout: 120_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({});
    const env = { FLOWDECK_HOME: home };
    const add = await runCli(['schedule', 'add', 'github-repo-stats', '--cron', '0 9 * * *', '--timezone', 'Europe/Madrid', '--param', 'repo=octo/hello', '--json'], { cwd, env });
    assert.equal(add.code, 0, add.stderr);
    const added = JSON.parse(add.stdout) as ScheduleJson;
    assert.match(added.id, /^[0-9a-f]{10}$/);

    // Every field README lists, a default given as it applies (catchup, overlap and tags were left out).
    const expected = {
      id: added.id,
      flowName: 'github-repo-stats',
      source: 'builtin:github-repo-stats',
      origin: 'store',
      cron: '0 9 * * *',
      timezone: 'Europe/Madrid',
      parameters: { repo: 'octo/hello' },
      catchup: 'latest',
      overlap: 'skip',
      tags: [],
      state: 'active',
      next: undefined,
    };
    assert.deepEqual({ ...added, next: undefined }, expected);
    let [listed] = await schedules(home, cwd);
    assert.deepEqual({ ...listed, next: undefined }, expected);
    // 09:00 in Madrid is 07:00Z or 08:00Z, whichever side of DST the next day is.
    assert.match(listed!.next!, /^\d{4}-\d\d-\d\dT0[78]:00:00\.000Z$/);
    assert.ok(Date.parse(listed!.next!) > Date.now() - 60_000);

    const table = await runCli(['schedules'], { cwd, env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID +FLOW +SCHEDULE +NEXT +STATE +SOURCE$/m);
    assert.match(table.stdout, new RegExp(`^${added.id} +github-repo-stats +cron 0 9 \\* \\* \\* \\(Europe/Madrid\\) +\\S.* +active +store builtin:github-repo-stats$`, 'm'));

    // Fewer than 4 characters that start its id: refused, saying so (not "no schedule").
    const short = await runCli(['schedule', 'pause', added.id.slice(0, 3)], { cwd, env });
    assert.equal(short.code, 2, short.stderr);
    assert.match(short.stderr, new RegExp(`'${added.id.slice(0, 3)}' is too short to name a schedule: give at least 4 characters of its id`));
    const pause = await runCli(['schedule', 'pause', added.id.slice(0, 6)], { cwd, env });
    assert.equal(pause.code, 0, pause.stderr);
    assert.match(pause.stdout, new RegExp(`^Paused schedule ${added.id} of github-repo-stats`));
    [listed] = await schedules(home, cwd);
    assert.equal(listed!.state, 'paused');
    assert.equal(listed!.next, null);

    assert.equal((await runCli(['schedule', 'resume', added.id], { cwd, env })).code, 0);
    [listed] = await schedules(home, cwd);
    assert.equal(listed!.state, 'active');
    assert.notEqual(listed!.next, null);

    const rm = await runCli(['schedule', 'rm', added.id], { cwd, env });
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(await schedules(home, cwd), []);
    const again = await runCli(['schedule', 'rm', added.id], { cwd, env });
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`no schedule '${added.id}'`));
  });

  it('pause, resume and rm --json print the schedule as schedules --json prints it, for an added and a declared schedule', { timeout: 120_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({ 'daily.flow.ts': DECLARED });
    const env = { FLOWDECK_HOME: home };
    const add = await runCli(['schedule', 'add', 'github-repo-stats', '--every', '1h', '--json'], { cwd, env });
    assert.equal(add.code, 0, add.stderr);
    const added = JSON.parse(add.stdout) as ScheduleJson;
    const declared = (await schedules(home, cwd)).find((s) => s.origin === 'code')!;
    for (const id of [added.id, declared.id]) {
      const pause = await runCli(['schedule', 'pause', id, '--json'], { cwd, env });
      assert.equal(pause.code, 0, pause.stderr);
      const paused = JSON.parse(pause.stdout) as ScheduleJson;
      assert.equal(paused.state, 'paused');
      assert.deepEqual(paused, (await schedules(home, cwd)).find((s) => s.id === id));

      const resume = await runCli(['schedule', 'resume', id, '--json'], { cwd, env });
      assert.equal(resume.code, 0, resume.stderr);
      const resumed = JSON.parse(resume.stdout) as ScheduleJson;
      assert.equal(resumed.state, 'active');
      assert.deepEqual({ ...resumed, next: undefined }, { ...(await schedules(home, cwd)).find((s) => s.id === id), next: undefined });
    }
    const listed = (await schedules(home, cwd)).find((s) => s.id === added.id)!;
    const rm = await runCli(['schedule', 'rm', added.id, '--json'], { cwd, env });
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual({ ...(JSON.parse(rm.stdout) as ScheduleJson), next: undefined }, { ...listed, next: undefined });
    assert.equal((await schedules(home, cwd)).find((s) => s.id === added.id), undefined);
  });

  it('--every takes seconds, minutes, hours or days; a file with one flow is scheduled by its path', { timeout: 60_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({ 'poll.flow.ts': flowSource(`export default flow({ name: 'poll' }, async () => 1);`) });
    const r = await runCli(['schedule', 'add', 'poll.flow.ts', '--every', '15m', '--overlap', 'queue', '--catchup', 'none', '--tag', 'poller', '--tag', 'ops', '--tag', 'poller'], { cwd, env: { FLOWDECK_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Added schedule [0-9a-f]{10}: poll every 15 min, next at /);
    const [s] = await schedules(home, cwd);
    assert.equal(s!.intervalSeconds, 900);
    assert.equal(s!.origin, 'store');
    assert.match(s!.source, /poll\.flow\.ts$/);
    assert.equal(Date.parse(s!.next!) % 900_000, 0, 'slots of an interval are counted from the epoch');
    assert.deepEqual([(s as unknown as Record<string, unknown>).overlap, (s as unknown as Record<string, unknown>).catchup], ['queue', 'none']);
    // Its tags, each once, for its runs; listed in a TAGS column.
    assert.deepEqual((s as unknown as Record<string, unknown>).tags, ['poller', 'ops']);
    const listed = await runCli(['schedules'], { cwd, env: { FLOWDECK_HOME: home } });
    assert.match(listed.stdout, /^ID +FLOW +SCHEDULE +NEXT +STATE +TAGS +SOURCE$/m);
    assert.match(listed.stdout, / active +poller,ops +store /);
  });

  it('--json gives a schedule that says nothing but when its defaults: timezone, parameters, catchup, overlap and tags', { timeout: 60_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({ 'poll.flow.ts': flowSource(`export default flow({ name: 'poll' }, async () => 1);`) });
    const env = { FLOWDECK_HOME: home, TZ: 'America/Denver' };
    const every = await runCli(['schedule', 'add', 'poll.flow.ts', '--every', '1h', '--json'], { cwd, env });
    assert.equal(every.code, 0, every.stderr);
    const cron = await runCli(['schedule', 'add', 'poll.flow.ts', '--cron', '0 9 * * *', '--json'], { cwd, env });
    assert.equal(cron.code, 0, cron.stderr);
    const defaults = (s: Record<string, unknown>) => ({ timezone: s.timezone, parameters: s.parameters, catchup: s.catchup, overlap: s.overlap, tags: s.tags });
    // An interval counts from the epoch: no timezone applies. A cron without one is read in the machine's.
    assert.deepEqual(defaults(JSON.parse(every.stdout) as Record<string, unknown>), { timezone: null, parameters: {}, catchup: 'latest', overlap: 'skip', tags: [] });
    assert.deepEqual(defaults(JSON.parse(cron.stdout) as Record<string, unknown>), { timezone: 'America/Denver', parameters: {}, catchup: 'latest', overlap: 'skip', tags: [] });
    const listed = (await runCli(['schedules', '--json'], { cwd, env })).stdout;
    assert.deepEqual((JSON.parse(listed) as Record<string, unknown>[]).map(defaults), [JSON.parse(every.stdout), JSON.parse(cron.stdout)].map(defaults));
  });

  it('a cron added without --timezone is read in the timezone it was added in, on every machine sharing the store', { timeout: 60_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({ 'poll.flow.ts': flowSource(`export default flow({ name: 'poll' }, async () => 1);`) });
    const add = await runCli(['schedule', 'add', 'poll.flow.ts', '--cron', '0 9 * * *', '--json'], { cwd, env: { FLOWDECK_HOME: home, TZ: 'Asia/Tokyo' } });
    assert.equal(add.code, 0, add.stderr);
    const added = JSON.parse(add.stdout) as ScheduleJson;
    assert.equal(added.timezone, 'Asia/Tokyo');
    assert.match(added.next ?? '', /T00:00:00\.000Z$/, '09:00 in Tokyo');
    // A serve or window on a machine in another timezone runs it at the same times, not at its own 09:00.
    const elsewhere = await runCli(['schedules', '--json'], { cwd, env: { FLOWDECK_HOME: home, TZ: 'America/Denver' } });
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    const [there] = JSON.parse(elsewhere.stdout) as ScheduleJson[];
    assert.deepEqual([there?.timezone, there?.next], ['Asia/Tokyo', added.next]);
  });

  it('rejects bad input with exit 2 and a message naming what was wrong, storing nothing', { timeout: 120_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({ 'two.flow.ts': flowSource(`export const a = flow({ name: 'a' }, async () => 1);\nexport const b = flow({ name: 'b' }, async () => 2);\nconst part = flow({ name: 'part' }, async () => 3);`), 'sub/one.flow.ts': flowSource(`export default flow({ name: 'one' }, async () => 1);`) });
    const secret = 's3cr3t-token-value-42';
    const env = { FLOWDECK_HOME: home, GITHUB_TOKEN: secret };
    const cases: [string[], RegExp][] = [
      [['schedule', 'add', 'github-repo-stats', '--every', '1h', '--param', `repo=octo/${secret}`], /a parameter of the schedule holds a secret .*read the secret from its environment/],
      [['schedule', 'add', 'github-repo-stats', '--cron', '61 * * * *'], /cron '61 \* \* \* \*' is not valid/],
      [['schedule', 'add', 'github-repo-stats', '--every', '15x'], /--every takes a number and a unit/],
      [['schedule', 'add', 'github-repo-stats', '--every', '0s'], /--every must be from 1s to 366d; got '0s'/],
      [['schedule', 'add', 'github-repo-stats', '--every', '400d'], /--every must be from 1s to 366d; got '400d'/],
      [['schedule', 'add', 'github-repo-stats'], /^flowdeck: schedule add needs --cron EXPR or --every 15m$/m],
      [['schedule', 'add', 'github-repo-stats', '--cron', '0 9 * * *', '--every', '1h'], /^flowdeck: schedule add takes --cron EXPR or --every 15m, not both$/m],
      // croner's words would say seven fields may do; five or six are read.
      [['schedule', 'add', 'github-repo-stats', '--cron', '0 9 *'], /^flowdeck: cron '0 9 \*' is not valid: it has 3 fields; give 5 \(minute hour day-of-month month day-of-week\), or 6 with seconds first$/m],
      [['schedule', 'add', 'github-repo-stats', '--cron', '0 0 9 * * * 2030'], /cron '0 0 9 \* \* \* 2030' is not valid: it has 7 fields; give 5/],
      [['schedule', 'add', 'github-repo-stats', '--cron', '0 9 * * *', '--timezone', 'Mars/Olympus'], /Mars\/Olympus/],
      [['schedule', 'add', 'github-repo-stats', '--cron', '0 9 * * *', '--param', 'repo=not a repo'], /repo/],
      [['schedule', 'add', 'github-repo-stats', '--cron', '0 9 * * *', '--tag', 'not a tag'], /--tag was given 'not a tag': a tag is 1 to 64 letters/],
      [['schedule', 'add', 'no-such-flow', '--cron', '0 9 * * *'], /No built-in flow 'no-such-flow'/],
      // As `flowdeck run` says them, not the system's words (EISDIR, ENOENT).
      [['schedule', 'add', 'sub', '--every', '1h'], /^flowdeck: Not a file: .*sub; pass a flow file \(\*\.flow\.ts\) or a built-in flow id$/m],
      [['schedule', 'add', 'nonexist.flow.ts', '--every', '1h'], /^flowdeck: Flow file not found: .*nonexist\.flow\.ts$/m],
      [['schedule', 'add', '', '--every', '1h'], /^flowdeck schedule add needs a flow file or a built-in id, got an empty argument$/m],
      [['schedule', 'add', 'github-repo-stats', '--every', '1h', '--flow', 'other'], /^flowdeck: built-in flow 'github-repo-stats' has no flow named 'other'; it has: github-repo-stats$/m],
      [['schedule', 'add', 'two.flow.ts', '--every', '1h'], /has 2 flows \(a, b\); say which with --flow NAME/],
      [['schedule', 'add', 'two.flow.ts', '--every', '1h', '--flow', 'part'], /two\.flow\.ts does not export flow 'part': it runs only as a subflow of the flows that call it\. Export it to schedule it on its own; the file exports: a, b$/m],
      [['schedule', 'add', 'two.flow.ts', '--every', '1h', '--flow', 'c'], /No flow 'c' in .*two\.flow\.ts; its flows: a, b$/m],
      [['schedule', 'pause', 'ffffffffff'], /no schedule 'ffffffffff'/],
      [['schedule', 'pause', 'f'], /no schedule 'f'/],
      [['schedule', 'frobnicate', 'x'], /unknown schedule action 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { cwd, env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.ok(!r.stderr.includes(secret), r.stderr);
    }
    assert.deepEqual(await schedules(home, cwd), []);
  });

  it('lists schedules declared in flow files with where they are written; pauses them, refuses to rm them', { timeout: 60_000 }, async () => {
    const home = tempDir();
    const cwd = workspace({ 'daily.flow.ts': DECLARED });
    const env = { FLOWDECK_HOME: home };
    const listed = await schedules(home, cwd);
    assert.deepEqual(listed.map((s) => [s.origin, s.flowName, s.cron ?? s.intervalSeconds, s.parameters, s.location?.line]), [
      ['code', 'daily', '0 9 * * *', {}, 4],
      ['code', 'daily', 900, { full: true }, 4],
    ]);
    assert.notEqual(listed[0]!.id, listed[1]!.id);
    assert.deepEqual(await schedules(home, cwd), listed, 'a declared schedule keeps its id');
    const rm = await runCli(['schedule', 'rm', listed[0]!.id], { cwd, env });
    assert.equal(rm.code, 2);
    assert.match(rm.stderr, /is declared in daily\.flow\.ts:4; remove it from the flow's options there, or pause it/);
    assert.equal((await runCli(['schedule', 'pause', listed[0]!.id], { cwd, env })).code, 0);
    assert.deepEqual((await schedules(home, cwd)).map((s) => s.state), ['paused', 'active']);
  });

  it('reports a schedule that cannot be read on its line, like a parse error (exit 2)', { timeout: 60_000 }, async () => {
    const cwd = workspace({ 'bad.flow.ts': flowSource(`export default flow({\n  name: 'bad',\n  schedule: { cron: '0 25 * * *' },\n}, async () => 1);`) });
    const r = await runCli(['schedules'], { cwd, env: { FLOWDECK_HOME: tempDir() } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^bad\.flow\.ts:4:\d+: error: flow 'bad': schedule: cron '0 25 \* \* \*' is not valid/m);
  });

  it('a schedule without a parameter its flow requires (no default) is refused as it is read, not at every slot: on its line, and by schedule add', { timeout: 60_000 }, async () => {
    const need = `parameters: { n: { type: 'integer', required: true } }`;
    const cwd = workspace({
      'need.flow.ts': flowSource(`export default flow({\n  name: 'need',\n  ${need},\n  schedule: { intervalSeconds: 5 },\n}, async () => 1);`),
      'given.flow.ts': flowSource(`export default flow({ name: 'given', ${need}, schedule: { intervalSeconds: 5, parameters: { n: 3 } } }, async () => 1);`),
      'plain.flow.ts': flowSource(`export default flow({ name: 'plain', ${need} }, async () => 1);`),
    });
    const env = { FLOWDECK_HOME: tempDir() };
    const listed = await runCli(['schedules'], { cwd, env });
    assert.equal(listed.code, 2);
    assert.match(listed.stderr, /^need\.flow\.ts:\d+:\d+: error: flow 'need': schedule: Invalid parameters for flow 'need': missing required parameter 'n'; give it in the schedule's parameters$/m);
    assert.doesNotMatch(listed.stderr, /given\.flow\.ts/);
    const added = await runCli(['schedule', 'add', 'plain.flow.ts', '--every', '1m'], { cwd, env });
    assert.equal(added.code, 2);
    assert.match(added.stderr, /missing required parameter 'n'/);
    const withIt = await runCli(['schedule', 'add', 'plain.flow.ts', '--every', '1m', '--param', 'n=4'], { cwd, env });
    assert.equal(withIt.code, 0, withIt.stderr);
  });

  it("schedules --json masks a secret the command knows in a declared schedule's parameters", { timeout: 60_000 }, async () => {
    const token = 'ghp_schedSecret0123456789';
    const cwd = workspace({
      'sec.flow.ts': flowSource(`export default flow({ name: 'sec', parameters: { token: { type: 'string' }, repo: { type: 'string' } }, schedule: { cron: '0 9 * * *', parameters: { token: '${token}', repo: 'octo/hello' } } }, async () => 'ok');`),
    });
    const r = await runCli(['schedules', '--json'], { cwd, env: { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(token), r.stdout);
    assert.deepEqual((JSON.parse(r.stdout) as ScheduleJson[])[0]!.parameters, { token: '***', repo: 'octo/hello' });
  });

  it("a declared schedule whose parameters hold a secret the command knows is listed refused (no next time), saying why once, masked", { timeout: 60_000 }, async () => {
    const token = 'ghp_schedRefused0123456789';
    const cwd = workspace({
      'sec.flow.ts': flowSource(`export default flow({ name: 'sec', parameters: { token: { type: 'string' } }, schedule: { intervalSeconds: 60, parameters: { token: '${token}' } } }, async () => 'ok');`),
    });
    const env = { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token };
    const text = await runCli(['schedules'], { cwd, env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^[0-9a-f]{10} +sec +every 1 min +- +refused +code sec\.flow\.ts:2$/m);
    assert.match(text.stderr, /^sec\.flow\.ts:2: error: schedule [0-9a-f]{10} of flow 'sec' is not run: a parameter of the schedule holds a secret \(\{"token":"\*\*\*"\}\); .*let the flow read the secret from its environment instead$/m);
    assert.ok(!(text.stdout + text.stderr).includes(token));
    const json = await runCli(['schedules', '--json'], { cwd, env });
    const [view] = JSON.parse(json.stdout) as ScheduleJson[];
    assert.equal(view!.state, 'refused');
    assert.equal(view!.next, null);
    // Without the secret in the environment, it is an ordinary schedule.
    const plain = JSON.parse((await runCli(['schedules', '--json'], { cwd, env: { FLOWDECK_HOME: tempDir() } })).stdout) as ScheduleJson[];
    assert.equal(plain[0]!.state, 'active');
  });
});

describe('flowdeck limit', () => {
  it('sets, lists and removes concurrency limits by tag; rejects bad tags and numbers', { timeout: 60_000 }, async () => {
    const env = { FLOWDECK_HOME: tempDir() };
    const set = await runCli(['limit', 'set', 'github-api', '2'], { env });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), "At most 2 task runs tagged 'github-api' at once.");
    assert.equal((await runCli(['limit', 'set', 'api', '1'], { env })).code, 0);
    const ls = await runCli(['limit', 'ls', '--json'], { env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(
      (JSON.parse(ls.stdout) as { tag: string; limit: number; active: number }[]).map((l) => [l.tag, l.limit, l.active]).sort(),
      [
        ['api', 1, 0],
        ['github-api', 2, 0],
      ],
    );
    assert.match((await runCli(['limit', 'ls'], { env })).stdout, /^github-api {2}0\/2 in use$/m);
    assert.equal((await runCli(['limit', 'rm', 'api'], { env })).code, 0);
    const rmAgain = await runCli(['limit', 'rm', 'api'], { env });
    assert.equal(rmAgain.code, 2);
    assert.match(rmAgain.stderr, /no concurrency limit on tag 'api'/);
    for (const [args, message] of [
      [['limit', 'set', 'api', '1001'], /whole number from 0 to 1000 \(0 stops the task runs of the tag\)/],
      [['limit', 'set', 'api', 'two'], /whole number from 0/],
      [['limit', 'set', 'no spaces', '1'], /cannot be limited/],
      [['limit', 'set', 'api'], /takes a tag and a number/],
    ] as [string[], RegExp][]) {
      const r = await runCli(args, { env });
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, message);
    }
    assert.deepEqual((JSON.parse((await runCli(['limit', 'ls', '--json'], { env })).stdout) as { tag: string }[]).map((l) => l.tag), ['github-api']);
  });

  it('set refuses a tag holding a secret the command knows (GITHUB_TOKEN): exit 2, nothing kept or listed', { timeout: 60_000 }, async () => {
    const token = 'ghp_' + 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8';
    const env = { FLOWDECK_HOME: tempDir(), GITHUB_TOKEN: token };
    const set = await runCli(['limit', 'set', token, '2'], { env });
    assert.equal(set.code, 2, set.stdout);
    assert.match(set.stderr, /^flowdeck limit: limit set was given a secret's value as its tag \(GITHUB_TOKEN, a stored token…\)/);
    assert.doesNotMatch(set.stdout + set.stderr, new RegExp(token));
    const ls = await runCli(['limit', 'ls', '--json'], { env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(JSON.parse(ls.stdout), []);
  });

  it('ls says which flow runs hold the slots, and how many task runs each', { timeout: 60_000 }, async () => {
    const home = tempDir();
    const env = { FLOWDECK_HOME: home };
    const store = await EmbeddedStore.open(home);
    try {
      await store.limits.set('github-api', 2);
      const handle = await store.createRun({ flowName: 'stars', source: 'builtin:github-repo-stats', parameters: {} });
      for (const t of ['t-1', 't-2']) assert.ok(await store.limits.tryAcquire('github-api', 2, { runId: handle.id, taskRunId: t }));
      const table = await runCli(['limit', 'ls'], { env });
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, new RegExp(`^github-api {2}2/2 in use\\n {2}flow run '${handle.name}' \\(stars\\): 2 task runs, the first for \\S+`, 'm'));
      const [limit] = JSON.parse((await runCli(['limit', 'ls', '--json'], { env })).stdout) as { active: number; holders: { runId: string; runName: string; taskRunIds: string[] }[] }[];
      assert.equal(limit!.active, 2);
      assert.deepEqual(limit!.holders.map((h) => [h.runId, h.runName, h.taskRunIds.sort()]), [[handle.id, handle.name, ['t-1', 't-2']]]);
      await handle.close();
    } finally {
      await store.close();
    }
  });
});
