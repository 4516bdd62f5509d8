/**
 * A few DOM helpers: elements from a tag, attributes and children, and
 * labelled controls (every input has a <label>, so keyboards and screen
 * readers reach and name it).
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** `h('button', { type: 'button', onclick: f }, 'Start')`: attributes, `on*` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

let nextId = 0;
/** A document-unique id for label/input pairs. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

export interface NumberField {
  readonly element: HTMLElement;
  readonly input: HTMLInputElement;
  /** The typed value (NaN when the box is empty or not a number: the consumer's checks say why). */
  value(): number;
  set(value: number): void;
}

/** A labelled `<input type="number">`; `onChange` fires on every edit. */
export function numberField(options: {
  label: string;
  value: number;
  name: string;
  min?: number;
  max?: number;
  step?: number | 'any';
  onChange?: (value: number) => void;
}): NumberField {
  const id = uid(options.name);
  const input = h('input', {
    id,
    name: options.name,
    type: 'number',
    value: String(options.value),
    min: options.min,
    max: options.max,
    step: options.step ?? 'any',
    inputmode: 'decimal',
  });
  if (options.onChange !== undefined) {
    const onChange = options.onChange;
    input.addEventListener('input', () => onChange(input.valueAsNumber));
  }
  return {
    element: h('div', { class: 'field' }, h('label', { for: id }, options.label), input),
    input,
    value: () => input.valueAsNumber,
    set(value) {
      input.value = String(value);
    },
  };
}

/** A labelled slider showing its value. */
export function rangeField(options: {
  label: string;
  value: number;
  name: string;
  min: number;
  max: number;
  step: number;
  format?: (value: number) => string;
  onChange: (value: number) => void;
}): NumberField {
  const id = uid(options.name);
  const format = options.format ?? String;
  const output = h('output', { for: id }, format(options.value));
  const input = h('input', {
    id,
    name: options.name,
    type: 'range',
    min: options.min,
    max: options.max,
    step: options.step,
    value: String(options.value),
  });
  input.addEventListener('input', () => {
    output.textContent = format(input.valueAsNumber);
    options.onChange(input.valueAsNumber);
  });
  return {
    element: h('div', { class: 'field range' }, h('label', { for: id }, options.label, ' ', output), input),
    input,
    value: () => input.valueAsNumber,
    set(value) {
      input.value = String(value);
      output.textContent = format(value);
    },
  };
}

export interface SelectField<T extends string> {
  readonly element: HTMLElement;
  readonly select: HTMLSelectElement;
  value(): T;
  set(value: T): void;
}

/** A labelled `<select>`. */
export function selectField<T extends string>(options: {
  label: string;
  name: string;
  value: T;
  choices: ReadonlyArray<readonly [value: T, text: string]>;
  onChange?: (value: T) => void;
}): SelectField<T> {
  const id = uid(options.name);
  const select = h(
    'select',
    { id, name: options.name },
    ...options.choices.map(([value, text]) => h('option', { value, selected: value === options.value }, text)),
  );
  if (options.onChange !== undefined) {
    const onChange = options.onChange;
    select.addEventListener('change', () => onChange(select.value as T));
  }
  return {
    element: h('div', { class: 'field' }, h('label', { for: id }, options.label), select),
    select,
    value: () => select.value as T,
    set(value) {
      select.value = value;
    },
  };
}

export interface CheckboxField {
  readonly element: HTMLElement;
  readonly input: HTMLInputElement;
  value(): boolean;
  set(value: boolean): void;
}

/** A checkbox inside its label. */
export function checkboxField(options: {
  label: string;
  name: string;
  checked: boolean;
  onChange?: (checked: boolean) => void;
}): CheckboxField {
  const input = h('input', { type: 'checkbox', name: options.name, checked: options.checked });
  if (options.onChange !== undefined) {
    const onChange = options.onChange;
    input.addEventListener('change', () => onChange(input.checked));
  }
  return {
    element: h('div', { class: 'field checkbox' }, h('label', {}, input, ' ', options.label)),
    input,
    value: () => input.checked,
    set(value) {
      input.checked = value;
    },
  };
}

export function button(text: string, onClick: () => void, attrs: Attrs = {}): HTMLButtonElement {
  return h('button', { type: 'button', ...attrs, onclick: () => onClick() }, text);
}

/** A live region for a view's messages (errors from the packages' argument checks, progress). */
export function messageLine(name: string): { element: HTMLElement; show(text: string, kind?: 'error' | 'info'): void } {
  const element = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', 'data-message': name });
  return {
    element,
    show(text, kind = 'error') {
      element.textContent = text;
      element.dataset.kind = kind;
    },
  };
}

/** Calls `fn` at most once per animation frame, with the latest arguments. */
export function perFrame(fn: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      fn();
    });
  };
}

/** Width available to a chart inside `container` (at least `min`). */
export function chartWidth(container: Element, min = 280): number {
  return Math.max(min, Math.floor(container.getBoundingClientRect().width));
}

export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) return value.toExponential(2);
  return value
    .toPrecision(digits)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** Calls `fn` (once per frame at most) when `element`'s width changes; height changes are ignored. */
export function onWidthChange(element: Element, fn: () => void): void {
  let last = -1;
  const later = perFrame(fn);
  new ResizeObserver((entries) => {
    const width = Math.round(entries[0]?.contentRect.width ?? 0);
    if (width === last || width === 0) return;
    last = width;
    later();
  }).observe(element);
}
