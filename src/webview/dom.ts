/**
 * A small element builder. Text always goes in through textContent, never innerHTML, so run names,
 * log lines and channel titles can't inject markup; and no style attributes, which the CSP forbids.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  /** Attributes set with setAttribute (aria-*, role, data-*, value, href …). */
  attrs?: Record<string, string>;
  onClick?: (event: MouseEvent) => void;
  onChange?: (event: Event) => void;
  hidden?: boolean;
  disabled?: boolean;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class) el.className = props.class;
    if (props.title) el.title = props.title;
    if (props.hidden) el.hidden = true;
    if (props.disabled) el.setAttribute('disabled', '');
    for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, value);
    if (props.onClick) (el as HTMLElement).addEventListener('click', props.onClick);
    if (props.onChange) el.addEventListener('change', props.onChange);
  }
  append(el, children);
  return el;
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
}

/** A `<select>` whose options are [value, label] pairs. */
export function select(
  options: readonly (readonly [string, string])[],
  selected: string,
  props: Props & { label: string },
): HTMLSelectElement {
  const el = h('select', { ...props, attrs: { ...props.attrs, 'aria-label': props.label } });
  for (const [value, label] of options) {
    const option = h('option', { attrs: { value } }, label);
    if (value === selected) option.selected = true;
    el.append(option);
  }
  return el;
}

/** The dot between the parts of a title; its spacing comes from CSS, which flex layout would otherwise eat. */
export function separator(): HTMLElement {
  return h('span', { class: 'sep', attrs: { 'aria-hidden': 'true' } }, '·');
}

/** A secondary part of a section title, such as the run it shows. */
export function detail(text: string): HTMLElement[] {
  return [separator(), h('span', { class: 'title-detail' }, text)];
}
