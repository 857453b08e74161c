/**
 * `flowdeck serve`: runs every schedule — those in the store and those declared in the flow files it is
 * given — until SIGINT or SIGTERM, for a service manager. Runs of dead hosts that ask for it are resumed;
 * with --notify-url, unwatched runs' failures are POSTed to a webhook.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { readChangedRuns, type ChangedRuns } from '../../engine/changedRuns';
import { isToResume } from '../../engine/crashedToResume';
import { readCredentials, secretValuesFrom } from '../../engine/credentials';
import { formatDuration } from '../../engine/durationText';
import { findFlowFiles } from '../../engine/flowDiscovery';
import { crashClaim, crashedAtStart, crashedUnwatched } from '../../engine/notify/crashedUnwatched';
import { endClaim, endNotTold, endsUntold, endToTell } from '../../engine/notify/endNotices';
import type { NoticeClaim } from '../../engine/notify/noticeMarks';
import { NOTIFY_POLICIES, pauseNoticeId, type Notice, type NoticeSummary, type NotifyPolicy } from '../../engine/notify/notices';
import { pauseClaim, pausesUntold, pauseToTell } from '../../engine/notify/pauseNotices';
import { RunNotifier } from '../../engine/notify/runNotifier';
import { postWebhook, webhookBody, webhookErrorText, webhookOrigin, webhookUrlProblem } from '../../engine/notify/webhook';
import { pauseAbout, pausedWord } from '../../engine/pauseInput';
import type { FlowRunSummary } from '../../engine/records';
import type { FlowRunner } from '../../engine/runner';
import type { RunStore } from '../../engine/runStore';
import { scheduleViews, sourceOfEntry, type ScheduleEntry } from '../../engine/schedules/scheduleEntries';
import { Scheduler, type SlotStart } from '../../engine/schedules/scheduler';
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import { isTerminal, stateLabel } from '../../engine/states';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { decimalNumber } from '../decimalNumber';
import { createRunner, openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { keepRuns, keepRunsHelp, keepRunsOf } from '../keepRuns';
import { declaredIn, fileErrors, localTime, scheduleRows } from '../scheduleSources';

export const SERVE_HELP = `Usage: flowdeck serve [file or folder...] [--limit N] [--notify-url URL] [--notify POLICY] [--keep-runs N]

Runs schedules until stopped (SIGINT or SIGTERM): every schedule in the store (\`flowdeck schedule add\`,
Schedule Flow… in VS Code) and those declared in the flow files under the given paths (default: the
current folder; files are read again when they change). Each slot runs once however many \`serve\`
processes and editor windows share the store. Prints what it serves, each next time and each run's
end. Runs of flows with resumeOnCrash whose host died are resumed.

Options:
  --limit N          run at most N runs at once (default: no limit). A slot's run past it waits for one to
                     end, saying so; one overtaken meanwhile by its schedule's next slot is not run
  --notify-url URL   POST a JSON notice { id, text, run } when an unwatched run fails (a Slack or Mattermost
                     incoming webhook works as is); retried with backoff. Also FLOWDECK_NOTIFY_URL.
  --notify POLICY    onFailure (default), onFailureAndRecovery, always, never
${keepRunsHelp(21)}
  -h, --help         this help

Stopping cancels the runs going (their state says so) and gives back slots prepared but not started.`;

/** How often the flow files are looked at for changed schedules. */
const RESCAN_MS = 10_000;

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', argv, { limit: { type: 'string' }, 'notify-url': { type: 'string' }, notify: { type: 'string' }, 'keep-runs': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, SERVE_HELP);
    return EXIT.ok;
  }
  const notifyUrl = values['notify-url'] ?? (io.env.FLOWDECK_NOTIFY_URL || undefined);
  const notifyUrlProblem = notifyUrl === undefined ? undefined : webhookUrlProblem(notifyUrl);
  if (notifyUrlProblem !== undefined) throw new UsageError(`${values['notify-url'] !== undefined ? '--notify-url' : 'FLOWDECK_NOTIFY_URL'} ${notifyUrlProblem}`);
  const policy = (values.notify ?? 'onFailure') as NotifyPolicy;
  if (!NOTIFY_POLICIES.includes(policy)) throw new UsageError(`--notify must be one of ${NOTIFY_POLICIES.join(', ')}, got '${values.notify}'`);
  const keep = keepRunsOf(values['keep-runs']);
  const limit = runLimitOf(values.limit);

  const declared = await declaredIn(positionals, io);
  for (const e of fileErrors(declared.files, io)) write(io.stderr, e);
  // Opened without settling the runs of hosts that died: marked here instead, so that those marked are told of.
  const store = await openStore(io, 'write', { detectCrashed: false, longLived: true });
  const crashedAtOpen = await store.markCrashed().catch(async (e: unknown) => {
    await store.close().catch(() => undefined);
    throw e;
  });
  const runner = createRunner(store, io, limit === undefined ? {} : { maxConcurrentRuns: limit });
  const log = (message: string): void => write(io.stderr, neutraliseTerminal(`[${new Date().toISOString()}] ${message}`));
  const masker = new SecretMasker([...secretsFromEnv(io.env), ...storedSecrets(store, io)]);

  // The notices whose telling this serve claimed in the store (crashedUnwatched.ts, endNotices.ts,
  // pauseNotices.ts), until they went through (marked told) or were given up (the claim given back, for the next
  // serve to start): a run's end by the run's id (a summary's by each of its runs'), a pause by its notice's id —
  // a run may end, or pause again, while the notice of its pause is on its way.
  const claimed = new Map<string, NoticeClaim>();
  const claimKeys = (n: Notice | NoticeSummary): readonly string[] => ('kind' in n ? [n.kind === 'paused' ? pauseNoticeId(n.run) : n.run.id] : n.runIds);
  const settle = async (n: Notice | NoticeSummary, delivered: boolean): Promise<void> => {
    for (const key of claimKeys(n)) {
      const c = claimed.get(key);
      if (!c) continue;
      claimed.delete(key);
      await (delivered ? c.told() : c.notTold()).catch((e: Error) => log(masker.mask(`Could not record whether the notice about '${c.run.name}' was delivered: ${e.message}`)));
    }
  };
  const beforeTelling = async (notice: Notice): Promise<void> => {
    const { run } = notice;
    const [key] = claimKeys(notice);
    // A crash's telling is claimed already (crashedUnwatched), and one told again as serve starts (endsUntold, pausesUntold).
    if (claimed.has(key!)) return;
    if (notice.kind === 'paused') {
      await pauseToTell(store, run).catch((e: Error) => log(masker.mask(`Could not record that the pause of '${run.name}' is to be told: ${e.message}`)));
      claimed.set(key!, pauseClaim(store, run));
      return;
    }
    await endToTell(store, run).catch((e: Error) => log(masker.mask(`Could not record that the end of '${run.name}' is to be told: ${e.message}`)));
    claimed.set(key!, endClaim(store, run));
  };
  // Under `never` nothing is told: no notice is claimed either (not even those a serve before left untold), so a
  // serve with notifications sharing the store, or started next, tells them.
  const notifier = notifyUrl === undefined || policy === 'never' ? undefined : webhookNotifier(store, notifyUrl, policy, masker, log, { beforeTelling, settled: settle });
  // A run's end or pause on its way to a notice (its policy read, the store told it is to be told): waited for
  // as serve stops, before the notices drain, so that none is offered once they did.
  const telling = new Set<Promise<void>>();
  const tell = (what: 'end' | 'pause', run: FlowRunSummary): void => {
    if (!notifier) return;
    const p = (what === 'end' ? notifier.notifier.ended(run) : notifier.notifier.paused(run)).catch((e: Error) => log(`Could not tell of the ${what} of '${run.name}': ${masker.mask(e.message)}`));
    telling.add(p);
    void p.finally(() => telling.delete(p));
  };
  const tellEnd = (run: FlowRunSummary): void => tell('end', run);
  const unwatched = new Set<string>();
  const pausedAt = new Map<string, number>();
  const onRun = (run: FlowRunSummary): void => {
    // A run paused for input waits for someone: said, and told to the webhook (once per pause).
    if (run.state.type === 'PAUSED' && pausedAt.get(run.id) !== run.state.timestamp) {
      pausedAt.set(run.id, run.state.timestamp);
      log(masker.mask(`Flow run '${run.name}' of ${run.flowName} is ${pausedWord(run.state)}${pauseAbout(run.state.message)} — resume it with \`flowdeck resume ${run.name}\``));
      tell('pause', run);
    } else if (run.state.type !== 'PAUSED') pausedAt.delete(run.id);
    if (run.parentRunId || !unwatched.has(run.id) || !isTerminal(run.state.type)) return;
    unwatched.delete(run.id);
    const took = run.startTime !== undefined && run.endTime !== undefined ? ` in ${formatDuration(run.endTime - run.startTime)}` : '';
    // As its state is printed in the run's log (`Failed('…')`): on one line, whatever the message holds.
    log(masker.mask(`Flow run '${run.name}' of ${run.flowName} ended ${stateLabel(run.state)}${took}`));
    tellEnd(run);
  };
  runner.on('run', onRun);
  runner.on('storeError', (_id, e) => log(`flowdeck: ${masker.mask(e.message)}`));

  // The runs marked Crashed — here, or by another process (the editor, a CLI command) — whose end no serve
  // told yet (crashedUnwatched.ts), of those read (readChangedRuns). A run marked here is among the runs
  // changed too (onRunsChanged).
  const tellCrashed = async ({ runs: read, error }: ChangedRuns): Promise<void> => {
    if (!notifier) return;
    if (error) log(`Could not read the crashed runs to tell of them: ${error.message}`);
    if (read.length === 0) return;
    const runs = await crashedUnwatched(store, read).catch((e: Error) => log(`Could not read the crashed runs to tell of them: ${e.message}`));
    for (const r of runs ?? []) {
      claimed.set(r.id, crashClaim(store, r));
      log(masker.mask(`Flow run '${r.name}' of ${r.flowName} ended ${stateLabel(r.state)}: its host ended while it ran`));
      tellEnd(r);
    }
  };

  const resumeCrashed = async (): Promise<void> => {
    // (A slot's run that never started is the scheduler's to take over, not a resume: isToResume.)
    const resumed = await runner.resumeCrashed({ cwd: io.cwd });
    for (const a of resumed) {
      unwatched.add(a.id);
      log(`Resuming flow run '${a.name}' of ${a.flowName}: its host ended while it ran, and the flow asks to be resumed (resumeOnCrash)`);
    }
  };
  // One look at a time, in order: each resume is claimed in the store (once across every serve and window),
  // so a look adds nothing but work while another goes. Waited for as serve stops, before its runs are cancelled.
  let resuming: Promise<void> = Promise.resolve();
  let stopping = false;
  const resumeInTurn = (): Promise<void> =>
    (resuming = resuming.then(() => (stopping ? undefined : resumeCrashed().catch((e: Error) => log(`Could not resume crashed runs: ${e.message}`)))));
  // Each run seen to change is read once (readChangedRuns: the changed runs alone), to decide on that read
  // both whether to resume it and whether to tell of it. A run of a flow with resumeOnCrash is resumed whoever marked it Crashed: this serve (its
  // scheduler's markCrashed tells the runs it marked here too), another serve, the editor or a CLI command
  // opening the store — not only as serve starts or when it marks crashes itself, which a serve with nothing
  // due may not do for a long time; until serve stops. A crashed run nobody watched is told of (with a
  // webhook) once serve has looked at those marked before it listened (`tellSeen`), until its runs ended.
  // Each look in flight is waited for as serve stops, so that a run it marked told is told before the notices drain.
  let tellSeen = false;
  const looking = new Set<Promise<void>>();
  const stopLooking = store.onRunsChanged((ids) => {
    const tell = notifier !== undefined && tellSeen;
    if (stopping && !tell) return;
    const p = readChangedRuns(store, ids).then((changed) => {
      if (!stopping && changed.runs.some(isToResume)) void resumeInTurn();
      return tell ? tellCrashed(changed) : undefined;
    });
    looking.add(p);
    void p.finally(() => looking.delete(p));
  });

  const scheduler = new Scheduler(
    store,
    {
      start: (entry, runId, slot) => start(runner, entry, runId, slot, unwatched),
      secrets: () => masker,
      log: (level, message) => log(`${level === 'INFO' ? '' : `${level}: `}${message}`),
    },
    { keepAlive: true },
  );
  scheduler.on('planned', (entry, next) => {
    if (next !== undefined) log(`Next: ${entry.flowName} (${entry.id}) at ${localTime(next)}`);
  });
  scheduler.on('started', (entry, active, slot) => log(`Started flow run '${active.name}' of ${entry.flowName} for ${localTime(slot)} (schedule ${entry.id})`));

  const views = scheduleViews(declared.entries, await store.schedules.read(), Date.now(), (text) => masker.mask(text));
  write(io.stderr, `Serving ${views.length} schedule${views.length === 1 ? '' : 's'} from ${store.location}${limit !== undefined ? `, at most ${limit} run${limit === 1 ? '' : 's'} at once` : ''}${notifier ? `; notices go to ${webhookOrigin(notifyUrl!)}` : notifyUrl !== undefined ? '; no notices (--notify never)' : ''}:`);
  for (const row of scheduleRows(views, io)) write(io.stderr, `  ${row}`);
  await resumeInTurn();
  // Those marked as it opened the store, those marked lately while no serve was there, then each seen to change.
  tellSeen = true;
  if (notifier) {
    await tellCrashed(await crashedAtStart(store, crashedAtOpen, Date.now()));
    // The ends a serve that died (or gave them up) was to tell and did not, told again.
    const untold = await endsUntold(store, Date.now()).catch((e: Error) => {
      log(`Could not read the runs whose end was not told yet: ${e.message}`);
      return [];
    });
    for (const r of untold) {
      // Left by a serve under another policy (a completed run's end, told under `always`): given back, for one whose it is.
      if (!(await notifier.notifier.tells(r).catch(() => true))) {
        await endNotTold(store, r).catch((e: Error) => log(masker.mask(`Could not give back the notice about '${r.name}': ${e.message}`)));
        continue;
      }
      claimed.set(r.id, endClaim(store, r));
      log(masker.mask(`Flow run '${r.name}' of ${r.flowName} ended ${stateLabel(r.state)}: its notice was not delivered yet, telling it again`));
      tellEnd(r);
    }
    // The pauses of runs still waiting that a serve that died (or gave them up) was to tell and did not.
    const paused = await pausesUntold(store).catch((e: Error) => {
      log(`Could not read the paused runs whose pause was not told yet: ${e.message}`);
      return [];
    });
    for (const r of paused) {
      claimed.set(pauseNoticeId(r), pauseClaim(store, r));
      log(masker.mask(`Flow run '${r.name}' of ${r.flowName} is ${pausedWord(r.state)}${pauseAbout(r.state.message)} — its notice was not delivered yet, telling it again`));
      tell('pause', r);
    }
  }
  const stopPruning = keep === undefined ? undefined : await keepRuns(store, runner, keep, log);
  scheduler.setDeclared(declared.entries);
  scheduler.start();

  let seen = fileTimes(positionals, io);
  const rescan = setInterval(() => {
    const now = fileTimes(positionals, io);
    if (now === seen) return;
    seen = now;
    void declaredIn(positionals, io).then(
      (next) => {
        log(`Flow files changed: serving ${next.entries.length} schedule(s) declared in them`);
        for (const e of fileErrors(next.files, io)) write(io.stderr, e);
        scheduler.setDeclared(next.entries);
      },
      (e: Error) => log(`Could not read the flow files again: ${e.message}`),
    );
  }, RESCAN_MS);

  const signal = await stopSignal(() => {
    // A second signal: the runs stop at once.
    for (const a of runner.active()) runner.kill(a.id, 'Stopped at once by a second signal to flowdeck serve');
  });
  clearInterval(rescan);
  const going = runner.active().length;
  log(`${signal}: stopping; ${going === 0 ? 'no run to cancel' : `cancelling ${going === 1 ? 'the run' : `${going} runs`} still going`}, and giving back the slots prepared`);
  await scheduler.stop(`flowdeck serve (pid ${process.pid}) stopped before the slot was due`);
  stopping = true;
  await resuming;
  for (const a of runner.active()) runner.cancel(a.id, `Cancelled: flowdeck serve was stopped (${signal})`);
  await Promise.all(runner.active().map((a) => a.done));
  stopLooking();
  await Promise.all(looking);
  await Promise.all(telling);
  await notifier?.drain();
  await stopPruning?.();
  await store.close();
  return EXIT.ok;
}

