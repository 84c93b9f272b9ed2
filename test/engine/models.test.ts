import * as assert from "node:assert/strict";
import { statSync } from "node:fs";
import { totalmem } from "node:os";
import type { Llama, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { getSharedLlama, onLlamaLog, type LlamaModule } from "../../src/engine/local/llamaRuntime";
import {
  emptyFile,
  nonGgufFile,
  oversizedModel,
  qwen25Coder05BShape,
  scriptedModel,
  tinyModel,
  tinyModelAtTrickyPath,
  truncatedModel,
  unknownArchModel,
} from "../support/models";

type NodeLlamaCpp = LlamaModule;

/** Texts that have broken completion pipelines before: hostile HTML, split UTF-8, RTL, repeats. */
const TRICKY_TEXTS: readonly string[] = [
  "<script>alert(1)</script>",
  "emoji 👩🏽‍💻 and 🌍, accents é ü ñ, CJK 漢字",
  "שלום עולם — مرحبا بالعالم",
  "def f(x):\n    if x:\n        return 1\n    if x:\n        return 1\n\n\treturn 0\n",
  "}\n}\n}\n",
];

describe("generated models in real node-llama-cpp", function () {
  this.timeout(180_000);
  let nlc: NodeLlamaCpp;
  let llama: Llama;
  const logs: string[] = [];
  let logSubscription: { dispose(): void } | undefined;

  before(async () => {
    nlc = await import("node-llama-cpp");
    // llama.cpp's log callback is process-wide: a second Llama in this process (the engine tests
    // run before this file) would leave this one's logger silent. Share the engine's instance and
    // listen to its log instead; it stays alive for the later test files.
    llama = await getSharedLlama(false);
    logSubscription = onLlamaLog((_level, message) => logs.push(message));
  });
  after(() => logSubscription?.dispose());

  describe("tinyModel", () => {
    let model: LlamaModel;
    before(async () => {
      model = await llama.loadModel({ modelPath: await tinyModel() });
    });
    after(() => model?.dispose());

    it("carries the demo name, a 4096 context and Qwen's FIM, end and ChatML tokens", () => {
      assert.equal(model.fileInfo.metadata.general.name, "SLM demo model (random weights)");
      assert.equal(model.trainContextSize, 4096);
      assert.equal(model.tokens.eos, model.tokenize("<|endoftext|>", true)[0]);
      assert.equal(model.tokens.eot, model.tokens.eos);
      assert.equal(model.tokens.infill.prefix, model.tokenize("<|fim_prefix|>", true)[0]);
      assert.equal(model.tokens.infill.suffix, model.tokenize("<|fim_suffix|>", true)[0]);
      assert.equal(model.tokens.infill.middle, model.tokenize("<|fim_middle|>", true)[0]);
      for (const special of ["<|im_start|>", "<|im_end|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]) {
        assert.equal(model.tokenize(special, true).length, 1, special);
      }
    });

    it("tokenizes any text and special tokens, and detokenizes it back exactly", () => {
      const text = `<|fim_prefix|>${TRICKY_TEXTS.join("\n")}<|fim_suffix|>\u0000\u{10FFFF}`;
      const tokens = model.tokenize(text, true);
      assert.equal(tokens[0], model.tokens.infill.prefix);
      assert.equal(model.detokenize(tokens, true), text);
      // Without special parsing the same markers are plain text, several tokens long.
      assert.ok(model.tokenize("<|fim_prefix|>", false).length > 1);
    });

    it("generates exactly the number of tokens asked for", async () => {
      const context = await model.createContext({ threads: 1, contextSize: 512 });
      try {
        const sequence = context.getSequence();
        const generated: Token[] = [];
        for await (const token of sequence.evaluate(model.tokenize("def hello():"), { temperature: 0 })) {
          generated.push(token);
          if (generated.length === 12) {
            break;
          }
        }
        assert.equal(generated.length, 12);
        assert.ok(generated.every((token) => token >= 0 && token < model.tokens.eos! + 9), "within the vocabulary");
      } finally {
        await context.dispose();
      }
    });

    it("supports infill and chat with its own template", async () => {
      const context = await model.createContext({ threads: 1, contextSize: 1024, sequences: 2 });
      try {
        const completion = new nlc.LlamaCompletion({ contextSequence: context.getSequence() });
        assert.equal(completion.infillSupported, true);
        const middle = await completion.generateInfillCompletionWithMeta("function add(a, b) {\n", "\n}\n", { maxTokens: 6 });
        assert.ok(["maxTokens", "eogToken", "stopGenerationTrigger"].includes(middle.metadata.stopReason));

        const session = new nlc.LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: "Be brief." });
        assert.ok(session.chatWrapper.wrapperName.length > 0);
        assert.notEqual(session.chatWrapper.wrapperName, "Llama2Chat", "the template, not the [INST] fallback, wraps chats");
        const reply = await session.promptWithMeta("Hi", { maxTokens: 6 });
        assert.equal(typeof reply.responseText, "string");
      } finally {
        await context.dispose();
      }
    });

    it("loads from a path with spaces and non-ASCII characters", async () => {
      const path = await tinyModelAtTrickyPath();
      assert.match(path, / .*[\u0080-\uffff]/, "a space, then a character beyond ASCII");
      const copy = await llama.loadModel({ modelPath: path });
      assert.equal(copy.fileInfo.metadata.general.name, "SLM demo model (random weights)");
      await copy.dispose();
    });
  });

  describe("scriptedModel emits exactly its text", () => {
    for (const text of TRICKY_TEXTS) {
      it(`through completion, infill and chat: ${JSON.stringify(text).slice(0, 40)}`, async () => {
        const completionModel = await llama.loadModel({ modelPath: await scriptedModel(text) });
        const chatModel = await llama.loadModel({ modelPath: await scriptedModel(text, { mode: "chat" }) });
        try {
          const maxTokens = Buffer.byteLength(text) + 8;
          const context = await completionModel.createContext({ threads: 1, contextSize: 1024 });
          const completion = new nlc.LlamaCompletion({ contextSequence: context.getSequence() });
          const plain = await completion.generateCompletionWithMeta("any prompt at all", { maxTokens });
          assert.equal(plain.response, text);
          assert.equal(plain.metadata.stopReason, "eogToken");
          assert.equal(await completion.generateInfillCompletion("const a = 1;\n", "\nexport {};\n", { maxTokens }), text);
          await context.dispose();

          const chatContext = await chatModel.createContext({ threads: 1, contextSize: 1024 });
          const session = new nlc.LlamaChatSession({ contextSequence: chatContext.getSequence(), systemPrompt: "You are a test." });
          assert.equal(await session.prompt("Say your line.", { maxTokens }), text);
          await chatContext.dispose();
        } finally {
          await completionModel.dispose();
          await chatModel.dispose();
        }
      });
    }

    it("beyond 256 bytes (random codes instead of Hadamard rows): 60 repeated indented lines", async () => {
      const text = "    if (x) {\n        return 1;\n    }\n".repeat(60);
      const model = await llama.loadModel({ modelPath: await scriptedModel(text) });
      const context = await model.createContext({ threads: 1, contextSize: 4096 });
      try {
        const completion = new nlc.LlamaCompletion({ contextSequence: context.getSequence() });
        assert.equal(await completion.generateInfillCompletion("function f(x) {\n", "\n}\n", { maxTokens: 4000 }), text);
      } finally {
        await context.dispose();
        await model.dispose();
      }
    });

    it("refuses a chat script containing the chat stop string", async () => {
      await assert.rejects(scriptedModel("a<|im_end|>b", { mode: "chat" }), /<\|im_end\|>/);
    });
  });

  describe("broken models fail to load, and the process carries on", () => {
    async function loadFailure(path: string, options: { useMmap?: boolean } = {}): Promise<unknown> {
      logs.length = 0;
      try {
        const model = await llama.loadModel({ modelPath: path, ...options });
        await model.dispose();
      } catch (error) {
        return error;
      }
      return assert.fail(`${path} loaded`);
    }

    /** llama.cpp's log lines reach the logger asynchronously, sometimes after the load has failed. */
    async function logsMatching(pattern: RegExp): Promise<string> {
      for (let waited = 0; waited < 2_000 && !pattern.test(logs.join("")); waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return logs.join("");
    }

    it("truncated: llama.cpp reports tensor data outside the file", async () => {
      const error = await loadFailure(await truncatedModel());
      assert.match(String(error), /Failed to load model/);
      assert.match(await logsMatching(/not within the file bounds/), /data is not within the file bounds/);
    });

    it("unknown architecture: llama.cpp names it", async () => {
      const error = await loadFailure(await unknownArchModel());
      assert.match(String(error), /Failed to load model/);
      assert.match(await logsMatching(/unknown model architecture/), /unknown model architecture: 'slmfake'/);
    });

    it("oversized (sparse, ~200 GB claimed): consistent on disk, beyond any memory check", async () => {
      const path = await oversizedModel();
      const info = await nlc.readGgufFileInfo(path, { logWarnings: false });
      const insights = await nlc.GgufInsights.from(info, llama);
      const lastTensor = info.tensorInfo![info.tensorInfo!.length - 1]!;
      const stat = statSync(path);
      assert.ok(insights.modelSize > 190e9, `estimated ${insights.modelSize} bytes`);
      assert.ok(stat.size > Number(lastTensor.fileOffset), "the header's tensors lie within the file");
      assert.ok(stat.blocks * 512 < 10e6, "sparse: almost no disk used");
      // node-llama-cpp counts no RAM for mmapped weights, so it would mmap this (tens of seconds
      // of page faults); without mmap llama.cpp itself must allocate it all and refuses.
      if (insights.modelSize > totalmem()) {
        const error = await loadFailure(path, { useMmap: false });
        assert.match(String(error), /Failed to load model/);
        assert.match(await logsMatching(/failed to allocate|insufficient memory/), /allocate/);
      }
    });

    it("not GGUF and empty: invalid magic", async () => {
      for (const path of [await nonGgufFile(), await emptyFile()]) {
        const error = await loadFailure(path);
        assert.ok(error instanceof Error);
        assert.equal(error.constructor.name, "InvalidGgufMagicError");
        assert.match(error.message, /Invalid GGUF magic/);
      }
    });

    it("a good model still loads afterwards", async () => {
      const model = await llama.loadModel({ modelPath: await tinyModel() });
      assert.ok(model.tokenize("ok").length > 0);
      await model.dispose();
    });
  });

  describe("qwen25Coder05BShape", () => {
    it("loads and generates 4 tokens on 2 threads", async function () {
      const path = await qwen25Coder05BShape();
      const started = performance.now();
      const model = await llama.loadModel({ modelPath: path });
      try {
        assert.equal(model.fileInfo.metadata.general.architecture, "qwen2");
        assert.equal(model.fileInfo.metadata.tokenizer.ggml.tokens.length, 151_936);
        assert.equal(model.tokens.infill.prefix, 151_659);
        const context = await model.createContext({ threads: 2, contextSize: 2048 });
        const generated: Token[] = [];
        for await (const token of context.getSequence().evaluate(model.tokenize("def quicksort(items):"), { temperature: 0 })) {
          generated.push(token);
          if (generated.length === 4) {
            break;
          }
        }
        await context.dispose();
        assert.equal(generated.length, 4);
        // Not a speed test: only a guard against, say, the default 4 threads on a 2-core machine.
        this.test!.title += ` (${Math.round(performance.now() - started)} ms)`;
      } finally {
        await model.dispose();
      }
    });
  });
});
