/** `getVariable` and `setVariable` in a flow: the store's variables (variables.ts), through the host. */
import { checkVariableName, variableJson } from '../variables';
import { currentContext } from './context';
import { request } from './hostLink';

/** Variables are the store's, which the host holds: only a run (in a worker, its host listening) reaches them. */
export async function getVariable<T = unknown>(name: string, defaultValue?: T): Promise<T | undefined> {
  currentContext('getVariable()');
  checkVariableName(name);
  const reply = (await request({ op: 'var-get', name })) as { value?: unknown; missing?: true };
  return reply.missing ? defaultValue : (reply.value as T);
}

export async function setVariable(name: string, value: unknown): Promise<void> {
  currentContext('setVariable()');
  checkVariableName(name);
  // Checked here too, so the flow's own call throws, saying what does not fit.
  await request({ op: 'var-set', name, value: JSON.parse(variableJson(name, value)) as unknown });
}
