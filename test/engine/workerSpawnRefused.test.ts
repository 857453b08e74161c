/**
 * A worker the system will not start: every file descriptor taken (EMFILE). Node reports such a fork on the
 * next tick as an 'error' event of a child with no pipes; unheard, it ends the host. The start must fail
 * naming the limit, with no run created, and the host live on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DIST, ROOT, tempDir, workspace } from '../support/engine';

/** Runs `imports`, then `body` (TypeScript, in an async function), in a fresh Node with tsx; the last line it prints is its JSON report. */
function script(imports: string, body: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(tempDir(), 'script.ts');
  writeFileSync(file, `${imports}\n${FILL}\nvoid (async () => {\n${body}\n})();\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Source (after the imports) that takes every free file descriptor but `spare` (opening /dev/null), as `fill()`, and gives them back, as `free()`. */
const FILL = `
const held: number[] = [];
function fill(spare: number): void {
  try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
  for (let i = 0; i < spare; i++) closeSync(held.pop()!);
}
function free(): void { for (const fd of held.splice(0)) closeSync(fd); }
`;

test('a worker fork refused for want of file descriptors fails the start naming it; the host lives on and no run is made', () => {
  const home = tempDir();
  const ws = workspace({ 'ok.flow.ts': `import { flow } from 'flowdeck';\nexport default flow({ name: 'ok' }, async () => 7);\n` });
  const r = script(
    `import { closeSync, openSync } from 'node:fs';
import { EmbeddedStore } from ${JSON.stringify(join(ROOT, 'src/engine/embeddedStore'))};
import { FlowRunner } from ${JSON.stringify(join(ROOT, 'src/engine/runner'))};`,
    `const store = await EmbeddedStore.open(${JSON.stringify(home)});
const runner = new FlowRunner(store, { workerPath: ${JSON.stringify(join(DIST, 'worker.js'))}, builtinDir: ${JSON.stringify(join(DIST, 'flows'))}, env: { ...process.env, FLOWDECK_HOME: ${JSON.stringify(home)} } });
const request = { source: { kind: 'file' as const, path: ${JSON.stringify(join(ws, 'ok.flow.ts'))} } };
fill(2);
let refused: string;
try {
  await runner.start(request);
  refused = 'started';
} catch (e) {
  refused = (e as Error).name + ': ' + (e as Error).message;
}
await new Promise((r) => setTimeout(r, 200));
free();
const runs = await store.list();
const later = await (await runner.start(request)).done;
console.log(JSON.stringify({ refused, runs: runs.length, later: later.state.type }));
await store.close();
`);
  assert.equal(r.status, 0, `the host ended: ${r.stderr.slice(-1500)}`);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { refused: string; runs: number; later: string };
  assert.match(report.refused, /too many open files \(EMFILE\)/);
  assert.match(report.refused, /ulimit -n/);
  assert.equal(report.runs, 0, 'no run was created');
  assert.equal(report.later, 'COMPLETED', 'with descriptors free again, the flow runs');
});

test("the CLI's early worker refused for want of file descriptors does not end the CLI", () => {
  const r = script(
    `import { closeSync, openSync } from 'node:fs';
import { forkEarlyWorker, takeEarlyWorker } from ${JSON.stringify(join(ROOT, 'src/engine/standbyWorker'))};`,
    `fill(2);
let threw = 'no';
try {
  forkEarlyWorker({ workerPath: ${JSON.stringify(join(DIST, 'worker.js'))}, env: process.env });
} catch (e) {
  threw = (e as Error).message;
}
await new Promise((r) => setTimeout(r, 200));
free();
const early = takeEarlyWorker();
console.log(JSON.stringify({ threw, pid: early?.child.pid ?? null }));
`);
  assert.equal(r.status, 0, `the CLI ended: ${r.stderr.slice(-1500)}`);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { threw: string; pid: number | null };
  assert.equal(report.threw, 'no');
  assert.equal(report.pid, null, 'no worker was started');
});
