/** `getVariable` and `setVariable` in a flow: the store's variables (variables.ts), through the host. */
import { checkVariableName, variableJson } from '../variables';
import { request } from './hostLink';

export async function getVariable<T = unknown>(name: string, defaultValue?: T): Promise<T | undefined> {
  checkVariableName(name);
  const reply = (await request({ op: 'var-get', name })) as { value?: unknown; missing?: true };
  return reply.missing ? defaultValue : (reply.value as T);
}

export async function setVariable(name: string, value: unknown): Promise<void> {
  checkVariableName(name);
  // Checked here too, so the flow's own call throws, saying what does not fit.
  await request({ op: 'var-set', name, value: JSON.parse(variableJson(name, value)) as unknown });
}
