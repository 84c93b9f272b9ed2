// Issue 5's engine side on real node-llama-cpp and generated models: separate completion and
// chat models (one load when they are the same file), the fit check and its offer of a smaller
// context, the backend fallback, LoRA adapters (good and bad), headers that lie, and two
// engines loading the same file at once.
import * as assert from "node:assert/strict";
import * as os from "node:os";
import { EngineUnavailableError, type Engine } from "../../src/engine/api";
import { LocalEngine } from "../../src/engine/local/localEngine";
import { getSharedLlama, importLlamaModule } from "../../src/engine/local/llamaRuntime";
import type { MachineFacts } from "../../src/engine/settings";
import type { RawEngineSettings } from "../../src/engine/types";
import { familyModel, foreignLoraAdapter, lyingHeaderModel, nonGgufFile, scriptedModel, tinyLoraAdapter, tinyModel } from "../support/models";
import { createTestEngine, generate, HOSTS, infill, type HostKind } from "./hosts";

const machine: MachineFacts = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

function settings(modelPath: string, overrides: Partial<RawEngineSettings> = {}): RawEngineSettings {
  return { modelPath, threads: 1, contextSize: 512, gpu: "off", flashAttention: true, ...overrides };
}

function createEngine(host: HostKind, logs: string[] = []): Engine {
  return createTestEngine(host, { machine, log: (level, message) => logs.push(`${level}: ${message}`) });
}

/** In-process only, for tests that inject what the engine reads from the machine (free memory). */
function createLocalEngine(extra: Partial<ConstructorParameters<typeof LocalEngine>[0]> = {}): LocalEngine {
  return new LocalEngine({ machine, log: () => undefined, ...extra });
}

const loads = (logs: readonly string[]) => logs.filter((line) => line.startsWith("info: Loaded "));

