/** Asks for a flow's parameters with one input box each (see prompts.ts for what is asked and checked). */
import * as vscode from 'vscode';
import type { ParameterDeclarations } from '../../engine/parameters';
import { collectParameters, jsonParametersPrompt, parameterPrompts, type ParameterPrompt } from './prompts';

/** The parameters to run with, or undefined when the user pressed Escape. Throws ParameterError. */
export async function promptParameters(flowName: string, declarations: ParameterDeclarations | undefined): Promise<Record<string, unknown> | undefined> {
  const prompts: ParameterPrompt[] = declarations ? parameterPrompts(flowName, declarations) : [jsonParametersPrompt(flowName)];
  const answers = new Map<string, string>();
  for (const p of prompts) {
    const text = await vscode.window.showInputBox({
      title: p.title,
      prompt: p.prompt,
      value: p.value,
      placeHolder: p.placeHolder,
      ignoreFocusOut: true,
      validateInput: (value) => p.validate(value),
    });
    if (text === undefined) return undefined;
    answers.set(p.key, text);
  }
  return collectParameters(flowName, declarations, answers);
}
