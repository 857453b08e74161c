/**
 * A standby worker (the editor's, `serve`'s) a few file descriptors short readies Node's module hooks while
 * it waits. On Node 20 `module.register` then waited for ever for a loader thread that could not start,
 * and the run given to it with it: its start must end at once naming the limit, not wait out its bound.
 * (Where Node has `module.registerHooks` no thread is started, and the run may simply run.)
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowSource, makeRunner, tempDir, waitFor, workspace } from '../support/engine';

/** Takes every free file descriptor of a flow's worker (its main thread) but SPARE, as a process near its `ulimit -n` is. */
const FILL = `
if (process.env.FLOWDECK_HOST_PID && require('node:worker_threads').isMainThread) {
  const fs = require('node:fs');
  const held = [];
  try { for (;;) held.push(fs.openSync(require('node:os').devNull, 'r')); } catch {}
  for (let i = 0; i < Number(process.env.SPARE); i++) fs.closeSync(held.pop());
}
`;

test("a standby worker with too few file descriptors for Node's loader thread: its run's start ends naming EMFILE and `ulimit -n`, never waiting out its bound", { timeout: 120_000 }, async () => {
  const ws = workspace({
    'helper.ts': `export const greet = (n: string): string => \`hi \${n}\`;\n`,
    'rel.flow.ts': flowSource(`import { greet } from './helper';\nexport default flow({ name: 'rel' }, async () => greet('x'));`),
  });
  const home = tempDir();
  const preload = join(tempDir(), 'fill.cjs');
  writeFileSync(preload, FILL);
  const env = { ...process.env, FLOWDECK_HOME: home, NODE_OPTIONS: `--require ${preload}`, SPARE: '2', FLOWDECK_WORKER_START_SECONDS: '30' };
  const { runner } = await makeRunner(home, { env, standby: true });
  runner.prepareStandby();
  await waitFor(() => runner.standbyPid() !== undefined, 'the standby to be forked');
  const outcome = await runner.start({ source: { kind: 'file', path: join(ws, 'rel.flow.ts') } }).then(
    async (run) => `ran: ${(await run.done).state.type}`,
    (e: Error) => `refused: ${e.message}`,
  );
  assert.doesNotMatch(outcome, /did not start within/, 'the start waited out its bound');
  if (outcome.startsWith('ran')) return;
  assert.match(outcome, /too many open files \(EMFILE\)/);
  assert.match(outcome, /ulimit -n/);
});
