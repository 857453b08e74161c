/** The `flowdeck.*` settings, read fresh each time (they are few and reading is cheap). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { defaultHome } from '../engine/storeHome';

export type RevealOutput = 'onRun' | 'onFailure' | 'never';

export const DEFAULT_FLOW_GLOB = '**/*.flow.{ts,mts,js,mjs}';

export interface FlowdeckSettings {
  flowGlob: string;
  revealOutput: RevealOutput;
  /** Empty when unset. */
  githubApiUrl: string;
  /** The store folder: the setting, else FLOWDECK_HOME, else ~/.flowdeck (the CLI's default too). */
  home: string;
  /** A postgres:// URL of a store several machines share (else FLOWDECK_STORE); undefined for the embedded store. */
  store: string | undefined;
  maxConcurrentRuns: number;
  runHistoryLimit: number;
  /** Log the longest event-loop block while each run went. */
  diagnoseEventLoop: boolean;
  /** Keep a worker process started ahead of time for the next run. */
  standbyWorker: boolean;
}

function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

export function readSettings(): FlowdeckSettings {
  const c = vscode.workspace.getConfiguration('flowdeck');
  const reveal = c.get<string>('revealOutput', 'onRun');
  const home = c.get<string>('home', '').trim();
  const store = c.get<string>('store', '').trim() || process.env.FLOWDECK_STORE?.trim() || undefined;
  return {
    flowGlob: c.get<string>('flowGlob', DEFAULT_FLOW_GLOB).trim() || DEFAULT_FLOW_GLOB,
    revealOutput: reveal === 'onFailure' || reveal === 'never' ? reveal : 'onRun',
    githubApiUrl: c.get<string>('github.apiUrl', '').trim(),
    home: home === '' ? defaultHome(process.env) : expandHome(home),
    store,
    maxConcurrentRuns: Math.max(1, Math.floor(c.get<number>('maxConcurrentRuns', 4))),
    runHistoryLimit: Math.max(1, Math.floor(c.get<number>('runHistoryLimit', 1000))),
    diagnoseEventLoop: c.get<boolean>('diagnostics.eventLoop', false) === true,
    standbyWorker: c.get<boolean>('standbyWorker', true) !== false,
  };
}
