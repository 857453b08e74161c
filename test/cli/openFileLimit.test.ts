/**
 * `flowdeck run` under a low open-file limit (`ulimit -n`), its flow never compiled before: the compile
 * must end — in a run, or in a start that says the limit stopped it and what to do — never wait for ever.
 * esbuild's synchronous API on its worker thread did: the thread died on EMFILE and the worker's main
 * thread waited in Atomics.wait with nothing left to wake it (`ulimit -n 29` or `30` on Node 20).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { DIST, flowSource, tempDir, workspace } from '../support/engine';

/** Longer than any run here takes, loaded (~1 s); a start that hangs is stopped by it. */
const RUN_LIMIT_MS = 60_000;

test('with few file descriptors left, a first compile ends the start naming the limit and `ulimit -n`; it never hangs', { timeout: 20 * RUN_LIMIT_MS }, () => {
  const source = flowSource(`export default flow({ name: 'few-files' }, async () => 'ran');`);
  const outcomes: string[] = [];
  // The limit the compile runs into moves with Node's version and what the process inherits: a range is tried.
  for (let limit = 26; limit <= 48; limit++) {
    const ws = workspace({ 'few.flow.ts': source });
    const home = tempDir();
    const r = spawnSync('bash', ['-c', `ulimit -n ${limit} && exec "$0" "$1" run few.flow.ts`, process.execPath, join(DIST, 'cli.js')], {
      cwd: ws,
      env: { ...process.env, FLOWDECK_HOME: home },
      encoding: 'utf8',
      timeout: RUN_LIMIT_MS,
      killSignal: 'SIGKILL',
    });
    assert.notEqual(r.signal, 'SIGKILL', `ulimit -n ${limit}: flowdeck run did not end within ${RUN_LIMIT_MS / 1000} s; it printed:\n${r.stderr.slice(-2000)}`);
    if (r.status === 0) {
      outcomes.push(`${limit}: ran`);
      continue;
    }
    assert.equal(r.status, 1, `ulimit -n ${limit}: ${r.stderr}`);
    assert.match(r.stderr, /too many open files \(EMFILE\)/, `ulimit -n ${limit}`);
    assert.match(r.stderr, /ulimit -n/, `ulimit -n ${limit}`);
    assert.match(r.stderr, /No run was created/, `ulimit -n ${limit}`);
    outcomes.push(`${limit}: ${/Could not start a worker process/.test(r.stderr) ? 'no worker' : 'no compile'}`);
  }
  console.log(outcomes.join(', '));
  assert.ok(outcomes.some((o) => o.endsWith('no compile')), `some limit let the worker start but not the compiler: ${outcomes.join(', ')}`);
  assert.ok(outcomes.some((o) => o.endsWith('ran')), 'with more descriptors the flow runs');
});
