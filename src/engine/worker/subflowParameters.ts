/**
 * The parameters of a subflow call as its run's record keeps them: JSON, shown by `inspect`, `runs --json`
 * and the run details. The subflow itself is called with the values as they are; only what is recorded is
 * JSON. JSON.stringify alone threw on a BigInt (`TypeError: Do not know how to serialize a BigInt`) and on a
 * value that contains itself, failing the call over what is only recorded, and wrote a Map or a Set as `{}`,
 * its entries lost from the record. Here they are as the JSON view shows a result (toJsonView): a bigint
 * its digits, a Map an object (or its entries when a key is not a string), a Set a list, a cycle
 * `"[Circular]"`; anything else as JSON.stringify writes it (a Date its ISO text, a value with `toJSON` what
 * that returns).
 */
import { toJsonView } from '../serializer';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map || value instanceof Set) return toJsonView(value);
  return value;
}

export function recordedSubflowParameters(validated: Record<string, unknown>): Record<string, unknown> {
  let text: string;
  try {
    text = JSON.stringify(validated, replacer);
  } catch (e) {
    // A value that contains itself: the JSON view marks where it closes the circle.
    if (!(e instanceof TypeError)) throw e;
    return toJsonView(validated) as Record<string, unknown>;
  }
  return JSON.parse(text) as Record<string, unknown>;
}
