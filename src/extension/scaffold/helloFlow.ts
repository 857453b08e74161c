/**
 * What "Create a Flow" writes: a first flow with a task, a log line and a declared parameter. Pure, so
 * tests can type-check the result against media/flowdeck.d.ts.
 */

export const TYPES_FILE = 'flowdeck.d.ts';

/**
 * The flow file. The triple-slash reference matters: without a tsconfig, the editor checks a file with
 * only what it imports or references, so an ambient `declare module 'flowdeck'` sitting in the same
 * folder would go unseen.
 */
export function helloFlowSource(flowName: string): string {
  return `/// <reference path="./${TYPES_FILE}" />
// A first Flowdeck flow. Run it with the ▶ button in the Flows view, the "Run Flow" lens above the flow,
// or from a terminal: npx flowdeck run <this file> --param name=Ada
import { flow, getRunLogger, task } from 'flowdeck';

// A task is one step of a flow: it gets a task run of its own, with a state, retries and logs.
const greet = task({ name: 'greet', retries: 2, retryDelaySeconds: 1 }, (name: string) => {
  const greeting = \`Hello, \${name}!\`;
  getRunLogger().info(greeting);
  return greeting;
});

export default flow(
  {
    name: '${flowName}',
    description: 'Greets someone: one task, a log line and a parameter',
    parameters: {
      name: { type: 'string', default: 'world', description: 'Who to greet' },
    },
  },
  async ({ name }: { name: string }) => {
    getRunLogger().info(\`Starting to greet \${name}\`);
    return await greet(name);
  },
);
`;
}

/** `hello.flow.ts`, or `hello-2.flow.ts` and so on when that name is taken; the flow is named after the file. */
export function freeFlowName(taken: (fileName: string) => boolean): { fileName: string; flowName: string } {
  for (let n = 1; ; n++) {
    const flowName = n === 1 ? 'hello' : `hello-${n}`;
    const fileName = `${flowName}.flow.ts`;
    if (!taken(fileName)) return { fileName, flowName };
  }
}
