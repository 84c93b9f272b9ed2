import * as assert from "node:assert/strict";
import { countPhysicalCores, expandHome, fitContextToModel, resolveEngineSettings, type MachineFacts } from "../../src/engine/settings";
import type { RawEngineSettings } from "../../src/engine/types";

const machine: MachineFacts = { logicalCores: 4, physicalCores: 2, homeDir: "/home/ada" };
const raw: RawEngineSettings = { modelPath: "/m/model.gguf", threads: 0, contextSize: 4096, gpu: "auto", flashAttention: true };

describe("engine settings", () => {
  it("resolves automatic threads to the physical core count", () => {
    const { settings, notices } = resolveEngineSettings(raw, machine);
    assert.equal(settings.threads, 2);
    assert.deepEqual(notices, []);
  });

  it("expands ~ in the model path", () => {
    assert.equal(resolveEngineSettings({ ...raw, modelPath: "~/models/a b.gguf" }, machine).settings.modelPaths.completion, "/home/ada/models/a b.gguf");
    assert.equal(expandHome("~", "/h"), "/h");
    assert.equal(expandHome("/abs/~x", "/h"), "/abs/~x");
  });

  it("treats a blank path as no model", () => {
    assert.deepEqual(resolveEngineSettings({ ...raw, modelPath: "   " }, machine).settings.modelPaths, { completion: "", chat: "", nextEdit: "" });
  });

  it("refuses negative threads with a sentence and uses automatic", () => {
    const { settings, notices } = resolveEngineSettings({ ...raw, threads: -3 }, machine);
    assert.equal(settings.threads, 2);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /slm\.threads is -3; it must be 0 \(automatic\) or between 1 and 4/);
  });

  it("clamps threads above the core count and says why", () => {
    const { settings, notices } = resolveEngineSettings({ ...raw, threads: 64 }, machine);
    assert.equal(settings.threads, 4);
    assert.match(notices[0]!, /slm\.threads is 64, but this machine has 4 CPU threads.*Using 4/);
  });

  it("raises a context below 256 to 256 and says so", () => {
    const { settings, notices } = resolveEngineSettings({ ...raw, contextSize: 16 }, machine);
    assert.equal(settings.contextSize, 256);
    assert.match(notices[0]!, /slm\.contextSize is 16; the smallest useful context is 256 tokens/);
  });

  it("falls back to auto for an unknown gpu value", () => {
    const { settings, notices } = resolveEngineSettings({ ...raw, gpu: "quantum" }, machine);
    assert.equal(settings.gpu, "auto");
    assert.match(notices[0]!, /slm\.gpu is "quantum"/);
  });

  it("survives non-numeric values", () => {
    const { settings } = resolveEngineSettings({ ...raw, threads: Number.NaN, contextSize: Number.NaN }, machine);
    assert.equal(settings.threads, 2);
    assert.equal(settings.contextSize, 4096);
  });

  it("clamps the context to the model's training context, naming the file", () => {
    assert.deepEqual(fitContextToModel(2048, 4096, "/m/x.gguf"), { contextSize: 2048 });
    const fitted = fitContextToModel(65536, 32768, "/m/qwen.gguf");
    assert.equal(fitted.contextSize, 32768);
    assert.match(fitted.notice!, /slm\.contextSize is 65536, but qwen\.gguf was trained for at most 32768 tokens/);
    assert.deepEqual(fitContextToModel(65536, undefined, "/m/x.gguf"), { contextSize: 65536 });
  });

  it("counts physical cores from /proc/cpuinfo", () => {
    const block = (physical: number, core: number) => `processor\t: x\nphysical id\t: ${physical}\ncore id\t\t: ${core}\n`;
    assert.equal(countPhysicalCores([block(0, 0), block(0, 0), block(0, 1), block(0, 1)].join("\n")), 2);
    assert.equal(countPhysicalCores([block(0, 0), block(1, 0)].join("\n")), 2);
    assert.equal(countPhysicalCores("processor: 0\n"), undefined);
    assert.equal(countPhysicalCores(undefined), undefined);
  });

  it("gives each feature slm.modelPath unless its own model path is set", () => {
    assert.deepEqual(resolveEngineSettings(raw, machine).settings.modelPaths, { completion: "/m/model.gguf", chat: "/m/model.gguf", nextEdit: "" });
    assert.deepEqual(
      resolveEngineSettings({ ...raw, completionModelPath: " ~/base.gguf ", chatModelPath: "" }, machine).settings.modelPaths,
      { completion: "/home/ada/base.gguf", chat: "/m/model.gguf", nextEdit: "" },
    );
    assert.deepEqual(
      resolveEngineSettings({ ...raw, modelPath: "", chatModelPath: "/m/instruct.gguf" }, machine).settings.modelPaths,
      { completion: "", chat: "/m/instruct.gguf", nextEdit: "" },
    );
  });

  it("gives next edits only their own model path: off until one is chosen", () => {
    assert.equal(resolveEngineSettings({ ...raw, modelPath: "/m/model.gguf" }, machine).settings.modelPaths.nextEdit, "");
    const chosen = resolveEngineSettings({ ...raw, nextEditModelPath: " ~/sweep.gguf " }, machine).settings;
    assert.equal(chosen.modelPaths.nextEdit, "/home/ada/sweep.gguf");
    // On unless switched off: bench:nextedit measured it 1.7x faster on the CPU (with the patched node-llama-cpp).
    assert.equal(chosen.nextEditPromptLookup, true);
    assert.equal(resolveEngineSettings({ ...raw, nextEditPromptLookup: false }, machine).settings.nextEditPromptLookup, false);
  });

  it("reads slm.gpuLayers as auto or a whole number and corrects anything else", () => {
    assert.equal(resolveEngineSettings(raw, machine).settings.gpuLayers, "auto");
    assert.equal(resolveEngineSettings({ ...raw, gpuLayers: 12 }, machine).settings.gpuLayers, 12);
    assert.equal(resolveEngineSettings({ ...raw, gpuLayers: "8" }, machine).settings.gpuLayers, 8);
    for (const bad of [-1, 2.5, "lots", {}]) {
      const { settings, notices } = resolveEngineSettings({ ...raw, gpuLayers: bad }, machine);
      assert.equal(settings.gpuLayers, "auto");
      assert.match(notices[0]!, /slm\.gpuLayers is .*expected "auto" or a whole number/);
    }
  });

  it("reads slm.loraAdapters, expanding ~, defaulting the scale to 1 and skipping bad entries with a notice", () => {
    const { settings, notices } = resolveEngineSettings(
      { ...raw, loraAdapters: [{ path: "~/a.gguf" }, { path: "/b.gguf", scale: 0.5 }, { scale: 1 }, { path: "/c.gguf", scale: 99 }, "/d.gguf"] },
      machine,
    );
    assert.deepEqual(settings.loraAdapters, [
      { path: "/home/ada/a.gguf", scale: 1 },
      { path: "/b.gguf", scale: 0.5 },
      { path: "/c.gguf", scale: 1 },
      { path: "/d.gguf", scale: 1 },
    ]);
    assert.equal(notices.length, 2);
    assert.match(notices[0]!, /without a "path"/);
    assert.match(notices[1]!, /scale of c\.gguf is 99; it must be a number from 0 to 4/);
    assert.match(resolveEngineSettings({ ...raw, loraAdapters: "x" }, machine).notices[0]!, /must be a list/);
  });
});
