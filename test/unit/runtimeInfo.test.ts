import * as assert from "node:assert/strict";
import MarkdownIt from "markdown-it";
import { runtimeReport } from "../../src/commands/runtimeInfo";

describe("runtime report", () => {
  it("lists model file, hash, backend, threads, context size and network: off", () => {
    const report = runtimeReport({
      state: { kind: "ready", modelPath: "/m/qwen.gguf", modelName: "Qwen", contextSize: 4096, threads: 4, gpu: "cpu", flashAttention: true, notices: [] },
      models: [
        {
          lanes: ["completion", "chat"],
          summary: { path: "/m/qwen.gguf", name: "Qwen", architecture: "qwen2", sizeBytes: 531 * 1024 ** 2, trainContextSize: 32768 },
          sha256: "a".repeat(64),
        },
      ],
      sha256: "no model file",
      allowNetwork: false,
      allowlistSize: 1,
    });
    for (const line of [
      "- Model file: `/m/qwen.gguf`",
      "- Model: `Qwen` (`qwen2`, 531 MB)",
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
    const report = runtimeReport({ state: { kind: "noModel", notices: [] }, models: [], sha256: "no model file", allowNetwork: true, allowlistSize: 0 });
    assert.match(report, /- Model file: none \(slm\.modelPath is empty\)\n/);
    assert.match(report, /- Model: not loaded\n/);
    assert.match(report, /- Allowed models: any/);
    assert.match(report, /- network: allowed/);
  });

  it("lists each model with the feature it serves when completion and chat run different files", () => {
    const summary = (name: string) => ({ path: `/m/${name}.gguf`, name, architecture: "qwen2", sizeBytes: 1024 ** 3 });
    const report = runtimeReport({
      state: { kind: "ready", notices: [], gpu: "cuda", gpuLayers: 28, backendNote: undefined, loraAdapters: [{ path: "/m/sql.gguf", scale: 0.5 }] },
      models: [
        { lanes: ["completion"], summary: summary("base"), sha256: "b".repeat(64) },
        { lanes: ["chat"], summary: summary("instruct"), sha256: "c".repeat(64) },
      ],
      sha256: "no model file",
      allowNetwork: false,
      allowlistSize: 0,
    });
    assert.match(report, /- Model file \(completion\): `\/m\/base\.gguf`\n/);
    assert.match(report, new RegExp(`- SHA-256 \\(chat\\): ${"c".repeat(64)}\n`));
    assert.match(report, /- Backend: cuda \(28 layers on the GPU\)\n/);
    assert.match(report, /- LoRA adapters: `\/m\/sql\.gguf` \(scale 0\.5\)\n/);
  });

  it("renders names, paths and messages from files as written: no link, image, HTML or extra list item (VS Code's preview renders it)", () => {
    const hostile = "![t](https://evil.example/t.png) <img src=x onerror=alert(1)> [a](https://evil.example) `x` **b**\n- State: fake";
    const report = runtimeReport({
      state: { kind: "error", modelPath: `/m/${hostile}.gguf`, error: { message: `Cannot load ${hostile}`, code: "notGguf" }, notices: [] },
      models: [
        { lanes: ["completion", "chat"], summary: { path: `/m/${hostile}.gguf`, name: hostile, architecture: hostile, sizeBytes: 1, trainContextSize: 1 }, sha256: "a".repeat(64) },
      ],
      sha256: "no model file",
      allowNetwork: false,
      allowlistSize: 0,
    });
    // VS Code's Markdown preview renders with markdown-it, HTML and linkify on.
    const html = new MarkdownIt({ html: true, linkify: true }).render(report);
    assert.doesNotMatch(html, /<img|<a |<strong|onerror=alert\(1\)>/i, html);
    assert.equal((html.match(/<li>/g) ?? []).length, report.split("\n").filter((line) => line.startsWith("- ")).length, "a value started a list item");
    assert.equal((html.match(/<li>State:/g) ?? []).length, 1, html);
    assert.ok(html.includes("https://evil.example/t.png"), "the text is still shown");
  });
});