function start(runner: FlowRunner, entry: ScheduleEntry, runId: string, slot: SlotStart, unwatched: Set<string>) {
  return runner.start({ source: sourceOfEntry(entry), flowName: entry.flowName }, { runId, ...slot }).then((active) => {
    unwatched.add(active.id);
    return active;
  });
}

/** `--limit N`: how many runs go at once, 1 to 256; unset, no limit. */
function runLimitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = decimalNumber(value);
  if (n === undefined || n < 1 || n > 256) throw new UsageError(`--limit must be a whole number from 1 to 256 (runs at once), got ${JSON.stringify(value)}`);
  return n;
}

function storedSecrets(store: RunStore, io: CliIo): string[] {
  try {
    return secretValuesFrom(io.env, readCredentials(store.home));
  } catch {
    return [];
  }
}

/** How long a stopping serve waits for notices still being delivered (retried) before it gives them up. */
const DRAIN_MS = 15_000;

/**
 * Notices POSTed to the webhook; `drain` waits (bounded) for those in flight when serve stops. `beforeTelling`
 * records a run's end or pause is to be told before its notice is offered; `settled` hears of each notice,
 * whether it went through or was given up, before it counts as done.
 */
function webhookNotifier(
  store: RunStore,
  url: string,
  policy: NotifyPolicy,
  masker: SecretMasker,
  log: (m: string) => void,
  { beforeTelling, settled }: { beforeTelling: (notice: Notice) => Promise<void>; settled: (notice: Notice | NoticeSummary, delivered: boolean) => Promise<void> },
) {
  const inFlight = new Set<Promise<void>>();
  // Stops the retries of notices still undelivered once serve has waited for them long enough.
  const giveUp = new AbortController();
  const notifier = new RunNotifier(store, {
    policy: () => policy,
    beforeTelling,
    deliver: (n) => {
      const run = 'run' in n ? n.run : n.latest;
      const p = postWebhook(url, webhookBody(n, masker), {
        signal: giveUp.signal,
        onRetry: (attempt, e) => log(masker.mask(`Notice about '${run.name}' not delivered (attempt ${attempt}: ${webhookErrorText(url, e)}); retrying`)),
      }).then(
        () => settled(n, true),
        (e: unknown) => {
          if (!giveUp.signal.aborted) log(masker.mask(`Could not deliver the notice about flow run '${run.name}' to ${webhookOrigin(url)}: ${webhookErrorText(url, e)}`));
          return settled(n, false);
        },
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
  });
  return {
    notifier,
    drain: async (): Promise<void> => {
      notifier.flush();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(inFlight), new Promise((r) => (timer = setTimeout(r, DRAIN_MS)))]);
      clearTimeout(timer);
      if (inFlight.size === 0) return;
      // Their retries would keep the process going (a minute of backoff): they are given up, and said so.
      log(`Stopping without ${inFlight.size === 1 ? 'the notice' : `${inFlight.size} notices`} not delivered after ${DRAIN_MS / 1000} s: ${webhookOrigin(url)} did not take ${inFlight.size === 1 ? 'it' : 'them'}`);
      giveUp.abort();
      await Promise.all(inFlight);
    },
  };
}

/** Resolves with the first SIGINT or SIGTERM; later ones call `again`. */
function stopSignal(again: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const on = (sig: NodeJS.Signals): void => {
      if (seen) return again();
      seen = true;
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** The flow files under `paths` with their modification times: what changed when this does. */
function fileTimes(paths: readonly string[], io: CliIo): string {
  try {
    const files = (paths.length > 0 ? paths : ['.']).flatMap((p) => findFlowFiles(resolve(io.cwd, p)));
    return files.map((f) => `${f}@${mtimeOf(f)}`).join('\n');
  } catch {
    return '';
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
