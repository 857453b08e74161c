/**
 * The dashboard's HTML shell. Pure (no `vscode`): the panel passes in `webview.cspSource` and the
 * `asWebviewUri` strings. Everything visible is drawn by the script; the page only carries the CSP,
 * the stylesheet and one nonce'd script.
 */
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlOptions {
  /** `webview.cspSource`: the origin VS Code serves local resources from. */
  cspSource: string;
  /** URI of dist/webview/dashboard.js as the webview sees it. */
  scriptUri: string;
  /** URI of media/dashboard.css as the webview sees it. */
  styleUri: string;
  nonce: string;
}

const NONCE = /^[A-Za-z0-9]{32,}$/;

/** 32 random bytes as URL-safe alphanumerics: a fresh one for every page load. */
export function makeNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // 248 is the largest multiple of 62 below 256: rejecting bytes above it keeps every letter equally likely.
  let nonce = '';
  while (nonce.length < 32) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && nonce.length < 32) nonce += alphabet[byte % 62];
    }
  }
  return nonce;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/**
 * The policy for a page, after checking what goes into it. `webview.cspSource` is one source or, in some
 * hosts (code-server: `'self' https://*.vscode-cdn.net`), several. Each must be a host source or 'self':
 * anything else ('unsafe-inline', a `;` starting a new directive) would widen the policy.
 */
function checkedPolicy(who: string, cspSource: string, nonce: string): string {
  if (!NONCE.test(nonce)) throw new Error(`${who}: the nonce must be at least 32 letters or digits (use makeNonce())`);
  const sources = cspSource.trim().split(/\s+/);
  if (cspSource.trim() === '' || !sources.every((s) => s === "'self'" || /^[^\s'";,]+$/.test(s))) {
    throw new Error(`${who}: '${cspSource}' is not a list of CSP host sources`);
  }
  return contentSecurityPolicy(cspSource, nonce);
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A webview page of Flowdeck's: the checked policy, the stylesheets, one nonce'd script and the markup
 * shown until the script draws (`main`, already escaped).
 */
export function webviewPage(options: { who: string; title: string; cspSource: string; nonce: string; styleUris: readonly string[]; scriptUri: string; main: string }): string {
  const csp = escapeAttribute(checkedPolicy(options.who, options.cspSource, options.nonce));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${options.styleUris.map((uri) => `<link rel="stylesheet" href="${escapeAttribute(uri)}">`).join('\n')}
<title>${escapeText(options.title)}</title>
</head>
<body>
${options.main}
<script nonce="${options.nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>
`;
}

export function dashboardHtml(options: DashboardHtmlOptions): string {
  return webviewPage({
    who: 'dashboardHtml',
    title: 'Flowdeck Dashboard',
    cspSource: options.cspSource,
    nonce: options.nonce,
    styleUris: [options.styleUri],
    scriptUri: options.scriptUri,
    main: '<main id="app" class="app" aria-live="polite"><p class="loading">Loading the dashboard…</p></main>',
  });
}