for (const host of HOSTS) describe(`model setup (${host})`, function () {
  // One engine for the tests that do not need a fresh one, each configuring it anew: starting a
  // process engine (a fork, and node-llama-cpp's check of its binary in another) costs seconds, a
  // configure milliseconds.
  let reused: Engine | undefined;
  const reusedLogs: string[] = [];
  const reusable = (): Engine => (reused ??= createEngine(host, reusedLogs));
  after(() => reused?.dispose());

  describe("separate completion and chat models", function () {
    this.timeout(120_000);
    let tiny: string;
    let chatModel: string;
    before(async () => {
      tiny = await tinyModel();
      chatModel = await scriptedModel("Hello from the chat model.", { mode: "chat" });
    });

    it("loads the file once when both features use it, with one sequence each", async () => {
      // A fresh engine: the count of loads starts from nothing.
      const logs: string[] = [];
      const engine = createEngine(host, logs);
      try {
        await engine.configure(settings(tiny, { completionModelPath: tiny, chatModelPath: "" }));
        assert.equal(engine.state.kind, "ready");
        assert.equal(loads(logs).length, 1, loads(logs).join("\n"));
        assert.deepEqual(engine.state.models?.map((model) => model.lanes), [["completion", "chat"]]);
        assert.equal(engine.state.lanes?.completion?.path, tiny);
        assert.equal(engine.state.lanes?.chat?.path, tiny);
      } finally {
        await engine.dispose();
      }
    });

    it("runs each feature on its own model, and a change to one leaves the other loaded", async () => {
      const logs = reusedLogs;
      logs.length = 0;
      const engine = reusable();
      await engine.configure(settings(tiny, { chatModelPath: chatModel }));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.deepEqual(engine.state.models?.map((model) => [model.lanes, model.summary.path]), [[["completion"], tiny], [["chat"], chatModel]]);
      assert.match(engine.state.modelName!, / \+ /);
      const chat = await generate(engine, "chat", "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", { maxTokens: 40 });
      assert.equal(chat.text.trim(), "Hello from the chat model.");
      assert.ok((await infill(engine, "def add(a, b):\n    return ", "\n", 3)).generatedTokens > 0);

      logs.length = 0;
      await engine.configure(settings(tiny, { chatModelPath: "" }));
      assert.equal(engine.state.kind, "ready");
      assert.equal(loads(logs).length, 0, `the completion model was not loaded again: ${loads(logs).join("\n")}`);
      assert.deepEqual(engine.state.models?.map((model) => model.lanes), [["completion", "chat"]]);
    });

    it("a feature with no model says so, and the other feature still works", async () => {
      const engine = reusable();
      await engine.configure(settings("", { completionModelPath: tiny }));
      assert.equal(engine.state.kind, "ready");
      assert.equal(engine.state.lanes?.chat, undefined);
      await assert.rejects(generate(engine, "chat", "hi", { maxTokens: 1 }), (error: Error) => {
        assert.ok(error instanceof EngineUnavailableError);
        assert.match(error.message, /No model is set for chat\. Set slm\.chat\.modelPath or slm\.modelPath/);
        return true;
      });
      assert.ok((await generate(engine, "completion", "x", { maxTokens: 2 })).generatedTokens > 0);
    });

    it("a broken chat model: chat says why, naming that file, and completion keeps working", async () => {
      const broken = await nonGgufFile();
      const engine = reusable();
      await engine.configure(settings(tiny, { chatModelPath: broken }));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.equal(engine.state.lanes?.completion?.path, tiny);
      assert.equal(engine.state.lanes?.chat, undefined);
      assert.equal(engine.state.laneErrors?.chat?.code, "notGguf");
      assert.ok(engine.state.laneErrors.chat.message.includes(broken));
      await assert.rejects(generate(engine, "chat", "hi", { maxTokens: 1 }), (error: Error) => error instanceof EngineUnavailableError && /not a GGUF model file/.test(error.message));
      assert.ok((await generate(engine, "completion", "x", { maxTokens: 2 })).generatedTokens > 0);

      // Fixing the chat model loads it without reloading the completion model.
      await engine.configure(settings(tiny, { chatModelPath: chatModel }));
      const fixed = engine.state;
      assert.equal(fixed.kind, "ready");
      assert.equal(fixed.laneErrors, undefined);
      assert.equal(fixed.lanes?.chat?.path, chatModel);
    });

    it("when both features' models fail, the engine is in error naming the first file", async () => {
      const broken = await nonGgufFile();
      const engine = reusable();
      await engine.configure(settings(broken, { chatModelPath: await lyingHeaderModel() }));
      assert.equal(engine.state.kind, "error");
      assert.equal(engine.state.modelPath, broken);
      assert.match(engine.state.error!.message, /not a GGUF model file/);
    });
  });

  describe("models that do not suit their feature", function () {
    this.timeout(120_000);

    it("warns when the chat model is a base model (completion's fit is the completion pipeline's to judge)", async () => {
      const tinyLlamaChat = await familyModel("llama"); // TinyLlama-1.1B-Chat: no FIM tokens
      const graniteBase = await familyModel("granite"); // Granite-3.3-2B-Base
      const engine = reusable();
      await engine.configure(settings(tinyLlamaChat, { chatModelPath: graniteBase }));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.deepEqual(engine.state.notices, [
        "Granite-3.3-2B-Base (random weights) looks like a base model; it continues text rather than answering questions. Choose an instruct model for slm.chat.modelPath (e.g. Qwen2.5-Coder 1.5B Instruct).",
      ]);
    });

    it("a code model with FIM for completion and a chat model with a chat template get no warning", async () => {
      const engine = reusable();
      await engine.configure(settings(await tinyModel(), { chatModelPath: await scriptedModel("Hello from the chat model.", { mode: "chat" }) }));
      assert.deepEqual(engine.state.notices, []);
    });
  });

  describe("backend", function () {
    this.timeout(120_000);

    it("shows the backend in use, and an explicit GPU backend this machine lacks falls back to the CPU with a note", async function () {
      const llama = await getSharedLlama("auto");
      if (llama.gpu !== false) this.skip(); // this machine has a GPU backend: nothing falls back
      const engine = reusable();
      await engine.configure(settings(await tinyModel(), { gpu: "auto", gpuLayers: 8 }));
      assert.equal(engine.state.kind, "ready");
      assert.equal(engine.state.gpu, "cpu");
      assert.equal(engine.state.gpuLayers, 0);
      assert.match(engine.state.backendNote!, /No GPU backend \(CUDA, Vulkan or Metal\) is available on this machine; running on the CPU/);

      await engine.configure(settings(await tinyModel(), { gpu: "cuda" }));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.equal(engine.state.gpu, "cpu");
      assert.ok(engine.state.notices.some((notice) => /slm\.gpu is "cuda", but CUDA is not available on this machine.*running on the CPU/.test(notice)), engine.state.notices.join("\n"));
    });
  });

  describe("LoRA adapters", function () {
    this.timeout(120_000);
    let tiny: string;
    before(async () => {
      tiny = await tinyModel();
    });

    it("applies an adapter made for the model, and its scale changes what the model writes", async () => {
      const adapter = await tinyLoraAdapter();
      const logs = reusedLogs;
      logs.length = 0;
      const engine = reusable();
      const prompt = "function add(a, b) {";
      await engine.configure(settings(tiny));
      const plain = await generate(engine, "completion", prompt, { maxTokens: 12 });
      await engine.configure(settings(tiny, { loraAdapters: [{ path: adapter, scale: 4 }] }));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.deepEqual(engine.state.loraAdapters, [{ path: adapter, scale: 4 }]);
      assert.ok(logs.some((line) => line.includes(`LoRA ${adapter} ×4`)), logs.join("\n"));
      const adapted = await generate(engine, "completion", prompt, { maxTokens: 12 });
      assert.notEqual(adapted.text, plain.text, "the adapter changed the output");
    });

    async function expectAdapterProblem(adapterPath: string, message: RegExp): Promise<void> {
      const engine = reusable();
      await engine.configure(settings(tiny, { loraAdapters: [{ path: adapterPath }] }));
      assert.equal(engine.state.kind, "error");
      assert.equal(engine.state.error?.code, "badAdapter", engine.state.error?.message);
      assert.match(engine.state.error.message, message);
      // Removing the adapter recovers without a restart.
      await engine.configure(settings(tiny));
      assert.equal(engine.state.kind, "ready");
    }

    it("an adapter for another model of the same architecture (wrong shapes): llama.cpp's reason, in a sentence", async () => {
      const adapter = await foreignLoraAdapter("shape");
      await expectAdapterProblem(adapter, /The LoRA adapter ".*" does not fit SLM demo model \(random weights\): it was made for a different model/);
    });

    it("an adapter for another architecture is refused before llama.cpp sees it", async () => {
      await expectAdapterProblem(await foreignLoraAdapter("architecture"), /was made for a qwen2 model, but .* is llama/);
    });

    it("a model file given as an adapter, a missing adapter and a non-GGUF adapter", async () => {
      await expectAdapterProblem(tiny, /is not a LoRA adapter \(its header says "model"\)/);
      await expectAdapterProblem("/nonexistent/adapter.gguf", /cannot be used: The file "\/nonexistent\/adapter\.gguf" does not exist/);
      await expectAdapterProblem(await nonGgufFile(), /cannot be used: .* is not a GGUF model file/);
    });
  });

  describe("more bad input", function () {
    this.timeout(120_000);

    it("a GGUF whose header lies about its size (2^40 tensors) is refused quickly with a clear message", async () => {
      const file = await lyingHeaderModel();
      const engine = reusable();
      const started = Date.now();
      await engine.configure(settings(file));
      assert.ok(Date.now() - started < 10_000);
      assert.equal(engine.state.kind, "error");
      assert.match(engine.state.error!.message, /is damaged: its header is invalid \(a count of 1099511627776\)/);
      assert.ok(engine.state.error!.message.includes(file));
    });

    it("two engines (as two windows would) load the same model at once and both answer", async () => {
      const tiny = await tinyModel();
      const first = createEngine(host);
      const second = createEngine(host);
      try {
        await Promise.all([first.configure(settings(tiny)), second.configure(settings(tiny))]);
        assert.equal(first.state.kind, "ready");
        assert.equal(second.state.kind, "ready");
        const [a, b] = await Promise.all([
          generate(first, "completion", "x = ", { maxTokens: 4 }),
          generate(second, "completion", "x = ", { maxTokens: 4 }),
        ]);
        assert.equal(a.text, b.text, "same model, same greedy output");
        await first.dispose();
        assert.ok((await generate(second, "chat", "y", { maxTokens: 2 })).generatedTokens > 0, "disposing one leaves the other working");
      } finally {
        await first.dispose();
        await second.dispose();
      }
    });
  });
});

