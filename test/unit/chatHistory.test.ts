import * as assert from "node:assert/strict";
import { boundForStorage, ChatHistory, HISTORY_KEY, MAX_STORED_CHARS, MAX_STORED_TURNS, readStored, type KeyValueStore } from "../../src/chat/history";
import type { ChatTurn } from "../../src/chat/protocol";

class MapStore implements KeyValueStore {
  readonly values = new Map<string, unknown>();
  writes = 0;
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    this.writes++;
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

const turn = (id: string, role: ChatTurn["role"], text: string, extra: Partial<ChatTurn> = {}): ChatTurn => ({ id, role, text, ...extra });

describe("chat history", () => {
  it("survives a new instance over the same store (a window reload)", async () => {
    const store = new MapStore();
    const history = new ChatHistory(store);
    await history.add(turn("1", "user", "hi"));
    await history.add(turn("2", "assistant", "", {}));
    await history.replace(turn("2", "assistant", "hello there", { end: "done" }));
    const reloaded = new ChatHistory(store);
    assert.deepEqual(reloaded.turns, [turn("1", "user", "hi"), turn("2", "assistant", "hello there", { end: "done" })]);
  });

  it("stores the newest snapshot even when writes finish out of order", async () => {
    const store = new MapStore();
    const history = new ChatHistory(store);
    const writes: Promise<void>[] = [];
    writes.push(history.add(turn("a", "assistant", "")));
    for (let i = 1; i <= 20; i++) writes.push(history.replace(turn("a", "assistant", "x".repeat(i))));
    await Promise.all(writes);
    assert.equal(new ChatHistory(store).turns[0]?.text, "x".repeat(20));
  });

  it("marks an answer that was streaming when the window closed as stopped, keeping its text", () => {
    const turns = readStored({ version: 1, turns: [turn("1", "user", "q"), turn("2", "assistant", "partial answer")] });
    assert.equal(turns[1]?.end, "stopped");
    assert.equal(turns[1]?.text, "partial answer");
    assert.deepEqual(turns[1]?.notes, ["Stopped when the window closed."]);
  });

  it("ignores a damaged store and malformed turns", () => {
    assert.deepEqual(readStored(undefined), []);
    assert.deepEqual(readStored("junk"), []);
    assert.deepEqual(readStored({ turns: "no" }), []);
    const turns = readStored({ turns: [null, { id: 1 }, { id: "x", role: "system", text: "" }, turn("ok", "user", "fine"), { id: "n", role: "user", text: "t", notes: [3] }] });
    assert.deepEqual(turns, [turn("ok", "user", "fine")]);
  });

  it("clears", async () => {
    const store = new MapStore();
    const history = new ChatHistory(store);
    await history.add(turn("1", "user", "hi"));
    await history.clear();
    assert.deepEqual(new ChatHistory(store).turns, []);
    assert.deepEqual(store.get(HISTORY_KEY), { version: 1, turns: [] });
  });

  it("bounds what it stores to the newest turns, never dropping the newest one", () => {
    const many = Array.from({ length: MAX_STORED_TURNS + 50 }, (_, i) => turn(String(i), i % 2 ? "assistant" : "user", "t"));
    const kept = boundForStorage(many);
    assert.equal(kept.length, MAX_STORED_TURNS);
    assert.equal(kept.at(-1)?.id, many.at(-1)?.id);
    const huge = [turn("old", "user", "x".repeat(MAX_STORED_CHARS / 2)), turn("big", "assistant", "y".repeat(MAX_STORED_CHARS))];
    assert.deepEqual(boundForStorage(huge).map((t) => t.id), ["big"]);
  });
});
