/**
 * "Flowdeck: Variables…": the store's variables (Prefect's Variables, `flowdeck variable`) — each with its
 * value and when it changed; pick one to change its value, add one, or delete one (its trash button). A
 * name and a value are checked as they are typed, as the CLI checks them.
 */
import * as vscode from 'vscode';
import { checkVariableName, refuseSecretVariable, typedVariableValue, variableJson, variableValueText, type Variable } from '../../engine/variables';
import type { Flowdeck } from '../services';
import { editorMasker } from '../schedules/scheduleSecrets';
import { listPick } from '../util/listPick';
import { askText } from '../util/stayOpenInput';

type Item = vscode.QuickPickItem & { variable?: Variable; add?: true };

const DELETE: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete Variable' };

export function registerVariables(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(vscode.commands.registerCommand('flowdeck.variables', () => variables(flowdeck)));
}

function preview(value: unknown): string {
  const text = variableValueText(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The problem with a typed name or value, or undefined when it fits. */
function problem(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function variables(flowdeck: Flowdeck): Promise<void> {
  const store = await flowdeck.host.store();
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'Flowdeck Variables';
  pick.matchOnDescription = true;
  const load = async (): Promise<void> => {
    pick.busy = true;
    const list = await store.variables.list();
    pick.placeholder = list.length === 0 ? 'No variables yet. Add one: flows read it with getVariable(name, fallback).' : 'Pick a variable to change its value; its trash button deletes it';
    pick.items = [
      { label: '$(add) Add Variable…', add: true, alwaysShow: true },
      ...list.map((v): Item => ({ label: v.name, description: preview(v.value), detail: `set ${new Date(v.updated).toLocaleString()}`, buttons: [DELETE], variable: v })),
    ];
    pick.busy = false;
  };
  const picked = await listPick(pick, load, async (item) => {
    if (!item.variable) return;
    const name = item.variable.name;
    const choice = await vscode.window.showWarningMessage(`Delete variable '${name}'?`, { modal: true, detail: 'Flows that read it get their fallback from then on.' }, 'Delete');
    if (choice === 'Delete') await store.variables.remove(name);
  });
  if (!picked) return;
  const taken = new Set(pick.items.flatMap((i) => (i.variable ? [i.variable.name] : [])));
  const name = picked.variable?.name ?? (await askText({
    title: 'Add Variable: name',
    prompt: "1 to 64 lowercase letters, digits, '_' and '-' (min_stars, repos-to-watch)",
    validateInput: (text) => problem(() => checkVariableName(text)) ?? (taken.has(text) ? { message: `'${text}' is set already: this changes its value`, severity: vscode.InputBoxValidationSeverity.Warning } : undefined),
  }));
  if (name === undefined) return;
  // As `flowdeck variable set`: a value is shown to whoever lists variables, never masked, so a secret the
  // editor knows (its environment's GITHUB_TOKEN, a connected account's token…) is refused as it is typed.
  const masker = editorMasker(await flowdeck.host.knownSecrets());
  const check = (t: string): void => {
    const value = typedVariableValue(t);
    refuseSecretVariable(name, value, (s) => masker.mask(s));
    variableJson(name, value, t);
  };
  const text = await askText({
    title: `Variable '${name}': value`,
    prompt: 'JSON when it is JSON (100, true, ["octo/a", "octo/b"], {"max": 3}), else text as typed',
    value: picked.variable ? variableValueText(picked.variable.value) : '',
    validateInput: (t) => problem(() => check(t)),
  });
  if (text === undefined) return;
  const refused = problem(() => check(text));
  if (refused !== undefined) {
    void vscode.window.showErrorMessage(refused);
    return;
  }
  const set = await store.variables.set(name, typedVariableValue(text));
  void vscode.window.showInformationMessage(`Variable '${name}' set to ${preview(set.value)}.`);
}
