/** `getVariable` and `setVariable` in a flow: the store's variables (variables.ts), through the host. */
import { checkVariableName, variableJson } from '../variables';
import { hostAnswers, masker, request } from './hostLink';

/** A name that is not one is quoted masked, then cut (a secret cut first would show its first part). */
const checkName = (name: string): string => checkVariableName(name, (text, chars) => masker.maskedHead(text, chars));

/**
 * Variables are the store's, which the host holds: a flow file run by Flowdeck reaches them — in its runs,
 * and at its top level as its worker loads it (Prefect's `Variable.get` works anywhere too) — but not a plain
 * Node process that imported it.
 */
function reachable(what: string): void {
  if (!hostAnswers()) throw new Error(`${what} reads the store through the Flowdeck worker running this file: call it in a flow file run by Flowdeck (\`flowdeck run\`, the editor, a worker), not from a plain Node process`);
}

export async function getVariable<T = unknown>(name: string, defaultValue?: T): Promise<T | undefined> {
  reachable('getVariable()');
  checkName(name);
  const reply = (await request({ op: 'var-get', name })) as { value?: unknown; missing?: true };
  return reply.missing ? defaultValue : (reply.value as T);
}

export async function setVariable(name: string, value: unknown): Promise<void> {
  reachable('setVariable()');
  checkName(name);
  // Checked here too, so the flow's own call throws, saying what does not fit.
  await request({ op: 'var-set', name, value: JSON.parse(variableJson(name, value)) as unknown });
}
