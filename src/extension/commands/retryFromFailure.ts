/**
 * "Retry from Failure": the same run goes on as a new attempt. Task calls that completed before return
 * their kept results instead of running again; the failed, cancelled and never-reached ones run.
 */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerRetryFromFailure(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.retryFromFailure', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (!run) return;
      await flowdeck.launcher.resume(run);
    }),
  );
}
