/**
 * Own-property access to dictionaries keyed by user-given names: call variables, contact attributes and custom
 * fields, flow and version names, result codes, a simulated channel's variables. "constructor", "toString",
 * "valueOf", "hasOwnProperty" and "__proto__" are valid names there, and a plain object answers them with
 * Object.prototype's members: `dict[name]` reads a function where nothing was set, `name in dict` is true, and
 * `dict[name] = value` with "__proto__" replaces the object's prototype (or, for a value that is not an object,
 * is silently dropped). These read and write the dictionary's own entries only, and keep plain objects (the
 * dictionaries are serialised: stored documents, msg.call, reports).
 */

/** The dictionary's own entry `name`, or undefined when it has none (never what Object.prototype holds). */
export function own<T>(dict: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return dict !== undefined && Object.hasOwn(dict, name) ? dict[name] : undefined;
}

/** Whether the dictionary has an own entry `name` (what `name in dict` means to ask). */
export function hasOwn(dict: Readonly<Record<string, unknown>> | undefined, name: string): boolean {
  return dict !== undefined && Object.hasOwn(dict, name);
}

/** Sets the dictionary's own entry `name`, even one named "__proto__" (which plain assignment takes as the prototype). */
export function put<T>(dict: Record<string, T>, name: string, value: T): T {
  Object.defineProperty(dict, name, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

/** Adds `by` to a count kept under a user-given name (results by code, say). */
export function count(dict: Record<string, number>, name: string, by = 1): void {
  put(dict, name, (own(dict, name) ?? 0) + by);
}
