import * as assert from "node:assert/strict";
import { TYPING_QUIET_MS, TypingGate } from "../../src/engine/local/typingGate";

function clock(): { now: () => number; advance: (ms: number) => void } {
  let at = 1_000;
  return { now: () => at, advance: (ms) => (at += ms) };
}

/** Whether a beforeDecode answer lets the batch go within `ms`. */
async function goesWithin(gate: Promise<void> | undefined, ms: number): Promise<boolean> {
  if (gate === undefined) return true;
  return Promise.race([gate.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

describe("typing gate: background decoding waits while the user types", () => {
  it("decodes at once until the user types; then holds background batches, and lets them go a moment after the last keystroke", async () => {
    const time = clock();
    const told: boolean[] = [];
    const gate = new TypingGate(() => true, time.now, (paused) => told.push(paused));
    try {
      assert.equal(gate.beforeDecode(), undefined, "nobody typed: decode now");
      const leaveChat = gate.enter("chat");
      gate.typing();
      const held = gate.beforeDecode();
      assert.ok(held instanceof Promise, "a chat batch waits while the user types");
      assert.equal(await goesWithin(held, 50), false);
      time.advance(TYPING_QUIET_MS + 1);
      // The gate's own timer (real time) decides when the quiet time is over.
      assert.equal(await goesWithin(held, TYPING_QUIET_MS + 200), true, "released by its timer after the quiet time");
      assert.equal(gate.beforeDecode(), undefined);
      leaveChat();
      assert.deepEqual(told, [true, false], "each change is told once (for the log)");
    } finally {
      gate.release();
    }
  });

  it("never holds while a completion is asked for, and lets held batches go when one starts", async () => {
    const time = clock();
    const gate = new TypingGate(() => true, time.now);
    try {
      gate.typing();
      const held = gate.beforeDecode();
      assert.ok(held instanceof Promise);
      const leave = gate.enter("completion");
      assert.equal(await goesWithin(held, 20), true, "the chat's held batch goes with the completion's");
      gate.typing();
      assert.equal(gate.beforeDecode(), undefined, "typing during a completion holds nothing");
      leave();
      assert.ok(gate.beforeDecode() instanceof Promise, "the completion ended while the user still types: background waits again");
      leave();
      const leaveNextEdit = gate.enter("nextEdit");
      assert.ok(gate.beforeDecode() instanceof Promise, "a next-edit prediction is background work; leaving twice counted once");
      leaveNextEdit();
    } finally {
      gate.release();
    }
  });

  it("holds nothing where the model leaves the editor enough cores", () => {
    const gate = new TypingGate(() => false);
    gate.typing();
    assert.equal(gate.beforeDecode(), undefined);
    gate.release();
  });

  it("release lets every held batch go (the engine unloads) and stays usable", async () => {
    const time = clock();
    const gate = new TypingGate(() => true, time.now);
    gate.typing();
    const held = [gate.beforeDecode(), gate.beforeDecode()];
    gate.release();
    assert.deepEqual(await Promise.all(held.map((h) => goesWithin(h, 20))), [true, true]);
    gate.typing();
    assert.ok(gate.beforeDecode() instanceof Promise, "typing again holds again");
    gate.release();
  });
});
