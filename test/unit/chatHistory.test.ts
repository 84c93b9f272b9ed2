import * as assert from "node:assert/strict";
import { ChatHistory, HISTORY_KEY, MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, readStored, withinBounds, type KeyValueStore } from "../../src/chat/history";
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
    await history.add(turn("1", "user", "hi")).stored;
    await history.add(turn("2", "assistant", "", {})).stored;
    await history.replace(turn("2", "assistant", "hello there", { end: "done" }));
    const reloaded = new ChatHistory(store);
    assert.deepEqual(reloaded.turns, [turn("1", "user", "hi"), turn("2", "assistant", "hello there", { end: "done" })]);
  });

  it("stores the newest snapshot even when writes finish out of order", async () => {
    const store = new MapStore();
    const history = new ChatHistory(store);
    const writes: Promise<void>[] = [];
    writes.push(history.add(turn("a", "assistant", "")).stored);
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
    await history.add(turn("1", "user", "hi")).stored;
    await history.clear();
    assert.deepEqual(new ChatHistory(store).turns, []);
    assert.deepEqual(store.get(HISTORY_KEY), { version: 1, turns: [], dropped: 0 });
  });

  it("2,000 turns: memory, view and storage keep the newest 400, dropping whole question-and-answer pairs, and count what was dropped", async function () {
    this.timeout(30_000);
    const store = new MapStore();
    const history = new ChatHistory(store);
    const dropped: string[] = [];
    let stored = Promise.resolve();
    for (let i = 0; i < 1_000; i++) {
      const added = history.add(turn(`q${i}`, "user", `question ${i}`), turn(`a${i}`, "assistant", `answer ${i}`, { end: "done" }));
      dropped.push(...added.dropped);
      stored = added.stored;
    }
    await stored;
    assert.equal(history.turns.length, MAX_HISTORY_TURNS);
    assert.equal(history.turns[0]?.id, `q${1_000 - MAX_HISTORY_TURNS / 2}`);
    assert.equal(history.turns.at(-1)?.id, "a999");
    assert.equal(dropped.length, 2_000 - MAX_HISTORY_TURNS);
    assert.deepEqual(dropped.slice(0, 4), ["q0", "a0", "q1", "a1"]);
    assert.equal(history.dropped, 2_000 - MAX_HISTORY_TURNS);
    const written = store.get<{ turns: ChatTurn[]; dropped: number }>(HISTORY_KEY)!;
    assert.equal(written.turns.length, MAX_HISTORY_TURNS);
    assert.equal(written.dropped, 2_000 - MAX_HISTORY_TURNS);
    const reloaded = new ChatHistory(store);
    assert.equal(reloaded.turns.length, MAX_HISTORY_TURNS);
    assert.equal(reloaded.dropped, 2_000 - MAX_HISTORY_TURNS);
  });

  it("a store holding 2,000 turns (written before the bounds) loads bounded, counting the rest as dropped", () => {
    const store = new MapStore();
    store.values.set(HISTORY_KEY, { version: 1, turns: Array.from({ length: 2_000 }, (_, i) => turn(String(i), i % 2 ? "assistant" : "user", "t", { end: "done" })) });
    const history = new ChatHistory(store);
    assert.equal(history.turns.length, MAX_HISTORY_TURNS);
    assert.equal(history.turns[0]?.role, "user");
    assert.equal(history.dropped, 2_000 - MAX_HISTORY_TURNS);
  });

  it("bounds by size too, never dropping the newest question and answer, nor an answer without its question", () => {
    const big = "x".repeat(MAX_HISTORY_CHARS / 4);
    const turns = [turn("q0", "user", big), turn("a0", "assistant", big), turn("q1", "user", big), turn("a1", "assistant", big), turn("q2", "user", "now"), turn("a2", "assistant", "")];
    assert.deepEqual(withinBounds(turns).map((t) => t.id), ["q1", "a1", "q2", "a2"]);
    const huge = [turn("old", "user", "x".repeat(MAX_HISTORY_CHARS / 2)), turn("big", "assistant", "y".repeat(MAX_HISTORY_CHARS))];
    assert.deepEqual(withinBounds(huge).map((t) => t.id), ["old", "big"]);
    const answerFirst = [turn("q0", "user", "y".repeat(MAX_HISTORY_CHARS - 100)), turn("a0", "assistant", "a"), turn("q1", "user", "q"), turn("a1", "assistant", "a")];
    assert.deepEqual(withinBounds(answerFirst).map((t) => t.id), ["q1", "a1"]);
  });
});
