/**
 * A journal line too big to read (over 64 MB: damage, or an older Flowdeck's) is left out of `flowdeck logs`,
 * and said, with its size: it may have been a log line. One such line is written, in a store removed after.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_LINE_BYTES } from '../../src/engine/jsonLines';
import { flowSource, runCli, tempDir, workspace } from '../support/engine';

const T = { timeout: 120_000 };

describe('flowdeck logs and a journal line too big to read', T, () => {
  it('prints the logs it can read and says on stderr that it left out a line too big to read, and how big', async () => {
    const home = tempDir();
    try {
      const ws = workspace({ 'talk.flow.ts': flowSource(`export default flow({ name: 'talk' }, async () => { getRunLogger().info('said before'); });`) });
      const env = { FLOWDECK_HOME: home };
      const ran = await runCli(['run', 'talk.flow.ts', '--json'], { cwd: ws, env });
      assert.equal(ran.code, 0, ran.stderr);
      const { id, name } = JSON.parse(ran.stdout) as { id: string; name: string };
      // A log line 1 MB over the limit, then one that reads.
      const journal = join(home, 'runs', `${id}.jsonl`);
      const big = MAX_LINE_BYTES + 1024 * 1024;
      const head = `{"k":"log","runId":"${id}","ts":1,"level":"INFO","source":"x","message":"`;
      const tail = '"}\n';
      const fd = openSync(journal, 'a');
      try {
        writeSync(fd, head);
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        for (let left = big - head.length - tail.length + 1; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
        writeSync(fd, `${tail}{"k":"log","runId":"${id}","ts":2,"level":"INFO","source":"x","message":"said after"}\n`);
      } finally {
        closeSync(fd);
      }
      const logs = await runCli(['logs', id], { env });
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /said before/);
      assert.match(logs.stdout, /said after/);
      assert.equal(logs.stderr, `flowdeck logs: left out a journal line of run '${name}' too big to read (65.0 MB; lines over 64.0 MB are not read), which may have held a log line; its file: ${journal}\n`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
