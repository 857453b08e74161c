/** `flowdeck cancel`: cancels a run wherever it runs, and waits for it to end. */
import { formatState, isTerminal } from '../../engine/states';
import { decimalNumber } from '../decimalNumber';
import { neutraliseTerminal } from '../../engine/terminalText';
import type { FlowRunSummary } from '../../engine/records';
import { attemptKey } from '../../engine/resumePlan';
import type { RunStore } from '../../engine/runStore';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { knownSecrets } from '../knownSecrets';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { resolveRunRef } from '../resolveRun';
import { stateJson } from '../runJson';

/** How long `cancel` waits for the run to end by default, and at most. */
const DEFAULT_WAIT_SECONDS = 60;
const MAX_WAIT_SECONDS = 3600;
const LOOK_MS = 200;

export const CANCEL_HELP = `Usage: flowdeck cancel <run id, unique id prefix, or name> [--reason TEXT] [--wait SECONDS] [--json]

Cancels a run wherever it runs: a \`flowdeck run\` or \`flowdeck serve\` in a terminal, a VS Code window,
or a worker on another machine (Postgres store). The run goes to Cancelling, its flow's AbortSignal fires,
and its worker is stopped after a grace period. A run queued for a worker and not yet taken is Cancelled
at once. A run that ended and is being resumed (its flow still loading) is cancelled by its resume as soon
as the resume takes it over, before the flow is called; one that ended and waits on a queue to be resumed
(\`resume --queue\`, a crash workers resume) has that resume withdrawn, and stays as it ended; one a host
would resume by itself (resumeOnCrash) has that resume cancelled: its next attempt ends Cancelled. Then waits for
the run to end and prints its final state.

Options:
  --reason TEXT    the Cancelled state's message (default: "Cancelled by flowdeck cancel")
  --wait SECONDS   how long to wait for the run to end (default ${DEFAULT_WAIT_SECONDS}; 0: only ask)
  --json           print {"id", "name", "outcome", "state"} on stdout; outcome is one of
                   cancelled (it ended Cancelled), requested (asked; still going, or --wait 0),
                   finished (it ended otherwise, or had already), withdrawn
  -h, --help       this help

Exit codes: 0 the run ended Cancelled (or, with --wait 0, the request was made); 1 it had already ended
(its resume withdrawn or not), ended in another state, or was still going when the wait ran out; 2 no such run, or bad options.`;

