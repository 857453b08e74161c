/** The `flowdeck.*` settings, read fresh each time (they are few and reading is cheap). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { LIMIT_TAG, MAX_LIMIT } from '../engine/limits/limitStore';
import { NOTIFY_POLICIES, type NotifyPolicy } from '../engine/notify/notices';
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
  /** Whether this window runs schedules (while it is open and trusted). */
  schedulesRun: 'whileOpen' | 'never';
  /** When to tell of a run nobody watches (scheduled, resumed by itself). */
  notify: NotifyPolicy;
  /** This window's concurrency limits by tag, besides those in the store (`flowdeck limit set`). */
  concurrencyLimits: Record<string, number>;
}

/** The valid entries of `flowdeck.concurrencyLimits` (workspace settings are untrusted input). */
export function concurrencyLimitsFrom(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, number> = {};
  for (const [tag, n] of Object.entries(value as Record<string, unknown>)) {
    if (LIMIT_TAG.test(tag) && typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_LIMIT) out[tag] = n;
  }
  return out;
}

function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/** `flowdeck.flowGlob` alone: what activation needs (the CodeLens provider's pattern), without reading the rest. */
export function readFlowGlob(c: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration('flowdeck')): string {
  return c.get<string>('flowGlob', DEFAULT_FLOW_GLOB).trim() || DEFAULT_FLOW_GLOB;
}

export function readSettings(): FlowdeckSettings {
  const c = vscode.workspace.getConfiguration('flowdeck');
  const reveal = c.get<string>('revealOutput', 'onRun');
  const home = c.get<string>('home', '').trim();
  const store = c.get<string>('store', '').trim() || process.env.FLOWDECK_STORE?.trim() || undefined;
  return {
    flowGlob: readFlowGlob(c),
    revealOutput: reveal === 'onFailure' || reveal === 'never' ? reveal : 'onRun',
    githubApiUrl: c.get<string>('github.apiUrl', '').trim(),
    home: home === '' ? defaultHome(process.env) : expandHome(home),
    store,
    maxConcurrentRuns: Math.max(1, Math.floor(c.get<number>('maxConcurrentRuns', 4))),
    runHistoryLimit: Math.max(1, Math.floor(c.get<number>('runHistoryLimit', 1000))),
    diagnoseEventLoop: c.get<boolean>('diagnostics.eventLoop', false) === true,
    standbyWorker: c.get<boolean>('standbyWorker', true) !== false,
    schedulesRun: c.get<string>('schedules.run', 'whileOpen') === 'never' ? 'never' : 'whileOpen',
    notify: NOTIFY_POLICIES.find((p) => p === c.get<string>('notify', 'onFailure')) ?? 'onFailure',
    concurrencyLimits: concurrencyLimitsFrom(c.get<unknown>('concurrencyLimits', {})),
  };
}
