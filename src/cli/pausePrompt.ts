/**
 * On a terminal, a run this `flowdeck run` (or `resume`) runs that pauses (pauseFlowRun) is answered right
 * here: the input it waits for is asked one line each on stderr — each answer read by its declared type
 * and checked as the run will check it, asked again when it does not fit — and then the run goes on.
 * Resumed elsewhere meanwhile (another terminal, the editor), the questions stop and say so. Ctrl-C while
 * asked cancels the run, as anywhere else. Only where stdin and stderr are both terminals: a pipe, a file
 * or a CI job never waits on a question (the run waits for a resume from elsewhere, as its log says).
 */
import type { Interface } from 'node:readline';
import { formatDuration } from '../engine/durationText';
import { ParameterError } from '../engine/parameters';
import { inputFromText, pauseAbout, pauseInput, pausedWord } from '../engine/pauseInput';
import type { FlowRunSummary, PauseInfo } from '../engine/records';
import { neutraliseTerminal } from '../engine/terminalText';
import type { ParameterDeclaration } from '../engine/types';
import type { TerminalInput } from './io';

/** Back to the line's start, and the line cleared. */
const ERASE = '\r\x1b[2K';

type Tty = { isTTY?: boolean };

export interface PausePromptHost {
  /** What the run waits for, as the runner folds it. */
  pauseOf(runId: string): PauseInfo | undefined;
  /** Resumes the run here with `input`; returns why not. */
  resumePaused(runId: string, input: Record<string, unknown>): string | undefined;
  /** Ctrl-C while asked: the run is cancelled as by Ctrl-C anywhere else. */
  interrupt(): void;
  /** The questions stopped without an answer (the terminal closed, Ctrl-D). */
  unanswered?(): void;
}

interface Asking {
  runId: string;
  /** The Paused state's time: a later pause is another question. */
  pausedAt: number;
  rl: Interface;
  /** The question on screen now, redrawn after a log line. */
  question: string;
  answered: boolean;
}

export class PausePrompt {
  private asking?: Asking;

  private constructor(
    private readonly stdin: TerminalInput,
    private readonly output: NodeJS.WritableStream,
    private readonly host: PausePromptHost,
  ) {}

  /** A prompt where both `stdin` and `stderr` are terminals, else undefined. */
  static for(stdin: TerminalInput | undefined, stderr: NodeJS.WritableStream, host: PausePromptHost): PausePrompt | undefined {
    // stderr first: stdin's look loads node:tty, which a run whose output goes to a pipe never needs.
    return (stderr as Tty).isTTY === true && stdin?.isTTY === true ? new PausePrompt(stdin, stderr, host) : undefined;
  }

  /** Whether a question is on screen (the progress footer keeps away then). */
  get active(): boolean {
    return this.asking !== undefined;
  }

  /** A state of a run of this process: a pause is asked about; a run that went on is asked no more. */
  onRun(run: FlowRunSummary): void {
    const a = this.asking;
    if (a && a.runId === run.id && (run.state.type !== 'PAUSED' || run.state.timestamp !== a.pausedAt)) {
      // Resumed elsewhere, or ended: said (a pause after another is asked anew just below).
      const how = run.state.type === 'RUNNING' ? 'was resumed elsewhere' : `is ${run.state.name}`;
      this.stop(a.answered || run.state.type === 'PAUSED' ? undefined : `Flow run '${run.name}' ${how}: nothing is asked here any more.`);
    }
    if (run.state.type !== 'PAUSED' || this.asking) return;
    const pause = this.host.pauseOf(run.id);
    if (pause === undefined) return;
    void this.ask(run, pause);
  }

  /** `text` (whole lines, a log line) written above the question, which is drawn again after it with what was typed. */
  around(text: string): string {
    const a = this.asking;
    return a ? `${ERASE}${text}${a.question}${a.rl.line}` : text;
  }

  /** Stops asking (the run ended, or the command is done). */
  close(): void {
    if (this.asking) this.stop();
  }

