/** Asks for a flow's parameters, or a paused run's input, with one input box each (see prompts.ts for what is asked and checked). */
import * as vscode from 'vscode';
import type { ParameterDeclarations } from '../../engine/parameters';
import { inputSubject } from '../../engine/pauseInput';
import { askText } from '../util/stayOpenInput';
import { collectParameters, jsonParametersPrompt, parameterPrompts, type ParameterPrompt, type PromptSubject } from './prompts';

/** The parameters to run with, or undefined when the user pressed Escape. Throws ParameterError. */
export async function promptParameters(flowName: string, declarations: ParameterDeclarations | undefined): Promise<Record<string, unknown> | undefined> {
  return ask(declarations ? parameterPrompts(flowName, declarations) : [jsonParametersPrompt(flowName)], (answers) => collectParameters(flowName, declarations, answers));
}

/**
 * The input a paused run waits for (pauseFlowRun's declaration), one box each; a run that waits for none is
 * asked to confirm. Undefined when the user pressed Escape or said no. Throws ParameterError.
 */
export async function promptInput(runName: string, declarations: ParameterDeclarations | undefined, about: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (declarations === undefined || Object.keys(declarations).length === 0) {
    const go = await vscode.window.showInformationMessage(`Resume flow run '${runName}'?`, { modal: true, detail: about ?? 'It is paused, waiting to be resumed.' }, 'Resume');
    return go === 'Resume' ? {} : undefined;
  }
  const asked: PromptSubject = { action: `Resume ${runName}`, subject: inputSubject(runName), ...(about !== undefined ? { about } : {}) };
  return ask(parameterPrompts(runName, declarations, asked), (answers) => collectParameters(runName, declarations, answers, asked));
}

async function ask(prompts: ParameterPrompt[], collect: (answers: ReadonlyMap<string, string>) => Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const answers = new Map<string, string>();
  for (const p of prompts) {
    const text = await askText({
      title: p.title,
      prompt: p.prompt,
      value: p.value,
      placeHolder: p.placeHolder,
      password: p.password,
      validateInput: (value) => p.validate(value),
    });
    if (text === undefined) return undefined;
    answers.set(p.key, text);
  }
  return collect(answers);
}
