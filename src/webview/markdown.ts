/**
 * Markdown artifacts as HTML that is safe to show: rendered by `marked` (GitHub-flavoured: tables, task
 * lists, strikethrough) and sanitised by DOMPurify. No script, style, form or frame survives, no event
 * handler attribute, and links keep only http, https, mailto and in-page targets; the webview opens
 * http(s) links through the host. Images only as data: URLs (the CSP refuses any other source anyway).
 *
 * No DOM globals here: the caller passes the window (the webview's, or a test's jsdom), so the module
 * can be checked and tested outside a browser.
 */
import createDOMPurify, { type WindowLike } from 'dompurify';
import { Marked } from 'marked';

const FORBID_TAGS = ['style', 'script', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'link', 'meta', 'base', 'svg', 'math'];
const ALLOWED_URI = /^(?:https?:|mailto:|#)/i;

export function markdownRenderer(window: WindowLike): (markdown: string) => string {
  const marked = new Marked({ gfm: true, async: false });
  const purify = createDOMPurify(window);
  purify.addHook('afterSanitizeAttributes', (node) => {
    const el = node as unknown as { tagName?: string; getAttribute(name: string): string | null; removeAttribute(name: string): void; setAttribute(name: string, value: string): void };
    if (el.tagName === 'IMG' && !/^data:image\/(?:png|gif|jpeg|webp);/i.test(el.getAttribute('src') ?? '')) el.removeAttribute('src');
    if (el.tagName === 'A' && el.getAttribute('href') !== null) el.setAttribute('rel', 'noopener noreferrer');
  });
  return (markdown) => {
    const html = marked.parse(markdown) as string;
    return purify.sanitize(html, { FORBID_TAGS, FORBID_ATTR: ['style', 'srcset', 'formaction', 'target'], ALLOWED_URI_REGEXP: ALLOWED_URI, ALLOW_DATA_ATTR: false });
  };
}
