import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { readSharedText, sharedTextBuffer, writeSharedText } from '../../src/engine/worker/sharedText';
import { DIST, ROOT, tempDir, workspace } from '../support/engine';

const T = { timeout: 120_000 };

type Hooks = typeof import('../../src/engine/worker/moduleHooks');

describe("the worker's module hooks (dist/module-hooks.js)", () => {
  // From Node 24 the worker's main thread waits for the loader thread while it imports: hooks that asked
  // it for anything (as they did, for each compile) wait forever, and so did every run of a flow needing them.
  it('compile a workspace file themselves, through the compile cache of the store they are told of, asking no other thread', T, async () => {
    const hooks = createRequire(__filename)(join(DIST, 'module-hooks.js')) as Hooks;
    const home = tempDir();
    const dir = workspace({ 'lib.ts': 'export const two = (): number => 2;\n', 'broken.ts': 'export const x: number = ;\n' });
    const cell = sharedTextBuffer(4096);
    assert.equal(writeSharedText(cell, home), true);
    // The data the worker registers the hooks with: no port, nothing to ask.
    await hooks.initialize!({ apiExports: ['flow', 'task'], ownDirUrl: pathToFileURL(DIST).href, home: cell });
    const nextLoad = (): never => {
      throw new Error('a workspace file went on to the next load hook');
    };
    const context = { format: undefined, importAttributes: {}, conditions: ['node', 'import'] } as unknown as Parameters<Hooks['load']>[1];
    const loaded = await hooks.load(pathToFileURL(join(dir, 'lib.ts')).href, context, nextLoad as never);
    assert.equal(loaded.format, 'module');
    assert.match(String(loaded.source), /export const two = \(\)\s*=>\s*2/);
    assert.doesNotMatch(String(loaded.source), /: number/);
    assert.equal(readdirSync(join(home, 'compiled')).filter((f) => f.endsWith('.js')).length, 1, 'compiled into the store it was told of');
    await assert.rejects(async () => hooks.load(pathToFileURL(join(dir, 'broken.ts')).href, context, nextLoad as never), (e: unknown) => {
      assert.equal((e as NodeJS.ErrnoException).code, 'FLOWDECK_COMPILE_ERROR');
      assert.match((e as Error).message, /broken\.ts:1:\d+/);
      return true;
    });
  });

  it('the store folder crosses whole or not at all: a path too long for the cell reads as none, never a cut one', T, () => {
    const cell = sharedTextBuffer(32);
    assert.equal(writeSharedText(cell, '/home/zoë/.flowdeck'), true);
    assert.equal(readSharedText(cell), '/home/zoë/.flowdeck');
    assert.equal(writeSharedText(cell, '/home/someone/with/a/much/longer/path/.flowdeck'), false);
    assert.equal(readSharedText(cell), '', 'a cut path could name another folder');
    assert.equal(writeSharedText(cell, '/srv/fd'), true);
    assert.equal(readSharedText(cell), '/srv/fd');
  });
});

/**
 * Other Nodes to run the tests under whose outcome depends on the Node version (FLOWDECK_TEST_NODE, paths
 * to their binaries joined by ':'; `.ci/run` fetches Node 22, 24 and 26): module loading and the standby's
 * rehearsal (how each Node runs module customization hooks: on its loader thread, or from Node 22.15 on the
 * worker's own), and the embedded store (Node 26 ends a process that leaves a file handle to the garbage
 * collector).
 */
const OTHER_NODES = (process.env.FLOWDECK_TEST_NODE ?? '').split(':').filter(Boolean);

describe('on other Nodes (FLOWDECK_TEST_NODE)', () => {
  if (OTHER_NODES.length === 0) it('the module-loading, standby and embedded store tests pass', { skip: 'FLOWDECK_TEST_NODE is not set (.ci/run sets it to Node 22, 24 and 26)' }, () => undefined);
  for (const node of OTHER_NODES) {
    it(`the module-loading, standby and embedded store tests pass on ${node}`, { timeout: 600_000 }, async () => {
      const files = ['test/engine/moduleLoading.test.ts', 'test/engine/standbyRehearsal.test.ts', 'test/engine/runStore.test.ts', 'test/engine/embeddedStore.contract.test.ts'];
      const child = spawn(node, ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-timeout=240000', ...files], {
        cwd: ROOT,
        // Its own test run, not a part of this one (Node's test runner tells a child so by NODE_TEST_CONTEXT).
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), FLOWDECK_TEST_NODE: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
      const code = await new Promise<number | null>((res) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 560_000);
        child.on('close', (c) => {
          clearTimeout(timer);
          res(c);
        });
      });
      const figures = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out)?.[1] ?? -1);
      console.log(`# on ${node}: ${figures('tests')} tests, ${figures('pass')} passed, ${figures('fail')} failed`);
      // What failed, with its error (the whole output is long; its end shows only the last file's tests).
      const failures = out.split('\n').flatMap((line, i, lines) => (/^\s*not ok /.test(line) ? lines.slice(i, i + 40) : [])).join('\n');
      assert.equal(code, 0, `the tests failed or hung on ${node}:\n${failures.slice(0, 20_000)}\n…\n${out.slice(-3000)}`);
      assert.ok(figures('pass') >= 80, `fewer tests ran than expected:\n${out.slice(-3000)}`);
    });
  }
});
