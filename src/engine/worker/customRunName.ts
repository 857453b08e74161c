/**
 * A run's name given by its task's `taskRunName` or its flow's `flowRunName` (Prefect's `task_run_name`
 * and `flow_run_name`): a string, or a function of the call's arguments (a flow's: its parameters).
 * Worker module: runs where the flow's code runs.
 */
import { fittedRunName } from '../givenRunName';
import { errorMessage } from './errors';

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
  const fitted = typeof name === 'string' ? fittedRunName(name) : undefined;
  if (fitted === undefined) {
    throw new TypeError(`${what} must give a non-empty string, got ${typeof name === 'string' ? (name.length === 0 ? 'an empty string' : 'only spaces') : name === null ? 'null' : typeof name}`);
  }
  return fitted;
}

/** The name a flow's `flowRunName` gives a run of these (validated) parameters. */
export function flowRunNameOf(options: { name: string; flowRunName?: unknown }, parameters: Record<string, unknown>): string {
  return customRunName(options.flowRunName, [parameters], { option: 'flowRunName', owner: options.name });
}
