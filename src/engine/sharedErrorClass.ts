/**
 * `instanceof` for an error class whose instances cross from one bundle to another in a process.
 *
 * The Postgres backend is a bundle of its own (dist/postgres.js, loaded only with a Postgres store), and
 * carries its own copy of each engine module it imports: an error made by the CLI's or the extension's copy
 * of a class (the runner's FlowSlotBusy, caught by a queue worker) is no instance of the backend's copy, and
 * the reverse. A shared class answers `instanceof` for an instance of any copy of it, by a brand every copy
 * puts on its prototype (a `Symbol.for` key, one per process): `catch (e) { if (e instanceof X) … }` holds
 * wherever `e` was made. Subclasses keep plain `instanceof`.
 */
export function shareErrorClass(cls: abstract new (...args: never[]) => Error, key: string): void {
  const brand = Symbol.for(`flowdeck.error.${key}`);
  Object.defineProperty(cls.prototype, brand, { value: true });
  const plain = Function.prototype[Symbol.hasInstance];
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (this !== cls) return plain.call(this, value);
      return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
    },
  });
}
