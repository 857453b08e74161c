/**
 * A component that activation does not need, built the first time something asks for it (a command, a
 * view's first question, a panel to restore) rather than in activate(): each component built there costs
 * the extension host its first-time compilation, and most windows never open most of them. Disposing
 * disposes the component only if it was built; after that nothing builds it again.
 */
export class OnFirstUse<T extends object> {
  private instance?: T;
  private disposed = false;

  constructor(private readonly build: () => T) {}

  /** The component, built now if nothing has asked for it before. */
  get value(): T {
    if (this.disposed) throw new Error('Flowdeck is shutting down: this window no longer runs it.');
    return (this.instance ??= this.build());
  }

  /** What the component's dispose() returns (a promise for one that stops asynchronously), or undefined when it was never built. */
  dispose(): unknown {
    this.disposed = true;
    const built: { dispose?(): unknown } | undefined = this.instance;
    return built?.dispose?.();
  }
}
