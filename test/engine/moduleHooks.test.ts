import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { readSharedText, sharedTextBuffer, writeSharedText } from '../../src/engine/worker/sharedText';
import { DIST, tempDir, workspace } from '../support/engine';

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
