/**
 * A panel's notices, in the page's flow below its header or top bar (`.notices`, dashboard.css) — never over
 * its buttons: fixed in the corner, an error stayed on Open Flow Source and took its clicks. Errors wait to be
 * read and dismissed, and one shown while the page is scrolled away from them is scrolled into view;
 * information fades on its own.
 */
import { h } from './dom';

const INFO_MS = 8000;

export function showNotice(into: HTMLElement, level: 'info' | 'error', text: string): void {
  const toast = h(
    'div',
    { class: `notice ${level}`, attrs: { role: level === 'error' ? 'alert' : 'status' } },
    h('span', null, text),
    h('button', { class: 'icon-button', title: 'Dismiss', attrs: { 'aria-label': 'Dismiss' }, onClick: () => toast.remove() }, '×'),
  );
  into.append(toast);
  if (level === 'info') window.setTimeout(() => toast.remove(), INFO_MS);
  else toast.scrollIntoView({ block: 'nearest' });
}
