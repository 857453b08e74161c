/**
 * A run details panel's HTML shell: the same strict policy as the dashboard's (no inline script or style,
 * one nonce'd script, resources only from the extension). Pure (no `vscode`).
 */
import { escapeText, webviewPage } from '../dashboard/html';

export interface RunDetailsHtmlOptions {
  cspSource: string;
  /** dist/webview/runDetails.js as the webview sees it. */
  scriptUri: string;
  /** media/dashboard.css (the shared look) then media/runDetails.css, as the webview sees them. */
  styleUris: string[];
  nonce: string;
  /** Shown until the script has drawn the panel. */
  runName: string;
}

export function runDetailsHtml(options: RunDetailsHtmlOptions): string {
  return webviewPage({
    who: 'runDetailsHtml',
    title: `Run ${options.runName}`,
    cspSource: options.cspSource,
    nonce: options.nonce,
    styleUris: options.styleUris,
    scriptUri: options.scriptUri,
    main: `<main id="app" class="app"><p class="loading">Loading run ${escapeText(options.runName)}…</p></main>`,
  });
}
