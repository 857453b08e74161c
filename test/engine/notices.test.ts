/** What is told when a run nobody watches ends: by policy, and at most once per flow per minute (timers injected). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoticeThrottle, SUMMARY_RUNS_LISTED, noticeId, noticeKind, noticeText, pauseNoticeId, previousFailed, type Notice, type NoticeSummary } from '../../src/engine/notify/notices';
import type { FlowRunSummary } from '../../src/engine/records';
import type { Timers } from '../../src/engine/timers';
import { state, type StateName } from '../../src/engine/states';

let n = 0;
function run(flowName: string, name: StateName, endTime = ++n * 1000, extra: Partial<FlowRunSummary> = {}): FlowRunSummary {
  return { id: `id-${++n}`, name: `run-${n}`, flowName, state: state(name), created: endTime - 500, startTime: endTime - 400, endTime, attempt: 1, ...extra } as FlowRunSummary;
}

/** Timers fired by hand: the test says when a minute has passed. */
function manualTimers(): Timers & { fire: () => void } {
  const pending = new Map<number, () => void>();
  let id = 0;
  return {
    setTimeout: (fn) => {
      pending.set(++id, fn);
      return id;
    },
    clearTimeout: (h) => void pending.delete(h as number),
    fire: () => {
      const due = [...pending.values()];
      pending.clear();
      for (const fn of due) fn();
    },
  };
}

test('policies: onFailure tells failures and crashes; onFailureAndRecovery also a completion after a failure; always everything; never nothing', () => {
  const failed = run('f', 'Failed');
  const crashed = run('f', 'Crashed');
  const completed = run('f', 'Completed');
  const cancelled = run('f', 'Cancelled');
  assert.deepEqual(
    (['onFailure', 'onFailureAndRecovery', 'always', 'never'] as const).map((p) => [failed, crashed, completed, cancelled].map((r) => noticeKind(p, r, true) ?? '-')),
    [
      ['failed', 'failed', '-', '-'],
      ['failed', 'failed', 'recovered', '-'],
      ['failed', 'failed', 'recovered', 'ended'],
      ['-', '-', '-', '-'],
    ],
  );
  assert.equal(noticeKind('onFailureAndRecovery', completed, false), undefined, 'a completion after a completion is not a recovery');
  const scheduled = run('daily-stats', 'Failed', 5000, { trigger: { kind: 'schedule', id: 'abcdef0123', slot: Date.parse('2025-06-01T09:00:00Z') } });
  scheduled.state.message = 'quota exceeded';
  assert.equal(noticeText('failed', scheduled), `Flow run '${scheduled.name}' of daily-stats (scheduled for 2025-06-01T09:00:00.000Z) failed: quota exceeded`);
});

test('previousFailed looks at the run of the flow that ended last before this one', () => {
  const older = run('f', 'Completed', 1000);
  const failedBefore = run('f', 'Failed', 2000);
  const now = run('f', 'Completed', 3000);
  assert.equal(previousFailed(now, [older, failedBefore, now]), true);
  assert.equal(previousFailed(now, [older, now]), false);
  assert.equal(previousFailed(now, [failedBefore, run('f', 'Completed', 2500), now]), false);
});

test('one notification per flow per minute; what comes within it is summed up when it ends, and that summary holds the next minute', () => {
  const timers = manualTimers();
  const sent: (Notice | NoticeSummary)[] = [];
  const throttle = new NoticeThrottle((x) => sent.push(x), { timers, clock: { now: () => 0 } });
  const offer = (flowName: string, kind: Notice['kind'] = 'failed') => {
    const r = run(flowName, kind === 'failed' ? 'Failed' : 'Completed');
    throttle.offer({ kind, run: r, text: noticeText(kind, r) });
    return r;
  };
  const first = offer('daily-stats');
  offer('other');
  const summed = [offer('daily-stats'), offer('daily-stats')];
  const last = offer('daily-stats');
  assert.deepEqual(sent.map((x) => ('run' in x ? x.run.flowName : x.text)), ['daily-stats', 'other']);
  assert.equal((sent[0] as Notice).run.id, first.id);
  timers.fire();
  assert.equal(sent.length, 3);
  assert.deepEqual(
    { ...(sent[2] as NoticeSummary), latest: (sent[2] as NoticeSummary).latest.id },
    {
      flowName: 'daily-stats',
      failed: 3,
      other: 0,
      latest: last.id,
      runIds: [...summed, last].map((r) => r.id),
      runs: [...summed, last].map((r) => ({ id: r.id, name: r.name, state: 'Failed' })),
      noticeIds: [...summed, last].map((r) => `${r.id}:1:failed`),
      text: `3 more runs of daily-stats failed: ${[...summed, last].map((r) => `'${r.name}' (Failed)`).join(', ')}`,
    },
  );
  // The summary opened a new minute: a failure within it waits for its end too.
  const failedNext = offer('daily-stats');
  assert.equal(sent.length, 3);
  const recovered = offer('daily-stats', 'recovered');
  throttle.flush();
  assert.equal(sent.at(-1)!.text, `1 more run of daily-stats failed; 1 more ended: '${failedNext.name}' (Failed), '${recovered.name}' (Completed)`);
  timers.fire();
  offer('daily-stats');
  assert.equal(sent.length, 5, 'a quiet minute lets the next notice through at once');
});

