/**
 * The "Flowdeck" output channel: every run's log lines, live, in Prefect's format
 * (`12:00:01.234 | INFO    | Flow run 'light-potoo' - ...`).
 *
 * A plain OutputChannel rather than a LogOutputChannel: a LogOutputChannel puts its own timestamp and
 * level in front of every line and hides lines below the editor's log level, so Prefect's lines would
 * carry two times and two levels, and DEBUG lines would vanish. The `log` language id still colours the
 * levels. The extension's own messages use the same line format under the source `flowdeck.vscode`.
 */
import * as vscode from 'vscode';
import { formatLogLine } from '../../engine/logFormat';
import type { LogLevel, LogRecord } from '../../engine/records';
import { neutraliseTerminal } from '../../engine/terminalText';
import { LineBatcher } from './lineBatcher';

export const EXTENSION_SOURCE = 'flowdeck.vscode';

export class RunOutput implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Flowdeck', 'log');
  private readonly batcher = new LineBatcher((text) => this.channel.append(text));

  /** A log line, what the flow wrote in it made harmless as the CLI prints it (neutraliseTerminal). */
  log(record: Pick<LogRecord, 'ts' | 'level' | 'source' | 'message'>): void {
    this.batcher.push(neutraliseTerminal(formatLogLine(record)));
  }

  /** A line about the extension itself (activation time, a message the dashboard sent that was refused). */
  note(message: string, level: LogLevel = 'INFO'): void {
    this.log({ ts: Date.now(), level, source: EXTENSION_SOURCE, message });
  }

  /** Shows the channel without taking focus from the editor. */
  reveal(): void {
    this.batcher.flush();
    this.channel.show(true);
  }

  dispose(): void {
    this.batcher.dispose();
    this.channel.dispose();
  }
}
