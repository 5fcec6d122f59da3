/**
 * Copies of a call's data for msg.call (variables, the campaign link).
 */
import { put } from '../own';

/** How deep copyData follows plain objects and arrays before it leaves the value to structuredClone (a cycle, say). */
const PLAIN_DEPTH = 32;
/** What copyPlain answers for a value it does not copy itself. */
const NOT_PLAIN = Symbol('not plain');

/**
 * A copy of the call's data for msg.call (variables, the campaign link): a
 * change node editing the copy does not reach into the session. Plain data
 * (primitives, plain objects, arrays: what a flow usually keeps) is copied
 * by hand, a few times faster than structuredClone; anything else (a Date, a
 * Buffer, a Map, a cycle) goes through structuredClone as before, and a value
 * even that cannot copy (a function) is passed by reference.
 */
export function copyData<T extends object>(data: T): T {
  const copy = copyTop(data);
  if (copy !== NOT_PLAIN) return copy as T;
  try {
    return structuredClone(data);
  } catch {
    return { ...data };
  }
}

/**
 * The top level by spreading (one step for V8, which keeps a "__proto__"
 * key as an own entry), then each value that is not a primitive by copyPlain.
 */
function copyTop(data: object): unknown {
  const proto: unknown = Object.getPrototypeOf(data);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const out: Record<string, unknown> = { ...data };
  for (const key in out) {
    if (!Object.hasOwn(out, key)) continue;
    const v = out[key];
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'function' || typeof v === 'symbol') return NOT_PLAIN;
      continue;
    }
    const copy = copyPlain(v, 1);
    if (copy === NOT_PLAIN) return NOT_PLAIN;
    if (key === '__proto__') put(out, key, copy);
    else out[key] = copy;
  }
  return out;
}

function copyPlain(value: unknown, depth: number): unknown {
  if (typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  if (value === null) return null;
  if (depth > PLAIN_DEPTH) return NOT_PLAIN;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const from = value as unknown[];
    const out = new Array<unknown>(from.length);
    for (let i = 0; i < from.length; i++) {
      const v = copyPlain(from[i], depth + 1);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const from = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // for-in with hasOwn walks the own enumerable keys as Object.keys does, without making their array.
  for (const key in from) {
    if (!Object.hasOwn(from, key)) continue;
    const v = copyPlain(from[key], depth + 1);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    // A variable may be called "__proto__": it stays the copy's own entry, as structuredClone keeps it.
    if (key === '__proto__') put(out, key, v);
    else out[key] = v;
  }
  return out;
}
