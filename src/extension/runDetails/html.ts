/**
 * A run details panel's HTML shell: the same strict policy as the dashboard's (no inline script or style,
 * one nonce'd script, resources only from the extension). Pure (no `vscode`).
 */
import { checkedPolicy, escapeAttribute } from '../dashboard/html';

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

function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function runDetailsHtml(options: RunDetailsHtmlOptions): string {
  const csp = escapeAttribute(checkedPolicy('runDetailsHtml', options.cspSource, options.nonce));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${options.styleUris.map((uri) => `<link rel="stylesheet" href="${escapeAttribute(uri)}">`).join('\n')}
<title>Run ${escapeText(options.runName)}</title>
</head>
<body>
<main id="app" class="app"><p class="loading">Loading run ${escapeText(options.runName)}…</p></main>
<script nonce="${options.nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>
`;
}
