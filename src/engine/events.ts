/** A minimal typed event emitter so the engine stays free of the `vscode` module. */
export type Listener<T> = (value: T) => void;

/** Subscribes a listener; dispose the result to unsubscribe. */
export type Event<T> = (listener: Listener<T>) => Subscription;

export interface Subscription {
  dispose(): void;
}

export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  readonly event = (listener: Listener<T>): Subscription => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // A faulty listener must not stop the others or the engine.
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