// Found on review: serve's stop cancels its runs with 'Cancelled: flowdeck serve was stopped (SIGTERM)', told as
// "ended Cancelled: Cancelled: flowdeck serve was stopped": a message beginning with the state's name is said once.
test("a notice does not repeat the state's name its message begins with", () => {
  const text = (name: StateName, message: string | undefined, kind: 'failed' | 'ended' = 'ended') => {
    const r = run('f', name, 1000, { name: 'r' });
    r.state.message = message;
    return noticeText(kind, r);
  };
  assert.equal(text('Cancelled', 'Cancelled: flowdeck serve was stopped (SIGTERM)'), "Flow run 'r' of f ended Cancelled: flowdeck serve was stopped (SIGTERM)");
  assert.equal(text('Cancelled', 'Cancelled by Ctrl-C'), "Flow run 'r' of f ended Cancelled by Ctrl-C");
  assert.equal(text('Cancelled', 'the user asked'), "Flow run 'r' of f ended Cancelled: the user asked");
  assert.equal(text('Cancelled', undefined), "Flow run 'r' of f ended Cancelled");
  assert.equal(text('Crashed', 'Crashed: worker exited with code 3', 'failed'), "Flow run 'r' of f crashed: worker exited with code 3");
  assert.equal(text('Crashed', 'Crashed', 'failed'), "Flow run 'r' of f crashed");
  assert.equal(text('Failed', 'Failed to connect', 'failed'), "Flow run 'r' of f failed: Failed to connect", 'a sentence that begins with the word stays whole');
  assert.equal(text('Failed', 'quota exceeded', 'failed'), "Flow run 'r' of f failed: quota exceeded");
});

// A webhook's notice is told again when its serve died before it knew the POST went through: the id, the same
// each time it is told, is what a receiver drops a repeat by — and differs for anything else told of the run.
test('a notice id is the same each time a notice is told, and differs by run, attempt, what is told and a pause', () => {
  const r = run('f', 'Failed', 1000, { id: 'run-a' });
  const failed = { kind: 'failed' as const, run: r, text: noticeText('failed', r) };
  assert.equal(noticeId(failed), 'run-a:1:failed');
  assert.equal(noticeId({ ...failed, text: 'told otherwise' }), 'run-a:1:failed');
  assert.equal(noticeId({ ...failed, run: { ...r, attempt: 2 } }), 'run-a:2:failed');
  assert.equal(noticeId({ ...failed, kind: 'recovered' }), 'run-a:1:recovered');
  const paused = (timestamp: number) => noticeId({ kind: 'paused', run: { ...r, state: { ...state('Paused'), timestamp } }, text: '' });
  assert.notEqual(paused(1), paused(2), 'each pause of a run is a notice of its own');
  // What serve keys a pause's claim by, with no notice at hand (a pause told again as it starts).
  assert.equal(pauseNoticeId({ ...r, state: { ...state('Paused'), timestamp: 1 } }), paused(1));
});

// Found on review: a summary's id was its latest run's (`<run>:<attempt>:summary`), whatever runs it summed up, so a
// summary told again after a restart, summing other runs up to the same latest one (a run held in the next minute
// with it), had the id of the one told before: a receiver dropping repeats by id dropped the runs it had not had.
test("a summary's id is derived from the notices it sums up: the same runs, however offered, the same id; other runs, another", () => {
  const r = run('f', 'Failed', 1000, { id: 'run-a' });
  const summary = (ids: string[]) => noticeId({ flowName: 'f', failed: ids.length, other: 0, latest: r, runIds: ids.map((i) => i.split(':')[0]!), runs: [], noticeIds: ids, text: '' });
  assert.match(summary(['x:1:failed', 'run-a:1:failed']), /^run-a:1:summary:[0-9a-f]{16}$/);
  assert.equal(summary(['x:1:failed', 'run-a:1:failed']), summary(['run-a:1:failed', 'x:1:failed']));
  assert.notEqual(summary(['x:1:failed', 'run-a:1:failed']), summary(['run-a:1:failed']), 'a run more: another summary');
  assert.notEqual(summary(['x:1:failed', 'run-a:1:failed']), summary(['x:2:failed', 'run-a:1:failed']), "another attempt's end: another summary");
});

// Found on review: a summary said how many runs ended ("12 more runs of daily-stats failed") and named none of them
// but its latest: which runs to look at was for the reader to find.
test('a summary lists its runs — name, state and id — in the order they ended, the first SUMMARY_RUNS_LISTED of them, and counts the rest', () => {
  const timers = manualTimers();
  const sent: (Notice | NoticeSummary)[] = [];
  const throttle = new NoticeThrottle((x) => sent.push(x), { timers, clock: { now: () => 0 } });
  const offer = (name: StateName) => {
    const r = run('daily-stats', name);
    const kind = name === 'Completed' ? 'ended' : 'failed';
    throttle.offer({ kind, run: r, text: noticeText(kind, r) });
    return r;
  };
  offer('Failed');
  const summed = [offer('Failed'), offer('Crashed'), offer('Completed')];
  timers.fire();
  const few = sent.at(-1) as NoticeSummary;
  assert.deepEqual(few.runs, summed.map((r) => ({ id: r.id, name: r.name, state: r.state.name })));
  assert.equal(few.text, `2 more runs of daily-stats failed; 1 more ended: '${summed[0]!.name}' (Failed), '${summed[1]!.name}' (Crashed), '${summed[2]!.name}' (Completed)`);

  const many = Array.from({ length: SUMMARY_RUNS_LISTED + 3 }, () => offer('Failed'));
  timers.fire();
  const summary = sent.at(-1) as NoticeSummary;
  assert.equal(summary.runIds.length, many.length, 'every run is still among the runs it told of');
  assert.deepEqual(summary.runs.map((r) => r.id), many.slice(0, SUMMARY_RUNS_LISTED).map((r) => r.id));
  assert.equal(summary.text, `${many.length} more runs of daily-stats failed: ${many.slice(0, SUMMARY_RUNS_LISTED).map((r) => `'${r.name}' (Failed)`).join(', ')}, and 3 more`);
});
