/** Runs `work` and measures the longest gap between ticks of a 5 ms timer meanwhile. */
export async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stall: number }> {
  let stall = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  try {
    const result = await work();
    stall = Math.max(stall, performance.now() - last);
    return { result, stall };
  } finally {
    clearInterval(timer);
  }
}
