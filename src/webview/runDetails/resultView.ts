/**
 * The run's result as a collapsible tree. Containers open on request: the host sends their entries a page
 * at a time, so a result of any size shows as fast as a small one and never travels whole.
 */
import { bytesText } from '../../engine/bytesText';
import { h } from '../dom';
import { formatInteger } from '../format';
import type { ResultNode, ResultPage, ResultView as Result } from './protocol';

export type PageRequest = (path: (string | number)[], offset: number) => Promise<ResultPage | undefined>;

export class ResultView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private key = '';

  constructor(private readonly request: PageRequest) {
    this.body = h('div', { class: 'result-body' });
    this.element = h('section', { class: 'card result', attrs: { 'aria-labelledby': 'result-title' } }, h('header', { class: 'section-header' }, h('h2', { class: 'section-title', attrs: { id: 'result-title' } }, 'Result')), this.body);
  }

  show(result: Result): void {
    // The tree keeps what the user opened as long as the result is the same.
    const key = JSON.stringify(result);
    if (key === this.key) return;
    this.key = key;
    if (result.kind === 'none') {
      this.body.replaceChildren(h('p', { class: 'muted' }, result.note ?? 'No result (yet).'));
    } else if (result.kind === 'tooLarge') {
      this.body.replaceChildren(h('p', { class: 'muted' }, `The result is ${bytesText(result.bytes)}, too large to show here. It is kept with the run; a task or the flow can read it back.`));
    } else {
      const tree = h('div', { class: 'json-tree', attrs: { role: 'tree', 'aria-label': 'Result' } }, this.entry(null, result.root, []));
      this.body.replaceChildren(tree);
      // The top level is what people look for first: open it.
      tree.querySelector<HTMLButtonElement>('.json-toggle')?.click();
    }
  }

  private entry(key: string | null, node: ResultNode, path: (string | number)[]): HTMLElement {
    const label = key === null ? [] : [h('span', { class: 'json-key' }, key), ': '];
    if (node.kind !== 'object' && node.kind !== 'array') {
      return h('div', { class: 'json-entry', attrs: { role: 'treeitem' } }, ...label, h('span', { class: `json-${node.kind}` }, node.preview));
    }
    const children = h('div', { class: 'json-children', hidden: true, attrs: { role: 'group' } });
    const size = node.size ?? 0;
    const toggle = h(
      'button',
      { class: 'json-toggle', attrs: { 'aria-expanded': 'false' } },
      h('span', { class: 'twisty', attrs: { 'aria-hidden': 'true' } }, '▸'),
      ...label,
      h('span', { class: 'muted' }, `${node.preview} ${formatInteger(size)} ${node.kind === 'array' ? (size === 1 ? 'item' : 'items') : size === 1 ? 'key' : 'keys'}`),
    );
    let loaded = false;
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      toggle.querySelector('.twisty')!.textContent = open ? '▾' : '▸';
      children.hidden = !open;
      if (open && !loaded) {
        loaded = true;
        void this.load(children, path, 0);
      }
    });
    return h('div', { class: 'json-entry', attrs: { role: 'treeitem' } }, toggle, children);
  }

  private async load(into: HTMLElement, path: (string | number)[], offset: number): Promise<void> {
    const loading = h('div', { class: 'muted json-entry' }, 'Loading…');
    into.append(loading);
    const page = await this.request(path, offset);
    loading.remove();
    if (!page) {
      into.append(h('div', { class: 'muted json-entry' }, 'Could not read this part of the result.'));
      return;
    }
    for (const e of page.entries) into.append(this.entry(e.key, e.node, [...path, e.key]));
    const next = page.offset + page.entries.length;
    if (next < page.total) {
      const more = h('button', { class: 'button secondary small' }, `Show more (${formatInteger(page.total - next)} left)`);
      more.addEventListener('click', () => {
        more.remove();
        void this.load(into, path, next);
      });
      into.append(more);
    }
  }
}

