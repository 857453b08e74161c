import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, dashboardHtml, makeNonce } from '../../src/extension/dashboard/html';

const options = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/dashboard.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard.css',
  nonce: 'A'.repeat(16) + 'b9'.repeat(8),
};

function cspOf(html: string): Map<string, string[]> {
  const content = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.ok(content, 'the page has a CSP meta tag');
  const directives = new Map<string, string[]>();
  for (const part of content.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name, values);
  }
  return directives;
}

describe('dashboardHtml', () => {
  const html = dashboardHtml(options);
  const csp = cspOf(html);

  it("denies everything by default", () => {
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
  });

  it('allows scripts only by nonce, and never unsafe-inline or unsafe-eval', () => {
    assert.deepEqual(csp.get('script-src'), [`'nonce-${options.nonce}'`]);
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|unsafe-hashes/);
  });

  it('takes styles, fonts and images only from the webview resource origin', () => {
    assert.deepEqual(csp.get('style-src'), [options.cspSource]);
    assert.deepEqual(csp.get('font-src'), [options.cspSource]);
    assert.deepEqual(csp.get('img-src'), [options.cspSource, 'data:']);
    assert.equal(csp.has('connect-src'), false, 'the webview talks to the host by postMessage only');
  });

  it('loads exactly one script, carrying the nonce, and the stylesheet', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [` nonce="${options.nonce}" src="${options.scriptUri}"`]);
    assert.match(html, new RegExp(`<link rel="stylesheet" href="${options.styleUri.replace(/[.+]/g, '\\$&')}">`));
  });

  it('has no inline style attributes or inline event handlers', () => {
    assert.doesNotMatch(html, /\sstyle=/);
    assert.doesNotMatch(html, /\son[a-z]+=/i);
    assert.doesNotMatch(html, /<style/);
  });

  it('escapes URIs into attributes', () => {
    const page = dashboardHtml({ ...options, scriptUri: 'https://x/a"><script>alert(1)</script>' });
    assert.doesNotMatch(page, /<script>alert/);
    assert.match(page, /a&quot;&gt;&lt;script&gt;/);
  });

  it('refuses a weak nonce or a CSP source that would add sources', () => {
    assert.throws(() => dashboardHtml({ ...options, nonce: 'abc' }), /at least 32 letters or digits/);
    assert.throws(() => dashboardHtml({ ...options, nonce: `${'a'.repeat(32)}' 'unsafe-inline` }), /nonce/);
    assert.throws(() => dashboardHtml({ ...options, cspSource: "https://x 'unsafe-inline'" }), /not a list of CSP host sources/);
    assert.throws(() => dashboardHtml({ ...options, cspSource: 'https://x; script-src *' }), /not a list of CSP host sources/);
    assert.throws(() => dashboardHtml({ ...options, cspSource: '' }), /not a list of CSP host sources/);
    // code-server's webviews give a list.
    const listed = dashboardHtml({ ...options, cspSource: "'self' https://*.vscode-cdn.net" });
    assert.match(listed, /style-src 'self' https:\/\/\*\.vscode-cdn\.net;/);
  });

  it('builds the policy string from its parts', () => {
    assert.equal(
      contentSecurityPolicy('vscode-resource:', 'N'.repeat(32)),
      `default-src 'none'; style-src vscode-resource:; font-src vscode-resource:; img-src vscode-resource: data:; script-src 'nonce-${'N'.repeat(32)}'`,
    );
  });
});

describe('makeNonce', () => {
  it('makes 32 alphanumerics, different every time', () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => makeNonce()));
    assert.equal(nonces.size, 1000);
    for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  });

  it('uses the whole alphabet', () => {
    const seen = new Set([...Array.from({ length: 200 }, () => makeNonce()).join('')]);
    assert.equal(seen.size, 62);
  });

  it('is accepted by dashboardHtml', () => {
    assert.doesNotThrow(() => dashboardHtml({ ...options, nonce: makeNonce() }));
  });
});
