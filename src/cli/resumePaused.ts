/**
 * `flowdeck resume <paused run>`: the input read from `--input`/`--inputs` by what the run waits for
 * (pauseFlowRun's declaration, on its Paused state), checked here, handed to the process running the run
 * through the store, then the run's state once it goes on.
 */
import { ParameterError } from '../engine/parameters';
import { inputFromText, pauseInput, pausedWord } from '../engine/pauseInput';
import type { FlowRunSummary } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import { SecretMasker, secretsFromEnv } from '../engine/secrets';
import { formatState, isTerminal } from '../engine/states';
import { neutraliseTerminal } from '../engine/terminalText';
import type { ParameterDeclarations } from '../engine/types';
import { knownSecrets } from './knownSecrets';
import { EXIT, write, type CliIo } from './io';
import { parameterInput } from './parameterArgs';
import { stateJson } from './runJson';

/** How long `resume` waits for a paused run to go on by default, and at most. */
export const DEFAULT_WAIT_SECONDS = 60;
export const MAX_WAIT_SECONDS = 3600;
const LOOK_MS = 200;

export interface PausedResumeOptions {
  input?: string[];
  inputs?: string;
  waitSeconds: number;
  json: boolean;
}

/**
 * The input `--input`/`--inputs` give a Paused or Suspended run, read by what it waits for (on its state, as
 * listed: no journal read) and checked; or undefined once what does not fit, and what it waits for, are said.
 */
export function givenInput(run: FlowRunSummary, options: Pick<PausedResumeOptions, 'input' | 'inputs'>, io: CliIo): Record<string, unknown> | undefined {
  const declarations = run.state.pause?.input;
  const masker = new SecretMasker(secretsFromEnv(io.env));
  try {
    const given = parameterInput({ param: options.input, params: options.inputs }, (t) => masker.mask(t), io.cwd, { one: '--input', many: '--inputs' });
    const checked = pauseInput(declarations, { ...given.parameters, ...inputFromText(declarations, given.parameterText, run.name) }, (t) => masker.mask(t), run.name);
    if ('problem' in checked) throw new ParameterError(checked.problem, [checked.problem]);
    return checked.input;
  } catch (e) {
    if (!(e instanceof ParameterError)) throw e;
    write(io.stderr, neutraliseTerminal(`flowdeck resume: ${masker.mask(e.message)}`));
    write(io.stderr, neutraliseTerminal(waitsFor(run, declarations)));
    return undefined;
  }
}

export async function resumePaused(store: RunStore, run: FlowRunSummary, options: PausedResumeOptions, io: CliIo): Promise<number> {
  const label = `Flow run '${run.name}'`;
  const input = givenInput(run, options, io);
  if (input === undefined) return EXIT.badInput;
  const outcome = await store.requestResumePaused(run.id, input);
  const report = (latest: FlowRunSummary, shown: string, text: string): void => {
    if (options.json) write(io.stdout, JSON.stringify({ id: latest.id, name: latest.name, outcome: shown, state: stateJson(latest.state) }));
    write(options.json ? io.stderr : io.stdout, neutraliseTerminal(text));
  };
  if (outcome === 'unknown') {
    write(io.stderr, neutraliseTerminal(`flowdeck resume: run '${run.name}' is gone from ${store.location}`));
    return EXIT.badInput;
  }
  if (outcome !== 'requested') {
    const latest = (await store.get(run.id)) ?? run;
    report(latest, outcome, `${label} is no longer paused: ${formatState(latest.state)}. Nothing to resume.`);
    return EXIT.runFailed;
  }
  if (options.waitSeconds === 0) {
    report(run, 'requested', `${label}: resume requested; the process running it goes on with it (\`flowdeck runs\` shows it Running then).`);
    return EXIT.ok;
  }
  const latest = await goneOn(store, run, options.waitSeconds * 1000);
  if (latest.state.type === 'PAUSED' && latest.state.timestamp === run.state.timestamp) {
    report(latest, 'requested', `${label} is still Paused after ${options.waitSeconds} s; the request stands. \`flowdeck logs ${run.name}\` says if the process running it refused the input.`);
    return EXIT.runFailed;
  }
  // Another resume may have been taken first (two at once): the input the pause went on with says whose.
  const key = run.state.pause?.key;
  // Its detail alone (task runs not held: a paused map may have a million).
  const taken = key === undefined ? undefined : (await store.readRunParts(run.id, { artifactData: false }))?.detail.inputs?.[key];
  if (taken !== undefined && !taken.timedOut && taken.ts >= run.state.timestamp && !sameInput(taken.value, knownSecrets(io.env, store.home).maskValue(input))) {
    report(latest, 'superseded', `${label} went on with the input of another resume given at the same time; this one's was not used. \`flowdeck inspect ${run.name}\` shows the input it got.`);
    return EXIT.runFailed;
  }
  report(latest, 'resumed', `${label} resumed: ${formatState(latest.state)}. \`flowdeck logs ${run.name} --follow\` follows it.`);
  return EXIT.ok;
}

