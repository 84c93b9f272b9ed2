import * as assert from "node:assert/strict";
import { ThreadBudget, TYPING_YIELD_MS } from "../../src/engine/local/threads";

function clock(): { now: () => number; advance: (ms: number) => void } {
  let at = 1_000;
  return { now: () => at, advance: (ms) => (at += ms) };
}

describe("thread budget: the editor keeps a core while the user types", () => {
  it("uses every thread until the user types, then one fewer for background work, and every thread again a second later", () => {
    const llama = { maxThreads: 0 };
    const time = clock();
    const budget = new ThreadBudget(llama, 4, time.now);
    try {
      assert.equal(llama.maxThreads, 4, "applied at once");
      const leaveChat = budget.enter("chat");
      budget.typing();
      assert.equal(llama.maxThreads, 3, "a chat answer decodes with one thread fewer while the user types");
      time.advance(TYPING_YIELD_MS - 1);
      assert.equal(budget.threads, 3);
      time.advance(2);
      assert.equal(budget.threads, 4, "a second after the last keystroke");
      leaveChat();
    } finally {
      budget.dispose();
    }
  });

  it("keeps every thread while a completion is asked for: that is what the typing waits for", () => {
    const llama = { maxThreads: 0 };
    const time = clock();
    const budget = new ThreadBudget(llama, 2, time.now);
    try {
      budget.typing();
      assert.equal(llama.maxThreads, 1);
      const leave = budget.enter("completion");
      assert.equal(llama.maxThreads, 2, "a completion starts: all threads");
      budget.typing();
      assert.equal(llama.maxThreads, 2, "typing during the completion changes nothing");
      leave();
      assert.equal(llama.maxThreads, 1, "the completion ended while the user still types: background work yields again");
      leave();
      assert.equal(llama.maxThreads, 1, "leaving twice counts once");
      const leaveNextEdit = budget.enter("nextEdit");
      assert.equal(llama.maxThreads, 1, "a next-edit prediction is background work");
      leaveNextEdit();
    } finally {
      budget.dispose();
    }
  });

  it("never goes below one thread, and follows the load-aware count", () => {
    const llama = { maxThreads: 0 };
    const time = clock();
    const budget = new ThreadBudget(llama, 1, time.now);
    try {
      budget.typing();
      assert.equal(llama.maxThreads, 1, "one thread stays one");
    } finally {
      budget.dispose();
    }
    const wide = new ThreadBudget(llama, 4, time.now);
    try {
      wide.setLoadThreads(2);
      assert.equal(llama.maxThreads, 2, "other programs keep two cores busy");
      wide.typing();
      assert.equal(llama.maxThreads, 1);
      wide.setLoadThreads(9);
      time.advance(TYPING_YIELD_MS + 1);
      assert.equal(wide.threads, 4, "never more than the full count");
    } finally {
      wide.dispose();
    }
  });

  it("gives the threads back by itself when the typing stops (its own timer)", async () => {
    const llama = { maxThreads: 0 };
    const budget = new ThreadBudget(llama, 2);
    try {
      budget.typing();
      assert.equal(llama.maxThreads, 1);
      await new Promise((resolve) => setTimeout(resolve, TYPING_YIELD_MS + 50));
      assert.equal(llama.maxThreads, 2, "applied without another call");
    } finally {
      budget.dispose();
    }
  });
});
