/** One request per lane at a time, in order; waiting can be aborted. */
import { abortError } from "../api";
import type { Lane } from "../types";

export class LaneQueue {
  private readonly tails = new Map<Lane, Promise<void>>();

  /** Resolves with a release function once the lane is free. */
  async lock(lane: Lane, signal: AbortSignal | undefined): Promise<() => void> {
    const previous = this.tails.get(lane) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(lane, previous.then(() => mine));
    try {
      await raceAbort(previous, signal, () => {
        throw abortError();
      });
    } catch (error) {
      // Keep the queue intact: release our slot once the previous holder is done.
      void previous.then(release);
      throw error;
    }
    return release;
  }

  /** Resolves when every lane is free (or after `timeoutMs`). */
  async drained(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.all([...this.tails.values()]), new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

/** Settles with `work`, or with `onAbort()` as soon as `signal` aborts, whichever comes first. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => T): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve().then(onAbort);
  return new Promise<T>((resolve, reject) => {
    const listener = () => {
      try {
        resolve(onAbort());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    signal.addEventListener("abort", listener, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", listener));
  });
}
