/**
 * Starting a run from anywhere in the editor (tree, CodeLens, palette, dashboard, rerun): the trust check,
 * saving the flow file, the output channel, and errors the user can act on.
 */
import * as vscode from 'vscode';
import type { ActiveRun } from '../../engine/runner';
import { BadInputError } from '../../engine/runner';
import { sourceOfRun } from '../flows/flowRef';
import type { FlowdeckHost, StartRequest } from '../host';
import type { RunOutput } from '../output/runOutput';
import { NOT_GIVEN, withSecretsAsked } from '../parameters/secretsAgain';
import { readSettings } from '../settings';
import { canRun } from '../trust';
import { slotWaitText } from './present';
import { noticeFailure } from './failureNotice';

const OPEN_FILE = 'Open File';
const SHOW_OUTPUT = 'Show Output';

/** `file:line:col: message`, as compile errors are reported. */
const LOCATION = /^(.+?):(\d+):(\d+): /;

export class RunLauncher {
  constructor(
    private readonly host: FlowdeckHost,
    private readonly output: RunOutput,
  ) {}

  /**
   * Starts a run; undefined when it could not start (the user has been told why, and `onError` hears it
   * too). Runs asked for in the sidebar or an editor (`fromEditor`) bring the output channel forward as
   * `flowdeck.revealOutput` says; the dashboard shows the run's logs itself.
   */
  async run(request: StartRequest, options: { fromEditor?: boolean; onError?: (message: string) => void } = {}): Promise<ActiveRun | undefined> {
    const fromEditor = options.fromEditor ?? true;
    if (!canRun(request.source)) {
      options.onError?.('This workspace is not trusted, so its flows do not run.');
      return undefined;
    }
    if (request.source.kind === 'file' && !(await saveIfDirty(request.source.path))) return undefined;
    const label = request.flowName ?? (request.source.kind === 'builtin' ? request.source.id : request.source.path);
    let active: ActiveRun | typeof NOT_GIVEN;
    try {
      // The window progress shows while the worker loads, or, saying so, while every run slot is taken.
      const start = (secretParameters?: Record<string, string>): Thenable<ActiveRun> =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Starting flow ${label}…` }, (progress) =>
          this.host.start({ ...request, ...(secretParameters ? { secretParameters } : {}) }, { onSlotWait: (running) => progress.report({ message: slotWaitText(running) }) }),
        );
      // A Rerun of a run given a secret parameter: its value is asked for again.
      active = await withSecretsAsked(label, start);
    } catch (e) {
      options.onError?.((e as Error).message ?? String(e));
      void this.showStartError(label, e);
      return undefined;
    }
    if (active === NOT_GIVEN) return undefined;
    this.follow(active, fromEditor);
    return active;
  }

  /**
   * After a start or a resume: the output comes forward as `flowdeck.revealOutput` says, and a failure is
   * told in the editor. Started from the dashboard, nobody follows its logs (the dashboard shows a failed
   * run's state itself): its failure is notified instead (flowdeck.notify).
   */
  private follow(active: ActiveRun, fromEditor: boolean): void {
    if (!fromEditor) this.host.markUnwatched(active.id);
    const reveal = readSettings().revealOutput;
    if (fromEditor && reveal === 'onRun') this.output.reveal();
    void active.done.then((detail) => {
      if (detail.state.type !== 'COMPLETED' && reveal === 'onFailure') this.output.reveal();
      if (fromEditor) void noticeFailure(detail, () => this.host.store());
    });
  }

  /** Resumes a run that did not complete (Retry from Failure): the same run, a new attempt. */
  async resume(run: { id: string; name: string; source: string }, options: { fromEditor?: boolean; input?: Record<string, unknown> } = {}): Promise<ActiveRun | undefined> {
    if (!canRun(sourceOfRun(run.source))) return undefined;
    let active: ActiveRun | typeof NOT_GIVEN;
    try {
      const resume = (secretParameters?: Record<string, string>): Thenable<ActiveRun> =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Resuming flow run ${run.name}…` }, () => this.host.resume(run.id, options.input, secretParameters));
      // Its records hold *** for a secret parameter: its value is asked for again.
      active = await withSecretsAsked(run.name, resume);
    } catch (e) {
      if (e instanceof BadInputError) void vscode.window.showInformationMessage((e as Error).message);
      else void this.showStartError(run.name, e);
      return undefined;
    }
    if (active === NOT_GIVEN) return undefined;
    this.follow(active, options.fromEditor ?? true);
    return active;
  }

  private async showStartError(label: string, error: unknown): Promise<void> {
    const message = (error as Error).message ?? String(error);
    if (error instanceof BadInputError) {
      const at = LOCATION.exec(message);
      const choice = await vscode.window.showErrorMessage(message, ...(at ? [OPEN_FILE] : []));
      if (choice === OPEN_FILE && at) await openAt(at[1]!, Number(at[2]), Number(at[3]));
      return;
    }
    this.output.note(`Could not start flow ${label}: ${message}`, 'ERROR');
    const choice = await vscode.window.showErrorMessage(`Could not start flow ${label}: ${message}`, SHOW_OUTPUT);
    if (choice === SHOW_OUTPUT) this.output.reveal();
  }
}

/** Runs use the file on disk: unsaved edits are saved first, as a test runner does. */
async function saveIfDirty(path: string): Promise<boolean> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === path);
  if (!doc?.isDirty) return true;
  if (await doc.save()) return true;
  void vscode.window.showErrorMessage(`Could not save ${path} before running it. Save the file and run the flow again.`);
  return false;
}

/**
 * Opens a file with the cursor at a 1-based line and column. A file gone since (a run's flow file moved or
 * deleted) is said so in words, not as the editor's `cannot open vscode-remote://… Detail: Unable to read file …`.
 */
export async function openAt(path: string, line: number, column: number): Promise<void> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(path));
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') {
      throw new Error(`${vscode.workspace.asRelativePath(path, false)} is not there any more: it was moved, renamed or deleted since. Restore it, or open the file where it is now.`);
    }
  }
  const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
  await vscode.window.showTextDocument(vscode.Uri.file(path), { selection: new vscode.Range(position, position) });
}