  private stop(note?: string): void {
    const a = this.asking;
    if (!a) return;
    this.asking = undefined;
    a.rl.close();
    this.output.write(`${ERASE}${note ? `${neutraliseTerminal(note)}\n` : ''}`);
    if (!a.answered) this.host.unanswered?.();
  }

  private async ask(run: FlowRunSummary, pause: PauseInfo): Promise<void> {
    // Loaded when a question is asked: most runs never pause.
    const { createInterface } = require('node:readline') as typeof import('node:readline');
    const rl = createInterface({ input: this.stdin.open(), output: this.output, terminal: true });
    const asking: Asking = { runId: run.id, pausedAt: run.state.timestamp, rl, question: '', answered: false };
    this.asking = asking;
    // In raw mode Ctrl-C reaches readline, not the process: it cancels the run all the same.
    rl.on('SIGINT', () => {
      this.stop();
      this.host.interrupt();
    });
    const current = (): boolean => this.asking === asking;
    const question = (text: string): Promise<string | undefined> =>
      new Promise((resolve) => {
        asking.question = text;
        rl.once('close', () => resolve(undefined));
        rl.question(text, (answer) => resolve(answer));
      });
    const declared = Object.entries(pause.input ?? {});
    const about = pauseAbout(run.state.message);
    const within = formatDuration(Math.max(0, pause.until - Date.now()));
    // A suspended run is asked for before it runs again here: Ctrl-C then leaves it as it is.
    const suspended = run.state.name === 'Suspended';
    this.output.write(neutraliseTerminal(`⏸ Flow run '${run.name}' is ${pausedWord(run.state)}${about}\n`));
    this.output.write(neutraliseTerminal(`  ${declared.length > 0 ? 'Answer here' : 'Press Enter to resume it'} within ${within}${suspended ? '; Ctrl-C leaves it suspended' : ', or resume it elsewhere; Ctrl-C cancels the run'}.\n`));
    const given: Record<string, unknown> = {};
    for (const [key, decl] of declared) {
      for (;;) {
        const answer = await question(neutraliseTerminal(`  ${key} (${describe(decl)}): `));
        if (answer === undefined || !current()) return this.ended(asking);
        const text = answer.trim();
        if (text === '' && !decl.required) break;
        const problem = this.check(run.name, key, decl, text, given);
        if (problem === undefined) break;
        this.output.write(neutraliseTerminal(`    ${problem}\n`));
      }
    }
    if (declared.length === 0 && ((await question('')) === undefined || !current())) return this.ended(asking);
    asking.answered = true;
    const problem = this.host.resumePaused(run.id, given);
    this.stop(problem === undefined ? undefined : `Could not resume flow run '${run.name}': ${problem}`);
  }

  /** The terminal's input ended (Ctrl-D) while `asking` was on screen: no more questions. */
  private ended(asking: Asking): void {
    if (this.asking === asking) this.stop();
  }

  /** Why `text` does not fit `key`'s declaration, or undefined (and the value kept in `given`). */
  private check(runName: string, key: string, decl: ParameterDeclaration, text: string, given: Record<string, unknown>): string | undefined {
    try {
      const value = text === '' ? {} : inputFromText({ [key]: decl }, { [key]: text }, runName);
      const checked = pauseInput({ [key]: decl }, value, undefined, runName);
      if ('problem' in checked) return checked.problem.replace(/^Invalid input for flow run '.*?': /, '');
      if (checked.input[key] !== undefined) given[key] = checked.input[key];
      return undefined;
    } catch (e) {
      if (e instanceof ParameterError) return e.problems.join('; ').replace(/; pass it as --input .*$/, '');
      throw e;
    }
  }
}

/** `boolean, required — ship it`, `integer, default 2`, `string, one of "a", "b"`. */
function describe(decl: ParameterDeclaration): string {
  const facts: string[] = [decl.type];
  if (decl.required && decl.default === undefined) facts.push('required');
  if (decl.default !== undefined) facts.push(`Enter for ${JSON.stringify(decl.default)}`);
  if (decl.enum) facts.push(`one of ${decl.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  return `${facts.join(', ')}${decl.description ? ` — ${decl.description}` : ''}`;
}