export async function cancelCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('cancel', argv, {
    reason: { type: 'string' },
    wait: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    write(io.stdout, CANCEL_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck cancel takes one run id or name\n\n${CANCEL_HELP}`);
  const waitSeconds = values.wait === undefined ? DEFAULT_WAIT_SECONDS : decimalNumber(values.wait, { fraction: true });
  if (waitSeconds === undefined || !(waitSeconds >= 0 && waitSeconds <= MAX_WAIT_SECONDS)) {
    throw new UsageError(`flowdeck cancel: --wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not '${values.wait}'`);
  }
  const reason = values.reason?.trim() || 'Cancelled by flowdeck cancel';
  const store = await openStore(io);
  try {
    const run = await resolveRunRef(store, positionals[0]!, io, 'cancel');
    if (!run) return EXIT.badInput;
    if (run.parentRunId !== undefined) {
      const parent = await store.get(run.parentRunId);
      write(io.stderr, neutraliseTerminal(`flowdeck cancel: '${run.name}' is a subflow run; cancel the run it belongs to${parent ? ` ('${parent.name}')` : ''}, which stops its subflows with it`));
      return EXIT.badInput;
    }
    const label = `Flow run '${run.name}'`;
    // Masked whole before anything cuts it (a cut secret would no longer be found).
    const outcome = await store.requestCancel(run.id, knownSecrets(io.env, store.home).mask(reason));
    if (outcome === 'unknown') {
      write(io.stderr, neutraliseTerminal(`flowdeck cancel: run '${run.name}' is gone from ${store.location}`));
      return EXIT.badInput;
    }
    // The outcome says what happened: the store's answer to the request, or how a run asked to stop ended.
    const report = (latest: FlowRunSummary, text: string, shown: string = outcome): void => {
      if (values.json) write(io.stdout, JSON.stringify({ id: latest.id, name: latest.name, outcome: shown, state: stateJson(latest.state) }));
      write(values.json ? io.stderr : io.stdout, neutraliseTerminal(text));
    };
    if (outcome === 'withdrawn') {
      const latest = (await store.get(run.id)) ?? run;
      report(latest, `${label}: its resume on its queue was withdrawn before a worker took it up; it stays ${formatState(latest.state)}.`);
      return EXIT.runFailed;
    }
    if (outcome === 'finished') {
      const latest = (await store.get(run.id)) ?? run;
      report(latest, `${label} had already ended: ${formatState(latest.state)}. Nothing to cancel.`);
      return EXIT.runFailed;
    }
    // Ended, and being resumed (its flow loading): the request went to the resume.
    const resuming = outcome === 'requested' && isTerminal(run.state.type);
    if (outcome === 'requested' && waitSeconds > 0) {
      const asked = resuming ? `ended ${run.state.name} and is being resumed: asked the process resuming it to cancel it…` : `is ${run.state.name}: asked the process running it to cancel it…`;
      write(values.json ? io.stderr : io.stdout, neutraliseTerminal(`${label} ${asked}`));
    }
    const latest = outcome === 'requested' && waitSeconds > 0 ? await ended(store, run, resuming, waitSeconds * 1000) : ((await store.get(run.id)) ?? run);
    if (outcome === 'requested' && waitSeconds === 0) {
      report(latest, `${label}: cancel requested; the process running it ends it (\`flowdeck runs\` shows it Cancelled then).`);
      return EXIT.ok;
    }
    const notTaken = resuming && latest.attempt === run.attempt;
    if (!isTerminal(latest.state.type) || (notTaken && (await store.cancelOfClaim(attemptKey(run.id, run.attempt + 1))) !== undefined)) {
      const still = isTerminal(latest.state.type) ? 'still being resumed' : `still ${latest.state.name}`;
      report(latest, `${label} is ${still} after ${waitSeconds} s; the request stands. \`flowdeck runs\` shows when it ends.`);
      return EXIT.runFailed;
    }
    if (notTaken) {
      report(latest, `${label}: its resume stopped before it took the run over; it stays ${formatState(latest.state)}.`);
      return EXIT.runFailed;
    }
    // Asked, and ended within the wait: Cancelled, or ended otherwise (it completed first, say).
    const cancelled = latest.state.type === 'CANCELLED';
    report(latest, `${label} - Finished in state ${formatState(latest.state)}`, outcome === 'requested' ? (cancelled ? 'cancelled' : 'finished') : outcome);
    return cancelled ? EXIT.ok : EXIT.runFailed;
  } finally {
    await store.close();
  }
}

/**
 * The run once it has ended, or as it is when `ms` have passed. A run being resumed (`resuming`) has ended
 * once its new attempt has, or once its resume gave the attempt back without taking it (the flow would not
 * load): then its request is gone with the claim.
 */
async function ended(store: RunStore, run: FlowRunSummary, resuming: boolean, ms: number): Promise<FlowRunSummary> {
  const deadline = Date.now() + ms;
  let latest = run;
  for (;;) {
    await store.refresh();
    latest = (await store.get(run.id)) ?? latest;
    const over = !resuming || latest.attempt > run.attempt || (await store.cancelOfClaim(attemptKey(run.id, run.attempt + 1))) === undefined;
    if ((isTerminal(latest.state.type) && over) || Date.now() >= deadline) return latest;
    await new Promise((r) => setTimeout(r, Math.min(LOOK_MS, Math.max(0, deadline - Date.now()))));
  }
}
