/**
 * The parameters to start a flow with when nobody asked to give any (Run Flow, Run on Workers…): none, so
 * the declared defaults apply — unless the flow cannot run without values (a required parameter without a
 * default), which its worker would refuse: then they are asked for, as Run Flow with Parameters asks.
 */
import * as vscode from 'vscode';
import { ParameterError, refusalOf, type ParameterDeclarations } from '../../engine/parameters';
import { promptParameters } from './promptParameters';

/** Undefined when the user pressed Escape, or was told why the values given cannot be run with. */
export async function neededParameters(flowName: string, declarations: ParameterDeclarations | undefined, again: string): Promise<Record<string, unknown> | undefined> {
  if (!refusalOf(flowName, declarations, {})) return {};
  try {
    return await promptParameters(flowName, declarations);
  } catch (e) {
    if (!(e instanceof ParameterError)) throw e;
    void vscode.window.showErrorMessage(`${e.message}. ${again}`);
    return undefined;
  }
}
