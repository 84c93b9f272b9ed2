import * as assert from "node:assert/strict";
import { BROWSE_LABEL, modelPicks } from "../../src/commands/modelPicks";
import type { ModelInfo } from "../../src/models/modelInfo";

const model = (overrides: Partial<ModelInfo>): ModelInfo => ({
  path: "/models/qwen.gguf",
  fileName: "qwen.gguf",
  sizeBytes: 531 * 1024 ** 2,
  name: "Qwen2.5-Coder-0.5B",
  architecture: "qwen2",
  sizeLabel: "0.5B",
  parameterCount: 494_032_768,
  quantization: "Q8_0",
  trainContextSize: 32768,
  fim: true,
  chatTemplate: true,
  cutShort: false,
  ...overrides,
});

describe("model picker rows", () => {
  it("lists each model with its header facts, marks the one in use, and ends with Browse…", () => {
    const picks = modelPicks(
      { models: [model({}), model({ path: "/models/sub/phi.gguf", fileName: "phi.gguf", name: "Phi-2", architecture: "phi2", sizeLabel: undefined, parameterCount: 2_779_683_840, sizeBytes: 2.6 * 1024 ** 3, quantization: "Q4_K_M", trainContextSize: 2048, fim: false, chatTemplate: false })], problems: [], skippedFolders: 0, limited: false },
      "/models",
      "/models/qwen.gguf",
    );
    assert.deepEqual(picks.map((p) => p.label), ["$(check) Qwen2.5-Coder-0.5B", "Phi-2", BROWSE_LABEL]);
    assert.equal(picks[0]!.description, "qwen.gguf");
    assert.equal(picks[0]!.detail, "qwen2 · 0.5B params · Q8_0 · 531 MB · 32,768-token context · FIM · chat");
    assert.equal(picks[1]!.description, "sub/phi.gguf");
    assert.equal(picks[1]!.detail, "phi2 · 2.78B params · Q4_K_M · 2.6 GB · 2,048-token context · no FIM · no chat template");
    assert.deepEqual(picks[1]!.action, { kind: "use", path: "/models/sub/phi.gguf" });
    assert.deepEqual(picks[2]!.action, { kind: "browse" });
  });

  it("shows broken files with their reason, cut-short files with a warning, and says when the list is partial", () => {
    const picks = modelPicks(
      { models: [model({ cutShort: true })], problems: [{ path: "/models/bad.gguf", message: "\"/models/bad.gguf\" is not a GGUF model file." }], skippedFolders: 1, limited: true },
      "/models",
      "",
    );
    assert.match(picks[0]!.detail!, /^\$\(warning\) Cut short/);
    assert.equal(picks[1]!.label, "$(error) bad.gguf");
    assert.equal(picks[1]!.detail, "This file is not a GGUF model file.", "the row names the file; its reason does not repeat the path");
    assert.deepEqual(picks[1]!.action, { kind: "none" });
    assert.match(picks[2]!.detail!, /too many files/);
    assert.equal(picks.at(-1)!.label, BROWSE_LABEL);
  });

  it("says why nothing is listed: a missing folder, or no .gguf files", () => {
    const missing = modelPicks({ models: [], problems: [], skippedFolders: 0, limited: false, rootProblem: 'The models folder "/nope" does not exist.' }, "/nope", "");
    assert.match(missing[0]!.detail!, /does not exist\. Check slm\.modelsDirectory\./);
    const empty = modelPicks({ models: [], problems: [], skippedFolders: 0, limited: false }, "/empty", "");
    assert.equal(empty[0]!.label, "$(info) No .gguf files found");
    assert.deepEqual(empty.map((p) => p.action.kind), ["none", "browse"]);
  });
});
