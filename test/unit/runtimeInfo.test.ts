import * as assert from "node:assert/strict";
import { runtimeReport } from "../../src/commands/runtimeInfo";

describe("runtime report", () => {
  it("lists model file, hash, backend, threads, context size and network: off", () => {
    const report = runtimeReport({
      state: { kind: "ready", modelPath: "/m/qwen.gguf", modelName: "Qwen", contextSize: 4096, threads: 4, gpu: "cpu", flashAttention: true, notices: [] },
      summary: { path: "/m/qwen.gguf", name: "Qwen", architecture: "qwen2", sizeBytes: 531 * 1024 ** 2, trainContextSize: 32768 },
      sha256: "a".repeat(64),
      allowNetwork: false,
      allowlistSize: 1,
    });
    for (const line of [
      "- Model file: /m/qwen.gguf",
      "- Model: Qwen (qwen2, 531 MB)",
      `- SHA-256: ${"a".repeat(64)}`,
      "- Backend: cpu",
      "- Threads: 4",
      "- Context size: 4096 tokens per lane",
      "- Allowed models: 1 hash(es) in slm.allowedModelHashes",
      "- network: off",
    ]) {
      assert.ok(report.includes(`${line}\n`), `${line}\n${report}`);
    }
  });

  it("says what is missing when no model is set, and when the network is allowed", () => {
    const report = runtimeReport({ state: { kind: "noModel", notices: [] }, sha256: "no model file", allowNetwork: true, allowlistSize: 0 });
    assert.match(report, /- Model file: none \(slm\.modelPath is empty\)\n/);
    assert.match(report, /- Model: not loaded\n/);
    assert.match(report, /- Allowed models: any/);
    assert.match(report, /- network: allowed/);
  });
});
