/** Asks which queue of `flowdeck worker`s to send a run to, offering the last one asked for (or the default). */
import * as vscode from 'vscode';
import { checkQueueName, DEFAULT_QUEUE } from '../engine/postgres/queueName';
import { askText } from './util/stayOpenInput';

export async function askQueue(context: vscode.ExtensionContext, title: string, prompt: string): Promise<string | undefined> {
  const queue = await askText({
    title,
    prompt,
    value: context.globalState.get<string>('flowdeck.lastQueue', DEFAULT_QUEUE),
    validateInput: (v) => {
      try {
        checkQueueName(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  if (queue !== undefined) await context.globalState.update('flowdeck.lastQueue', queue);
  return queue;
}
