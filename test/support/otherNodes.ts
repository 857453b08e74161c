/**
 * The tests whose outcome depends on the Node version, run again under other Nodes (FLOWDECK_TEST_NODE,
 * paths to their binaries joined by ':'; `.ci/run` fetches Node 22, 24 and 26): module loading and the
 * standby's rehearsal (how each Node runs module customization hooks: on its loader thread, or from Node
 * 22.15 on the worker's own), and the embedded store (Node 26 ends a process that leaves a file handle to
 * the garbage collector). One test file per Node (test/engine/otherNode*.test.ts), so each has the whole
 * of a file's time budget on a busy machine: the three in one file took 104 s of its 180 s alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { ROOT } from './engine';

const OTHER_NODES = (process.env.FLOWDECK_TEST_NODE ?? '').split(':').filter(Boolean);
/** How many otherNode*.test.ts files share the Nodes: file `slot` runs every Node whose index ≡ slot. */
export const OTHER_NODE_FILES = 3;

export function otherNodeSuite(slot: number): void {
  const nodes = OTHER_NODES.filter((_, i) => i % OTHER_NODE_FILES === slot);
  describe(`on other Nodes (FLOWDECK_TEST_NODE, its Node ${slot + 1} of every ${OTHER_NODE_FILES})`, () => {
    if (nodes.length === 0) {
      const why = OTHER_NODES.length === 0 ? 'FLOWDECK_TEST_NODE is not set (.ci/run sets it to Node 22, 24 and 26)' : `FLOWDECK_TEST_NODE names ${OTHER_NODES.length} Node(s)`;
      it('the module-loading, standby and embedded store tests pass', { skip: why }, () => undefined);
    }
    for (const node of nodes) {
      it(`the module-loading, standby and embedded store tests pass on ${node}`, { timeout: 170_000 }, async () => {
        const files = ['test/engine/moduleLoading.test.ts', 'test/engine/standbyRehearsal.test.ts', 'test/engine/runStore.test.ts', 'test/engine/embeddedStore.contract.test.ts'];
        const child = spawn(node, ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-timeout=160000', ...files], {
          cwd: ROOT,
          // Its own test run, not a part of this one (Node's test runner tells a child so by NODE_TEST_CONTEXT).
          env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), FLOWDECK_TEST_NODE: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
        child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
        const code = await new Promise<number | null>((res) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 165_000);
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
}
