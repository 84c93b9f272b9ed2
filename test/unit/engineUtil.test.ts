import * as assert from "node:assert/strict";
import { raceAbort } from "../../src/engine/local/lanes";
import { Emitter } from "../../src/engine/events";
import { LogBuffer } from "../../src/engine/logBuffer";
import { statusText } from "../../src/ui/statusText";

describe("engine utilities", () => {
  it("raceAbort settles with the fallback as soon as the signal aborts", async () => {
    const controller = new AbortController();
    const never = new Promise<string>(() => undefined);
    const started = Date.now();
    setTimeout(() => controller.abort(), 5);
    assert.equal(await raceAbort(never, controller.signal, () => "partial"), "partial");
    assert.ok(Date.now() - started < 50);
  });

  it("raceAbort passes the work's result through when not aborted", async () => {
    assert.equal(await raceAbort(Promise.resolve("done"), new AbortController().signal, () => "partial"), "done");
    await assert.rejects(raceAbort(Promise.reject(new Error("boom")), undefined, () => "x"), /boom/);
  });

  it("LogBuffer returns the lines written since a mark, split by line", () => {
    const log = new LogBuffer(3);
    log.push("a\nb");
    const mark = log.mark();
    log.push("c\n\nd\n");
    assert.deepEqual(log.since(mark), ["c", "d"]);
    log.push("e");
    log.push("f");
    assert.deepEqual(log.since(mark), ["d", "e", "f"]);
  });

  it("Emitter keeps calling listeners when one throws, and unsubscribes", () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    emitter.event(() => {
      throw new Error("bad listener");
    });
    const sub = emitter.event((n) => seen.push(n));
    emitter.fire(1);
    sub.dispose();
    emitter.fire(2);
    assert.deepEqual(seen, [1]);
  });

  it("status text covers every state", () => {
    assert.equal(statusText({ kind: "noModel", notices: [] }).text, "$(circle-slash) SLM: choose a model");
    assert.equal(statusText({ kind: "loading", progress: 0.4, notices: [] }).text, "$(loading~spin) SLM: loading 40%");
    assert.equal(statusText({ kind: "ready", modelName: "Qwen2.5 Coder 0.5B", notices: [] }).text, "$(check) SLM · Qwen2.5 Coder 0.5B");
    assert.equal(statusText({ kind: "ready", modelName: "x".repeat(40), notices: [] }).text, `$(check) SLM · ${"x".repeat(31)}…`);
    assert.equal(statusText({ kind: "busy", notices: [] }).text, "$(sync) SLM · busy");
    assert.equal(statusText({ kind: "busy", modelName: "Qwen", notices: [] }).text, "$(sync) SLM · Qwen");
    assert.equal(statusText({ kind: "ready", modelName: "Qwen", gpu: "cpu", notices: [] }).text, "$(check) SLM · Qwen · CPU");
    const partly = statusText({ kind: "ready", modelName: "Qwen", gpu: "cpu", laneErrors: { chat: { message: "x", code: "notGguf" } }, notices: [] });
    assert.deepEqual(partly, { text: "$(warning) SLM · Qwen · CPU", background: "statusBarItem.warningBackground" });
    const lanes = { completion: { path: "/m/a.gguf", name: "Qwen2.5 Coder 1.5B" }, chat: { path: "/m/b.gguf", name: "Qwen2.5 Coder 1.5B Instruct" } };
    assert.equal(statusText({ kind: "ready", modelName: "x + y", lanes, gpu: "cpu", notices: [] }).text, "$(check) SLM · Qwen2.5 Coder 1.5B + Qwen2.5 Coder 1.5B Inst… · CPU");
    assert.equal(statusText({ kind: "busy", modelName: "Qwen", gpu: "cuda", notices: [] }).text, "$(sync) SLM · Qwen · CUDA");
    assert.equal(statusText({ kind: "error", notices: [] }).background, "statusBarItem.errorBackground");
    assert.equal(statusText({ kind: "unloaded", modelName: "Qwen", notices: [] }).text, "$(debug-pause) SLM: idle, unloaded");
    // The demo model: "SLM · demo model (random weights) · CPU", not "SLM: SLM demo model…".
    assert.equal(statusText({ kind: "ready", modelName: "SLM demo model (random weights)", gpu: "cpu", notices: [] }).text, "$(check) SLM · demo model (random weights) · CPU");
    assert.equal(statusText({ kind: "ready", modelName: "SLM", notices: [] }).text, "$(check) SLM · SLM", "a name that is only the prefix stays");
    assert.equal(statusText({ kind: "ready", modelName: "SLMx Coder", notices: [] }).text, "$(check) SLM · SLMx Coder");
  });
});
