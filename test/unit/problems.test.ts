import * as assert from "node:assert/strict";
import { explainLoadFailure, modelDisplayName } from "../../src/models/problems";
import { formatBytes } from "../../src/util/bytes";

describe("load failure explanations", () => {
  const file = "/models/my model.gguf";

  it("reads truncation from llama.cpp's log when the error says only 'Failed to load model'", () => {
    const problem = explainLoadFailure(file, new Error("Failed to load model"), [
      "llama_model_load: error loading model: tensor 'output.weight' data is not within the file bounds, model is corrupted or incomplete",
    ], "llama");
    assert.equal(problem.code, "truncated");
    assert.match(problem.message, /"\/models\/my model\.gguf" is incomplete/);
    assert.match(problem.detail!, /not within the file bounds/);
  });

  it("names an architecture llama.cpp does not know", () => {
    const problem = explainLoadFailure(file, new Error("Failed to load model"), [
      "llama_model_load: error loading model: error loading model architecture: unknown model architecture: 'slmfake'",
    ], "slmfake");
    assert.equal(problem.code, "unsupportedArchitecture");
    assert.match(problem.message, /uses the "slmfake" architecture, which this version of llama\.cpp cannot run/);
  });

  it("recognises memory exhaustion", () => {
    const problem = explainLoadFailure(file, new Error("InsufficientMemoryError: not enough memory"), [], "llama");
    assert.equal(problem.code, "tooLarge");
    assert.match(problem.message, /not enough free memory to load "\/models\/my model\.gguf"/);
  });

  it("quotes llama.cpp's first error line otherwise", () => {
    const problem = explainLoadFailure(file, new Error("Failed to load model"), ["info line", "llama_model_load: error loading model: something odd"], "llama");
    assert.equal(problem.code, "loadFailed");
    assert.match(problem.message, /Could not load the model file "\/models\/my model\.gguf"\. llama\.cpp says: llama_model_load: error loading model: something odd/);
  });

  it("formats sizes and names", () => {
    assert.equal(formatBytes(531 * 1024 * 1024), "531 MB");
    assert.equal(formatBytes(200 * 1024 ** 3), "200.0 GB");
    assert.equal(formatBytes(10), "1 KB");
    // Download progress keeps a decimal so small steps show.
    assert.equal(formatBytes(10, "progress"), "10 B");
    assert.equal(formatBytes(1536, "progress"), "1.5 KB");
    assert.equal(formatBytes(1.3 * 1024 * 1024, "progress"), "1.3 MB");
    assert.equal(formatBytes(2.5 * 1024 ** 3, "progress"), "2.50 GB");
    assert.equal(modelDisplayName("/m/qwen2.5-coder.gguf", undefined), "qwen2.5-coder");
    assert.equal(modelDisplayName("/m/x.gguf", "  Qwen2.5 Coder  "), "Qwen2.5 Coder");
  });
});
