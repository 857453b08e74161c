import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import { markdownRenderer } from '../../src/webview/markdown';

const { window } = new JSDOM('<!DOCTYPE html><body></body>');
const render = markdownRenderer(window as unknown as Parameters<typeof markdownRenderer>[0]);

/** The elements and attributes the rendered HTML holds, as a browser parses it. */
function parse(html: string) {
  const root = window.document.createElement('div');
  root.innerHTML = html;
  const all = [...root.querySelectorAll('*')];
  return { root, tags: all.map((e) => e.tagName.toLowerCase()), attrs: all.flatMap((e) => [...e.attributes].map((a) => `${a.name}=${a.value}`)) };
}

describe('markdown artifacts', () => {
  it('renders GitHub-flavoured markdown: headings, tables, links, emphasis, code', () => {
    const { root, tags } = parse(render('# Daily report\n\n| customer | spend |\n|---|---:|\n| Ada | 120 |\n\nSee [the sheet](https://example.com/s?a=1&b=2) and **bold** `code`.'));
    assert.deepEqual(tags.slice(0, 1), ['h1']);
    assert.equal(root.querySelector('h1')!.textContent, 'Daily report');
    assert.deepEqual([...root.querySelectorAll('td')].map((td) => td.textContent), ['Ada', '120']);
    const a = root.querySelector('a')!;
    assert.equal(a.getAttribute('href'), 'https://example.com/s?a=1&b=2');
    assert.equal(a.getAttribute('rel'), 'noopener noreferrer');
    assert.ok(tags.includes('strong') && tags.includes('code'));
  });

  it('takes out scripts, event handlers, javascript: and data: links, styles, frames and forms from hostile markdown', () => {
    const hostile = [
      '<img src="x" onerror="alert(1)">',
      '<script>alert(2)</script>',
      '[click](javascript:alert(3))',
      '[click2](JaVaScRiPt:alert(4))',
      '<a href="javascript&#58;alert(5)">entity</a>',
      '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)',
      '<iframe src="https://evil.example"></iframe>',
      '<svg><script>alert(7)</script></svg>',
      '<form action="https://evil.example"><input name="q"><button formaction="javascript:alert(8)">go</button></form>',
      '<div style="background:url(javascript:alert(9))" onclick="alert(10)">styled</div>',
      '<a href="vbscript:msgbox(11)">vb</a>',
      '<object data="x.swf"></object><embed src="x.swf"><meta http-equiv="refresh" content="0;url=javascript:alert(12)"><base href="https://evil.example/">',
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(13)>',
      '![remote](https://tracker.example/pixel.png)',
    ].join('\n\n');
    const html = render(hostile);
    const { tags, attrs } = parse(html);
    for (const tag of ['script', 'iframe', 'svg', 'form', 'input', 'button', 'object', 'embed', 'meta', 'base', 'style', 'math']) assert.ok(!tags.includes(tag), `no <${tag}> in ${html}`);
    for (const attr of attrs) {
      assert.doesNotMatch(attr, /^on/i, `no handler attribute: ${attr}`);
      assert.doesNotMatch(attr, /^style=/i, `no style: ${attr}`);
      assert.doesNotMatch(attr, /^(href|src|action|formaction|data)=\s*(javascript|vbscript|data:text)/i, `no script URL: ${attr}`);
    }
    assert.ok(!attrs.some((a) => a.startsWith('src=https://tracker')), 'remote images are not loaded');
    assert.doesNotMatch(html, /alert\(\d+\)<\/script>|onerror|onclick/i);
    // The harmless text around them stays.
    assert.match(html, /styled/);
    assert.match(html, /entity/);
  });
});
