/**
 * `npm run bench`: the extension host's share — the extension's own code, timed outside VS Code against
 * a stand-in for the `vscode` module (bench/vscodeStandIn.ts): loading dist/extension.js, activate(),
 * and opening the Runs view over a store of 10,000 runs (the store's own opening timed apart). What VS Code itself adds (its IPC, drawing the
 * rows) is not in these figures. Each round is a fresh process (bench/extensionProbe.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { EmbeddedStore } from '../src/engine/embeddedStore';
import { storeWithRuns } from './manyRuns';
import { median, spread } from './stats';

export interface ExtensionFigures {
  runs: number;
  loadMs: number;
  activateMs: number;
  activateSpread: string;
  /** Opening the store, which the Runs view's first question does. */
  storeOpenMs: number;
  /** The Runs view's first opening over the open store: the flow groups and each group's first page. */
  firstOpenMs: number;
  firstOpenSpread: string;
  /** Opened again. */
  openMs: number;
  /** The flat list's first page. */
  flatOpenMs: number;
  rows: number;
}

interface ProbeResult {
  loadMs: number;
  activateMs: number;
  storeOpenMs: number;
  firstOpenMs: number;
  openMs: number;
  rows: number;
  flatOpenMs: number;
}

export async function extensionBench(dist: string, rounds: number): Promise<ExtensionFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdeck-bench-ext-'));
  try {
    const runs = 10_000;
    const home = join(dir, 'home');
    await storeWithRuns(home, runs);
    // Folds the index into a snapshot, as the first open after a busy day does once.
    await (await EmbeddedStore.open(home)).close();
    const probe = join(dir, 'probe.js');
    // Bundled to plain JavaScript, so no TypeScript loader sits between the probe and the bundle it times.
    await esbuild.build({ entryPoints: [join(__dirname, 'extensionProbe.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: probe, logLevel: 'warning' });
    const results: ProbeResult[] = [];
    for (let r = 0; r < rounds; r++) {
      const out = spawnSync(process.execPath, [probe, dist, home], { encoding: 'utf8', env: { ...process.env, FLOWDECK_HOME: home }, timeout: 120_000 });
      if (out.status !== 0) throw new Error(`extension benchmark round failed: ${out.stderr || out.error?.message}`);
      results.push(JSON.parse(out.stdout.trim().split('\n').at(-1)!) as ProbeResult);
    }
    const of = (k: keyof ProbeResult): number[] => results.map((x) => x[k]);
    return {
      runs,
      loadMs: median(of('loadMs')),
      activateMs: median(of('activateMs')),
      activateSpread: spread(of('activateMs')),
      storeOpenMs: median(of('storeOpenMs')),
      firstOpenMs: median(of('firstOpenMs')),
      firstOpenSpread: spread(of('firstOpenMs')),
      openMs: median(of('openMs')),
      flatOpenMs: median(of('flatOpenMs')),
      rows: results[0]!.rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