/** Whether the input recorded holds each value given (masked as it was recorded; defaults it filled in aside). */
function sameInput(recorded: unknown, given: Record<string, unknown>): boolean {
  if (recorded === null || typeof recorded !== 'object') return Object.keys(given).length === 0;
  const r = recorded as Record<string, unknown>;
  return Object.entries(given).every(([k, v]) => JSON.stringify(r[k]) === JSON.stringify(v));
}

/**
 * A run still going when its input is given (a script answering a pause's notice the moment it came, before
 * the list says Paused): it is resumed once it pauses, within the wait; one that ends or never pauses
 * meanwhile is said so.
 */
export async function resumeWhenPaused(store: RunStore, run: FlowRunSummary, options: PausedResumeOptions, io: CliIo, suspended: (run: FlowRunSummary) => Promise<number>): Promise<number> {
  const label = `Flow run '${run.name}'`;
  write(options.json ? io.stderr : io.stdout, neutraliseTerminal(`${label} is ${run.state.name}, not paused yet: waiting up to ${options.waitSeconds} s for it to pause…`));
  const latest = await until(store, run, options.waitSeconds * 1000, (r) => r.state.type === 'PAUSED' || isTerminal(r.state.type));
  if (latest.state.name === 'Suspended') return suspended(latest);
  if (latest.state.type === 'PAUSED') return resumePaused(store, latest, options, io);
  if (options.json) write(io.stdout, JSON.stringify({ id: latest.id, name: latest.name, outcome: isTerminal(latest.state.type) ? 'finished' : 'not-paused', state: stateJson(latest.state) }));
  write(options.json ? io.stderr : io.stdout, neutraliseTerminal(isTerminal(latest.state.type) ? `${label} ended ${formatState(latest.state)} without pausing. Nothing to resume.` : `${label} is still ${latest.state.name} after ${options.waitSeconds} s; it did not pause.`));
  return EXIT.runFailed;
}

/** What the run waits for, for a message after a refused input. */
function waitsFor(run: FlowRunSummary, declarations: ParameterDeclarations | undefined): string {
  const about = run.state.message ? ` (${run.state.message})` : '';
  const is = `is ${pausedWord(run.state)}`;
  if (declarations === undefined || Object.keys(declarations).length === 0) return `Flow run '${run.name}' ${is}${about} and waits for no input: resume it without --input.`;
  const lines = Object.entries(declarations).map(([k, d]) => `  --input ${k}=…  ${d.type}${d.required ? ', required' : d.default !== undefined ? `, default ${JSON.stringify(d.default)}` : ''}${d.enum ? `, one of ${d.enum.map((v) => JSON.stringify(v)).join(', ')}` : ''}${d.description ? ` — ${d.description}` : ''}`);
  return `Flow run '${run.name}' ${is}${about} and waits for:\n${lines.join('\n')}`;
}

/** The run once it has left the pause it was in, or as it is when `ms` have passed. */
function goneOn(store: RunStore, run: FlowRunSummary, ms: number): Promise<FlowRunSummary> {
  return until(store, run, ms, (r) => r.state.timestamp !== run.state.timestamp || r.state.type !== 'PAUSED');
}

/** The run as listed once `done` says so, or as it is when `ms` have passed. */
async function until(store: RunStore, run: FlowRunSummary, ms: number, done: (r: FlowRunSummary) => boolean): Promise<FlowRunSummary> {
  const deadline = Date.now() + ms;
  let latest = run;
  for (;;) {
    await store.refresh();
    latest = (await store.get(run.id)) ?? latest;
    if (done(latest) || Date.now() >= deadline) return latest;
    await new Promise((r) => setTimeout(r, Math.min(LOOK_MS, Math.max(0, deadline - Date.now()))));
  }
}
