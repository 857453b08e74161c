/** Flow-file fixtures (test/fixtures/flows) copied into temporary workspaces, so tests never write into the repo. */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, tempDir } from './engine';

export const FLOW_FIXTURES = join(ROOT, 'test', 'fixtures', 'flows');

/** A temporary copy of test/fixtures/flows/<name>, plus `files` (relative path → content). */
export function fixtureWorkspace(name: string, files: Record<string, string> = {}): string {
  const dir = tempDir('flowdeck-fixture-');
  cpSync(join(FLOW_FIXTURES, name), dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

/** An ESM-only package, as p-limit 6 and chalk 5 are: `"type": "module"`, one `exports` entry for `import`. */
export const ESM_ONLY_LIMIT: Record<string, string> = {
  'node_modules/esm-only-limit/package.json': JSON.stringify({ name: 'esm-only-limit', version: '6.0.0', type: 'module', exports: { '.': { import: './index.js' } } }),
  'node_modules/esm-only-limit/index.js': `export default function pLimit(n) {
  let active = 0;
  const queue = [];
  const next = () => { if (active < n && queue.length) { active++; queue.shift()(); } };
  return (fn) => new Promise((resolve, reject) => {
    queue.push(() => Promise.resolve().then(fn).then(resolve, reject).finally(() => { active--; next(); }));
    next();
  });
}
`,
};

/** Both compilers: esbuild where its binary resolves, sucrase as in the VS Code package. */
export const COMPILERS = ['esbuild', 'sucrase'] as const;
