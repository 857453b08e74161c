/**
 * What "Create a Flow" writes: a first flow with a task, a log line and a declared parameter; Flowdeck's
 * generated flowdeck.d.ts beside it; and a tsconfig.json mapping 'flowdeck' to that file, so the editor
 * types the import with no line in the flow about it. Pure, so tests can type-check the result.
 */

export const TYPES_FILE = 'flowdeck.d.ts';
export const CONFIG_FILE = 'tsconfig.json';

/**
 * The flows folder's tsconfig.json: what a run accepts (ES modules, top-level await, JSON imports,
 * JavaScript flows) and `paths` sending 'flowdeck' to the types beside it.
 */
export function flowsConfigSource(): string {
  return `// Written by "Flowdeck: Create a Flow" so the editor (and \`flowdeck check\`) type-checks the flows in
// this folder, with 'flowdeck' typed by ${TYPES_FILE}. Flowdeck itself never needs it to run a flow.
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "lib": ["ES2022", "DOM"],
    "strict": true,
    "noEmit": true,
    "allowJs": true,
    "skipLibCheck": true,
    "allowImportingTsExtensions": true,
    "resolveJsonModule": true,
    "esModuleInterop": true,
    "paths": { "flowdeck": ["./${TYPES_FILE}"] }
  }
}
`;
}

/** The flow file. */
export function helloFlowSource(flowName: string): string {
  return `// A first Flowdeck flow. Run it with the ▶ button in the Flows view, the "Run Flow" lens above the flow,
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
