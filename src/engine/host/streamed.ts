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
