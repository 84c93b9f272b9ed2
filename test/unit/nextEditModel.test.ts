import * as assert from "node:assert/strict";
import { isNextEditModelName, nextEditFit } from "../../src/models/nextEditModel";
import { resolveNextEditSettings } from "../../src/nextEdit/settings";

describe("next edit: model facts and settings", () => {
  it("knows Sweep Next-Edit by name, and needs the <|file_sep|> token", () => {
    assert.equal(isNextEditModelName("Sweep Next Edit 1.5B", "/m/x.gguf"), true);
    assert.equal(isNextEditModelName("Qwen2.5 Coder 1.5B", "/m/sweep-next-edit-0.5b.q8_0.gguf"), true);
    assert.equal(isNextEditModelName("Qwen2.5 Coder 1.5B", "/m/qwen2.5-coder-1.5b-q8_0.gguf"), false);
    assert.deepEqual(nextEditFit({ name: "sweep-next-edit-1.5B", file: "/m/s.gguf", fileSeparator: true, fim: true }), { kind: "nextEdit" });
  });

  it("warns when a plain fill-in-the-middle model is chosen for next edits, and refuses one without <|file_sep|>", () => {
    const fim = nextEditFit({ name: "Qwen2.5 Coder 0.5B", file: "/m/qwen.gguf", fileSeparator: true, fim: true });
    assert.equal(fim.kind, "warning");
    assert.match((fim as { message: string }).message, /Qwen2\.5 Coder 0\.5B is a fill-in-the-middle completion model, not trained to predict edits.*Sweep Next-Edit 0\.5B or 1\.5B/);
    const llama = nextEditFit({ name: "TinyLlama", file: "/m/t.gguf", fileSeparator: false, fim: false });
    assert.equal(llama.kind, "unusable");
    assert.match((llama as { message: string }).message, /has no <\|file_sep\|> token/);
  });

  it("reads the settings with defaults and clamps", () => {
    assert.deepEqual(resolveNextEditSettings({}), { enabled: true, pauseMs: 600, maxTokens: 768, maxTimeMs: 15_000 });
    assert.deepEqual(resolveNextEditSettings({ enabled: false, pauseMs: 5, maxTimeMs: 1e9 }), { enabled: false, pauseMs: 100, maxTokens: 768, maxTimeMs: 60_000 });
  });
});