// In-process only: fakes the free memory (freeMemory), which the engine process reads for itself.
describe("fit check before loading (in-process LocalEngine)", function () {
  this.timeout(120_000);

  /** What node-llama-cpp estimates for the tiny model on the CPU with a context of `contextSize` for both lanes. */
  async function tinyNeeds(file: string, contextSize: number): Promise<number> {
    const module = await importLlamaModule();
    const insights = await module.GgufInsights.from(await module.readGgufFileInfo(file), await getSharedLlama(false));
    const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
    const context = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: 0, sequences: 2 });
    return model.cpuRam + context.cpuRam;
  }

  it("refuses a context that would not fit, names the largest that does, and that one loads", async () => {
    const tiny = await tinyModel();
    const free = (await tinyNeeds(tiny, 1024)) + 1;
    const engine = createLocalEngine({ freeMemory: () => free });
    try {
      await engine.configure(settings(tiny, { contextSize: 4096 }));
      assert.equal(engine.state.kind, "error");
      const error = engine.state.error!;
      assert.equal(error.code, "tooLarge");
      assert.ok(error.suggestedContextSize! >= 1024 && error.suggestedContextSize! < 4096, String(error.suggestedContextSize));
      assert.equal(error.suggestedContextSize! % 256, 0);
      assert.match(error.message, new RegExp(`with a 4096-token context, but only .* is free\\. A ${error.suggestedContextSize}-token context would fit: lower slm\\.contextSize to ${error.suggestedContextSize}`));

      await engine.configure(settings(tiny, { contextSize: error.suggestedContextSize! }));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
    } finally {
      await engine.dispose();
    }
  });

  it("offers no smaller context when the weights alone do not fit", async () => {
    const engine = createLocalEngine({ freeMemory: () => 1024 });
    try {
      await engine.configure(settings(await tinyModel()));
      assert.equal(engine.state.error?.code, "tooLarge");
      assert.equal(engine.state.error?.suggestedContextSize, undefined);
      assert.match(engine.state.error.message, /Choose a smaller model or quantization/);
    } finally {
      await engine.dispose();
    }
  });
});
