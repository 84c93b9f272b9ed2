import type { RequestOptions } from "../api";

/** Keeps what a request streamed, so an abort can answer at once with the text so far. */
export class Streamed {
  text = "";
  readonly options: RequestOptions;
  private readonly started = performance.now();

  constructor(options: RequestOptions) {
    this.options = {
      ...options,
      onText: (chunk) => {
        this.text += chunk;
        options.onText?.(chunk);
      },
    };
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }
}

/**
 * Waits for `work` unless `signal` aborts first: true when it aborted (the work goes on in the
 * background, e.g. an engine start that a later request will use), false when the work is done.
 */
export async function abortedFirst(work: Promise<unknown>, signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) {
    await work;
    return false;
  }
  if (signal.aborted) return true;
  let onAbort!: () => void;
  const aborted = new Promise<true>((resolve) => {
    onAbort = () => resolve(true);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  const done = work.then(() => false);
  done.catch(() => undefined); // a failure after the abort won is nobody's concern
  try {
    return await Promise.race([done, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
