// Bundles every entry point with esbuild. `--production` minifies and drops source maps (the VSIX build).
import * as esbuild from 'esbuild';
import { rm } from 'node:fs/promises';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

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

const builds = [
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  // No source map for the worker: it runs with --enable-source-maps (for user code), which would load
  // and parse the bundle's own map at every start.
  { ...node, entryPoints: { worker: 'src/engine/worker/main.ts' }, outdir: 'dist', sourcemap: false },
  // Node's module hooks for the worker, loaded on Node's loader thread by module.register().
  { ...node, entryPoints: { 'module-hooks': 'src/engine/worker/moduleHooks.ts' }, outdir: 'dist', sourcemap: false },
  { ...node, entryPoints: { 'cli-auth': 'src/cli/commands/authYoutube.ts' }, outdir: 'dist' },
  // The Postgres backend (pg, graphile-worker), required by the CLI and the extension only with a Postgres
  // store (src/engine/postgres/load.ts). graphile-worker's config loader can read TypeScript config files,
  // which Flowdeck never asks it to: typescript stays out.
  { ...node, entryPoints: { postgres: 'src/engine/postgres/index.ts' }, outdir: 'dist', external: [...node.external, 'typescript'] },
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir: 'dist' },
  // Loaded by the extension on first use (a worker thread; src/extension/lazyBundles.ts), not at activation.
  { ...node, entryPoints: { 'discovery-worker': 'src/extension/flows/discoveryWorker.ts', 'youtube-connect': 'src/extension/youtubeConnect.ts' }, outdir: 'dist' },
  // Built-in flows import 'flowdeck' like user flows; the worker supplies that module at load time.
  {
    ...node,
    entryPoints: { 'github-repo-stats': 'src/flows/githubRepoStats.ts', 'youtube-channel-analytics': 'src/flows/youtubeChannelAnalytics.ts' },
    outdir: 'dist/flows',
    external: [...node.external, 'flowdeck'],
  },
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: { dashboard: 'src/webview/main.ts' },
    outdir: 'dist/webview',
  },
];

await rm('dist', { recursive: true, force: true });
const { existsSync } = await import('node:fs');
const present = builds.filter((b) => Object.values(b.entryPoints).every((p) => existsSync(p)));
if (watch) {
  for (const b of present) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
}
