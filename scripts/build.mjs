// Bundles every entry point with esbuild and generates the users' flowdeck.d.ts from the API's source.
// `--production` minifies and drops source maps (the VSIX build). `--outdir DIR` builds into DIR instead
// of dist/ (npm test builds into dist-test/, leaving a production build in dist/ alone).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const resolvePackage = createRequire(import.meta.url).resolve;

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const outIndex = process.argv.indexOf('--outdir');
const out = outIndex >= 0 ? process.argv[outIndex + 1] : 'dist';
if (!out || out.startsWith('-')) throw new Error('--outdir needs a folder, e.g. --outdir dist-test');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // esbuild is resolved at run time (native binary); vscode is provided by the editor.
  external: ['vscode', 'esbuild'],
};

// The parsers (sucrase to strip types, acorn to list flows) are a third of the CLI and the worker, and
// most runs need neither (a built-in flow, a compile-cache hit). They are their own files, required
// where first used.
const lazyParsers = {
  name: 'lazy-parsers',
  setup(build) {
    build.onResolve({ filter: /^(sucrase|acorn)$/ }, (args) => ({ path: `./vendor/${args.path}.js`, external: true }));
  },
};
// sucrase's version keys the compile cache: written in, so a cache hit never loads sucrase.
const sucraseVersion = createRequire(import.meta.url)('sucrase/package.json').version;
const withLazyParsers = { ...node, plugins: [lazyParsers], define: { FLOWDECK_SUCRASE_VERSION: JSON.stringify(sucraseVersion) } };

const builds = [
  { ...node, entryPoints: { 'vendor/sucrase': resolvePackage('sucrase'), 'vendor/acorn': resolvePackage('acorn') }, outdir: out },
  // The entry forks a run's worker before loading the rest of the CLI (src/cli/entry.ts).
  { ...node, entryPoints: { cli: 'src/cli/entry.ts' }, outdir: out, banner: { js: '#!/usr/bin/env node' } },
  { ...withLazyParsers, entryPoints: { 'cli-main': 'src/cli/main.ts' }, outdir: out },
  // No source map for the worker: it runs with --enable-source-maps (for user code), which would load
  // and parse the bundle's own map at every start.
  { ...withLazyParsers, entryPoints: { 'worker-main': 'src/engine/worker/main.ts' }, outdir: out, sourcemap: false },
  // The worker's entry loads the worker with V8's code cache (src/engine/bundleCodeCache.ts), as the CLI's does.
  { ...node, entryPoints: { worker: 'src/engine/worker/entry.ts' }, outdir: out, sourcemap: false },
  // Node's module hooks for the worker, loaded on Node's loader thread by module.register().
  { ...withLazyParsers, entryPoints: { 'module-hooks': 'src/engine/worker/moduleHooks.ts' }, outdir: out, sourcemap: false },
  { ...node, entryPoints: { 'cli-auth': 'src/cli/commands/authYoutube.ts' }, outdir: out },
  // The Postgres backend (pg, graphile-worker), required by the CLI and the extension only with a Postgres
  // store (src/engine/postgres/load.ts). graphile-worker's config loader can read TypeScript config files,
  // which Flowdeck never asks it to: typescript stays out.
  { ...node, entryPoints: { postgres: 'src/engine/postgres/index.ts' }, outdir: out, external: [...node.external, 'typescript'] },
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir: out },
  // Loaded by the extension on first use (a worker thread; src/extension/lazyBundles.ts), not at activation.
  { ...withLazyParsers, entryPoints: { 'discovery-worker': 'src/extension/flows/discoveryWorker.ts', 'youtube-connect': 'src/extension/youtubeConnect.ts' }, outdir: out },
  // Built-in flows import 'flowdeck' like user flows; the worker supplies that module at load time.
  {
    ...node,
    entryPoints: { 'github-repo-stats': 'src/flows/githubRepoStats.ts', 'youtube-channel-analytics': 'src/flows/youtubeChannelAnalytics.ts' },
    outdir: join(out, 'flows'),
    external: [...node.external, 'flowdeck'],
  },
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: { dashboard: 'src/webview/main.ts', runDetails: 'src/webview/runDetails/main.ts' },
    outdir: join(out, 'webview'),
  },
];

/**
 * What flow files' editors see for `import … from 'flowdeck'`: one .d.ts bundled from src/engine/api.ts
 * and the types it exports (src/engine/types.ts) by dts-bundle-generator, so it cannot drift from the
 * source. The VSIX and the npm package carry it; `flowdeck check` and "Create a Flow" use it.
 */
function flowdeckTypes() {
  const { generateDtsBundle } = createRequire(import.meta.url)('dts-bundle-generator');
  const [bundle] = generateDtsBundle([{ filePath: 'src/engine/api.ts', output: { noBanner: true } }], { preferredConfigPath: 'scripts/tsconfig.types.json' });
  // Its first line is how Flowdeck knows a copy of it (src/engine/typesCopy.ts): keep it as it is.
  return `// Types of the 'flowdeck' module for flow files, generated from Flowdeck's source. Flowdeck supplies the\n// module itself when it runs a flow; this file only lets editors and \`flowdeck check\` check flow code.\n// Do not edit a copy: Flowdeck replaces one of another version with its own (Create a Flow, the extension\n// as it starts), and \`flowdeck check\` checks with its own version's.\n${bundle}`;
}

await rm(out, { recursive: true, force: true });
const present = builds.filter((b) => Object.values(b.entryPoints).every((p) => existsSync(p)));
// esbuild works in its own process meanwhile; the type bundle takes the longest.
const bundles = watch ? Promise.all(present.map(async (b) => (await esbuild.context(b)).watch())) : Promise.all(present.map((b) => esbuild.build(b)));
const types = flowdeckTypes();
await bundles;
await mkdir(out, { recursive: true });
await writeFile(join(out, 'flowdeck.d.ts'), types);
// A standby worker imports this while it waits, so that ES module loading is warm for its flow (src/engine/worker/loadFlow.ts).
await writeFile(join(out, 'warm-up.mjs'), '// Imported by a worker waiting for its run: the first import of a module file costs the most.\nexport {};\n');
// `npm link` (scripts/setup.sh) points the flowdeck command at this file: it must stay executable.
if (!watch) await chmod(join(out, 'cli.js'), 0o755);
