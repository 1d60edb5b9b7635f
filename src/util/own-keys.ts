/**
 * Plain objects keyed by names from outside: MLMD property names (any string in a file that
 * Python cmf or another tool wrote), keys of exchange JSON, params files. Two JS habits go
 * wrong with such names:
 * - `obj[name] = v` with name `__proto__` sets the object's prototype instead of adding a
 *   key (and a primitive `v` is silently dropped);
 * - `obj[name]` for a name the object lacks finds Object.prototype's `constructor`,
 *   `toString`, `hasOwnProperty`... rather than undefined.
 * The objects stay plain (prototype Object.prototype) so that callers and JSON output see
 * ordinary objects; only these two operations are done with care.
 */

/** `obj[key] = value` that always creates or replaces an own, enumerable data property. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: NoInfer<T>): void {
  // Only `__proto__` is an accessor on Object.prototype: other inherited names (constructor,
  // toString) are writable data properties, which plain assignment shadows with an own one.
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

/** `obj[key]` when `obj` has that key itself; undefined for one it only inherits. */
export function getOwn<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
