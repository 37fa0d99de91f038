/**
 * A tiny element builder. Text always goes in through textContent and
 * attributes through setAttribute, so data (ids, labels, file names,
 * warnings) can never become markup.
 */
export type Child = Node | string | number | null | undefined | false;

export interface Props {
  [attr: string]: string | number | boolean | null | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Props | null, ...children: (Child | Child[])[]): HTMLElement;
export function h(tag: string, props?: Props | null, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = String(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** A codicon, hidden from assistive technology (the button or text next to it says it). */
export function icon(name: string): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

/** Text read by screen readers only. */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'visually-hidden' }, text);
}

export function clear(el: Element): void {
  el.replaceChildren();
}
