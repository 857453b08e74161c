/**
 * A result as the details panel's tree shows it: a node per value (a preview, a size for containers) and
 * the entries of a container a page at a time. Pure, on the JSON view of the result (toJsonView).
 */
import type { ResultEntry, ResultNode, ResultPage } from '../../webview/runDetails/protocol';

export const PAGE_SIZE = 200;
const STRING_PREVIEW = 2000;

export function nodeOf(value: unknown): ResultNode {
  if (value === null || value === undefined) return { kind: 'null', preview: 'null' };
  if (Array.isArray(value)) return { kind: 'array', preview: '[…]', size: value.length };
  switch (typeof value) {
    case 'string':
      return { kind: 'string', preview: JSON.stringify(value.length > STRING_PREVIEW ? `${value.slice(0, STRING_PREVIEW)}… (${value.length} characters)` : value) };
    case 'number':
      return { kind: 'number', preview: String(value) };
    case 'boolean':
      return { kind: 'boolean', preview: String(value) };
    case 'object':
      return { kind: 'object', preview: '{…}', size: Object.keys(value as object).length };
    default:
      return { kind: 'string', preview: String(value) };
  }
}

/** The value at `path` (keys of objects, indexes of arrays as numbers or digit strings); undefined when there is none. */
export function valueAt(root: unknown, path: readonly (string | number)[]): { found: boolean; value: unknown } {
  let value = root;
  for (const key of path) {
    if (Array.isArray(value)) {
      const i = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : -1;
      if (i < 0 || i >= value.length) return { found: false, value: undefined };
      value = value[i];
    } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, String(key))) {
      value = (value as Record<string, unknown>)[String(key)];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value };
}

/** Entries `offset`… of the container at `path`, at most `limit`. Undefined when `path` is not a container. */
export function pageOf(root: unknown, path: readonly (string | number)[], offset: number, limit = PAGE_SIZE): ResultPage | undefined {
  const { found, value } = valueAt(root, path);
  if (!found || typeof value !== 'object' || value === null) return undefined;
  let entries: ResultEntry[];
  let total: number;
  if (Array.isArray(value)) {
    total = value.length;
    entries = value.slice(offset, offset + limit).map((v, i) => ({ key: String(offset + i), node: nodeOf(v) }));
  } else {
    const keys = Object.keys(value);
    total = keys.length;
    entries = keys.slice(offset, offset + limit).map((k) => ({ key: k, node: nodeOf((value as Record<string, unknown>)[k]) }));
  }
  return { path: [...path], offset, total, entries };
}
