/**
 * A run's name given by its task's `taskRunName` or its flow's `flowRunName` (Prefect's `task_run_name`
 * and `flow_run_name`): a string, or a function of the call's arguments (a flow's: its parameters).
 * Worker module: runs where the flow's code runs.
 */
import { fittedRunName } from '../givenRunName';
import { errorMessage } from './errors';
import { masker } from './hostLink';

/** What the name is for, in messages: `taskRunName of task 'fetch'`. */
export interface NameGiver {
  option: 'taskRunName' | 'flowRunName';
  owner: string;
}

/**
 * The name `given` gives for `args`; throws, naming the option and its task or flow, when it gives none.
 * Made one a store takes (givenRunName.ts `fittedRunName`): control characters become spaces, a long one is cut.
 */
export function customRunName(given: unknown, args: readonly unknown[], giver: NameGiver): string {
  const what = `${giver.option} of ${giver.option === 'taskRunName' ? 'task' : 'flow'} '${giver.owner}'`;
  let name: unknown = given;
  if (typeof given === 'function') {
    try {
      name = (given as (...a: readonly unknown[]) => unknown)(...args);
    } catch (e) {
      throw new Error(`${what} threw: ${errorMessage(e)}`);
    }
  }
  // Masked before it is cut: a secret cut in two would not be found.
  const fitted = typeof name === 'string' ? fittedRunName(masker.mask(name)) : undefined;
  if (fitted === undefined) throw new TypeError(`${what} must give a non-empty string, got ${described(name)}`);
  return fitted;
}

/**
 * The name a flow's `flowRunName` gives a run of these (validated) parameters. A string is a template, as
 * Prefect's `flow_run_name` is: `{repo}` is the parameter's value, `{{` and `}}` are braces.
 */
export function flowRunNameOf(options: { name: string; flowRunName?: unknown }, parameters: Record<string, unknown>): string {
  const giver: NameGiver = { option: 'flowRunName', owner: options.name };
  const given = typeof options.flowRunName === 'string' ? filledTemplate(options.flowRunName, parameters, giver) : options.flowRunName;
  return customRunName(given, [parameters], giver);
}

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_$][\w$]*)\}/g;

function filledTemplate(template: string, parameters: Record<string, unknown>, giver: NameGiver): string {
  return template.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (name === undefined) return whole[0]!;
    if (!Object.hasOwn(parameters, name)) {
      const names = Object.keys(parameters);
      const known = names.length === 0 ? 'the run has none' : `the run's are ${names.map((n) => `{${n}}`).join(', ')}`;
      throw new Error(`${giver.option} of flow '${giver.owner}' names {${name}}, which is not one of the run's parameters (${known})`);
    }
    return templateValue(parameters[name]);
  });
}

function templateValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value !== null && typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** What a name function gave instead of a name, for its error. */
function described(name: unknown): string {
  if (typeof name === 'string') return name.length === 0 ? 'an empty string' : 'only spaces';
  if (name === null) return 'null';
  // An async function: the name is needed before anything runs, so it cannot be waited for.
  if (typeof (name as { then?: unknown } | undefined)?.then === 'function') return 'a promise (make it a plain function, not async)';
  return typeof name;
}
