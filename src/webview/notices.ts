/** Toasts in a panel's corner: errors wait to be read and dismissed; information fades on its own. */
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
}
