/**
 * A flow file's view of the 'flowdeck' module, checked twice: by `npm run typecheck` against the source
 * (tsconfig.json maps 'flowdeck' to src/engine/api.ts) and by test/extension/flowdeckTypes.test.ts
 * against the generated flowdeck.d.ts users get. Each `@ts-expect-error` is a mistake that must not
 * compile: if it ever did, the directive would be unused, which is itself an error.
 */
import { CancelledError, PauseTimeoutError, TimeoutError, exponentialBackoff, pauseFlowRun, suspendFlowRun, flow, getRunContext, getRunLogger, getVariable, setVariable, task, taskInputHash, unmapped, type MapOptions, type RunContext, type State } from 'flowdeck';

const add = task({ name: 'add', retries: 2, retryDelaySeconds: exponentialBackoff(1), retryJitterFactor: 0.5 }, async (a: number, b: number) => a + b);
const shout = task({ name: 'shout', cacheKey: (text: string) => text, cacheExpirationSeconds: 60 }, (text: string) => text.toUpperCase());
const hashed = task({ name: 'hashed', cacheKey: taskInputHash, refreshCache: true }, async (repo: string, since: Date) => `${repo}@${since.toISOString()}`);
// @ts-expect-error refreshCache is a boolean
task({ name: 'bad', cacheKey: taskInputHash, refreshCache: 'yes' }, async () => 1);
const greet = task({ name: 'greet' }, async (name: string, greeting?: string) => `${greeting ?? 'Hello'}, ${name}`);
const fetchRepo = task({ name: 'fetch', taskRunName: (repo: string) => `fetch-${repo}` }, async (repo: string) => repo.length);
const wide: MapOptions = { concurrency: 4 };
const part = flow({ name: 'part' }, async ({ day }: { day: string }) => day.length);
// A flow's own concurrency limit and what a run does past it.
flow({ name: 'sync', concurrencyLimit: 1, collisionStrategy: 'cancel-new' }, async () => 1);
// @ts-expect-error collisionStrategy is 'enqueue' or 'cancel-new'
flow({ name: 'sync-bad', concurrencyLimit: 1, collisionStrategy: 'skip' }, async () => 1);
// @ts-expect-error concurrencyLimit is a number
flow({ name: 'sync-bad-limit', concurrencyLimit: '1' }, async () => 1);
const report = flow({ name: 'report', flowRunName: ({ day }) => `report-${day.toUpperCase()}` }, async ({ day }: { day: string }) => day);

export default flow(
  { name: 'authoring', parameters: { times: { type: 'integer', default: 2, minimum: 1 } }, resumeOnCrash: true },
  async ({ times }: { times: number }): Promise<number[]> => {
    const context: RunContext = getRunContext();
    getRunLogger().info(`${context.flowRunName}: ${times}`);
    const pairs: number[] = await add.map([1, 2, 3], [10, 20, 30]);
    const tens: number[] = await add.map([1, 2, 3], unmapped(10), wide);
    const loud: string[] = await shout.map(new Set(['a', 'b']));
    const greetings: string[] = await greet.map(['Ada', 'Grace'], { concurrency: 1 });
    const polite: string[] = await greet.map(['Ada'], unmapped('Good day'));
    const lengths: number[] = await fetchRepo.map(['octo/a']);
    const stamped: string = await hashed('octo/a', new Date());
    const minStars: number = await getVariable('min_stars', 10);
    const repos: string[] | undefined = await getVariable<string[]>('repos');
    // @ts-expect-error without a fallback the value may be unset
    const mustBe: string[] = await getVariable<string[]>('repos');
    await setVariable('last_seen', { minStars, repos: repos?.length ?? 0, mustBe });
    const patient: number = await add.withOptions({ retries: 5, taskRunName: (a, b) => `add-${a}-${b}` })(1, 2);
    const partLength: number = await part.withOptions({ retries: 2 })({ day: 'mon' });
    const reported: string = await report.withOptions({ flowRunName: ({ day }) => `weekly-${day}` })({ day: 'mon' });

    // @ts-expect-error a two-argument task mapped with one list
    await add.map([1, 2, 3]);
    // @ts-expect-error the unmapped value has the wrong type
    await add.map([1, 2, 3], unmapped('10'));
    // @ts-expect-error only unmapped() makes an unmapped value
    await add.map([1, 2, 3], { unmapped: 10 });
    // @ts-expect-error the list's items have the wrong type
    await shout.map([1, 2]);
    // @ts-expect-error map options come after every argument
    await add.map([1], { concurrency: 2 });
    // @ts-expect-error a task is called with its own arguments
    await add(1);

    try {
      await add(1, 2);
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof CancelledError) throw error;
    }
    // A pause's input is typed by its declaration: required and defaulted inputs are there, others optional.
    const input = await pauseFlowRun({
      description: 'Ship it?',
      timeoutSeconds: 600,
      input: { approve: { type: 'boolean', required: true }, env: { type: 'string', enum: ['staging', 'production'], default: 'staging' }, note: { type: 'string' }, count: { type: 'integer' } },
    });
    const approve: boolean = input.approve;
    const env: 'staging' | 'production' = input.env;
    const note: string | undefined = input.note;
    const count: number | undefined = input.count;
    // @ts-expect-error an input that is neither required nor defaulted may be missing
    const noteText: string = input.note;
    // @ts-expect-error an input not declared
    void input.other;
    const nothing: Record<never, never> = await pauseFlowRun();
    try {
      await pauseFlowRun({ timeoutSeconds: 60 });
    } catch (error) {
      if (!(error instanceof PauseTimeoutError)) throw error;
    }
    const published = await suspendFlowRun({ key: 'publish', timeoutSeconds: 7 * 24 * 3600, input: { channel: { type: 'string', enum: ['news', 'blog'], required: true } } });
    const channel: 'news' | 'blog' = published.channel;
    // @ts-expect-error a key is a string
    await pauseFlowRun({ key: 3 });
    void [approve, env, note, count, noteText, nothing, channel];
    const state: State | undefined = undefined;
    return [...pairs, ...tens, ...lengths, patient, partLength, reported.length, stamped.length, loud.length, greetings.length, polite.length, state === undefined ? 0 : 1];
  },
);

// @ts-expect-error a misspelt option
task({ name: 'typo', retires: 3 }, () => 1);
// @ts-expect-error withOptions takes the task's own options
add.withOptions({ retires: 5 });
// @ts-expect-error taskRunName takes the task's own arguments
task({ name: 'named', taskRunName: (n: number) => `n-${n}` }, async (repo: string) => repo);
// @ts-expect-error flowRunName takes the flow's own parameters
flow({ name: 'named-flow', flowRunName: ({ repo }: { repo: number }) => `n-${repo}` }, async ({ repo }: { repo: string }) => repo);
// @ts-expect-error a misspelt parameter type
flow({ name: 'typo', parameters: { version: { type: 'strng' } } }, async () => 1);
// @ts-expect-error a misspelt pause option
void pauseFlowRun({ timeout: 60 });
// @ts-expect-error a misspelt input type
void pauseFlowRun({ input: { ok: { type: 'bool' } } });
