// Every architecture family people run as small local models, as a tiny random-weight GGUF with
// the family's real tokenizer where the llama.cpp bundle has one: it loads through the engine,
// chats through its own template, and completes through FIM where it has FIM tokens. Where a family
// cannot do something, the test asserts the reason the user is given.
import * as assert from "node:assert/strict";
import * as os from "node:os";
import { CompletionPipeline } from "../../src/completion/pipeline";
import { resolveTemplate, toHistoryItems } from "../../src/engine/local/chatTemplate";
import { detectModelFim } from "../../src/engine/local/modelFim";
import type { FimFamilyId } from "../../src/models/fimFormat";
import type { CompletionOutcome, CompletionRequest, CompletionSettings } from "../../src/completion/types";
import { LocalEngine } from "../../src/engine/local/localEngine";
import { FAMILY_MODELS, type FamilyId } from "../support/gguf/families";
import { familyModel } from "../support/models";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

interface Expectation {
  /** Text the family's chat template puts around a user turn (proves the template, not a fallback, wrapped it). */
  readonly chatMarker: RegExp;
  /** The chat notice when the GGUF has no template (the base models of these families ship none). */
  readonly templateNotice?: RegExp;
  /** The FIM family the completion pipeline must detect, or the refusal it must give. */
  readonly fim: { readonly family: FimFamilyId } | { readonly refusal: RegExp };
}

const NO_TEMPLATE = /has no chat template, so the chat is formatted as ChatML/;
const NO_FIM = /has no fill-in-the-middle tokens, so it cannot complete code between a prefix and a suffix/;

const EXPECTED: Readonly<Record<FamilyId, Expectation>> = {
  // Llama 2 / TinyLlama / Mistral have no FIM tokens (only Code Llama and Codestral do).
  llama: { chatMarker: /<\|user\|>\n(?:[^]*\n)?Hi<\/s>\s*<\|assistant\|>/, fim: { refusal: NO_FIM } },
  // Phi-2 is a base model without a chat template and without FIM tokens.
  phi2: { chatMarker: /<\|im_start\|>user\nHi<\|im_end\|>/, templateNotice: NO_TEMPLATE, fim: { refusal: NO_FIM } },
  // Phi-3-mini is an instruct model: its own template, no FIM tokens. Its <|user|> and <|end|> strip the
  // whitespace after them (llama.cpp gives Phi-3's special tokens rstrip, as Hugging Face does).
  phi3: { chatMarker: /<\|user\|>(?:[^]*\n)?Hi<\|end\|><\|assistant\|>/, fim: { refusal: NO_FIM } },
  gemma: { chatMarker: /<start_of_turn>user\n(?:[^]*\n)?Hi<end_of_turn>\n<start_of_turn>model/, fim: { family: "codegemma" } },
  granite: { chatMarker: /<\|start_of_role\|>user<\|end_of_role\|>Hi<\|end_of_text\|>/, fim: { family: "granite" } },
  qwen2: { chatMarker: /<\|im_start\|>user\nHi<\|im_end\|>/, fim: { family: "qwen-coder" } },
  // StarCoder2 and DeepSeek-Coder base models ship no chat template: ChatML with a notice.
  starcoder2: { chatMarker: /<\|im_start\|>user\nHi<\|im_end\|>/, templateNotice: NO_TEMPLATE, fim: { family: "starcoder2" } },
  "deepseek-coder": { chatMarker: /<\|im_start\|>user\nHi<\|im_end\|>/, templateNotice: NO_TEMPLATE, fim: { family: "deepseek-coder" } },
};

const completionSettings: CompletionSettings = {
  enabled: true, languages: [], multiline: "always", maxTokens: 8, maxTimeMs: 10_000, maxLineSuffix: 8, debounceMs: 0,
};

function requestFor(lines: string[], line: number, character: number): CompletionRequest {
  return {
    documentKey: "file:///work/families.ts",
    fileName: "families.ts",
    languageId: "typescript",
    text: { lineCount: lines.length, lineAt: (n) => lines[n]! },
    cursor: { line, character },
    eol: "\n",
    explicit: true,
  };
}

/** Outcomes that show the request reached the model and came back through post-processing. */
function reachedModel(outcome: CompletionOutcome): boolean {
  return outcome.kind === "suggestion" || ["empty", "filtered"].includes(outcome.reason);
}

// In-process LocalEngine only: renders each family's template and reads its FIM tokens through
// withSession, which does not cross the process boundary.
describe("model families (tiny random-weight models, real node-llama-cpp)", function () {
  this.timeout(120_000);

  for (const family of FAMILY_MODELS) {
    const expected = EXPECTED[family.id];
    describe(`${family.standsFor}: ${family.architecture}, tokenizer ${family.tokenizer}`, () => {
      let engine: LocalEngine;
      let modelPath: string;

      before(async () => {
        modelPath = await familyModel(family.id);
        engine = new LocalEngine({ machine, log: () => undefined });
        await engine.configure({ modelPath, threads: 1, contextSize: 1024, gpu: "off", flashAttention: true });
      });
      after(() => engine?.dispose());

      it("loads through the engine", () => {
        assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
        assert.equal(engine.state.models?.[0]?.summary.architecture, family.architecture);
        assert.equal(engine.state.models?.[0]?.summary.name, family.name);
      });

      it(expected.templateNotice ? "chats as ChatML and says the file has no template" : "chats through its own template", async () => {
        const rendered = await engine.withSession(
          "chat",
          undefined,
          async ({ module, model }) => {
            const { wrapper } = resolveTemplate(module, model);
            const { contextText } = wrapper.generateContextState({
              chatHistory: toHistoryItems([{ role: "system", text: "Be brief." }, { role: "user", text: "Hi" }], true),
            });
            return model.detokenize(contextText.tokenize(model.tokenizer), true);
          },
          () => "",
        );
        assert.match(rendered, expected.chatMarker);

        const answer = await engine.chat({ history: [], question: "Hi", maxAnswerTokens: 8, temperature: 0 }, { signal: new AbortController().signal });
        assert.ok(answer.generatedTokens > 0 || answer.stopReason === "eogToken", JSON.stringify(answer));
        assert.ok(answer.promptTokens > 0);
        if (expected.templateNotice) {
          assert.ok(answer.notes.some((note) => expected.templateNotice!.test(note)), answer.notes.join("\n"));
        } else {
          assert.deepEqual(answer.notes.filter((note) => /template/i.test(note)), []);
        }
      });

      if ("family" in expected.fim) {
        const fimFamily = expected.fim.family;
        it(`completes through ${fimFamily} fill-in-the-middle`, async () => {
          const detected = await engine.withSession("completion", undefined, async ({ model }) => detectModelFim(model, modelPath), () => undefined);
          const format = detected?.format;
          assert.equal(format?.family, fimFamily, detected?.refusal?.message);
          for (const token of [format.tokens.prefix, format.tokens.suffix, format.tokens.middle!]) {
            assert.equal((await engine.tokenize("completion", token, true)).length, 1, `${token} is one token`);
          }

          let modelCalls = 0;
          const logs: string[] = [];
          const pipeline = new CompletionPipeline({ engine, settings: () => completionSettings, log: (m) => logs.push(m), onModelCall: () => modelCalls++ });
          const outcome = await pipeline.complete(requestFor(["function add(a: number, b: number) {", "  return ", "}"], 1, 9));
          assert.ok(reachedModel(outcome), JSON.stringify(outcome));
          assert.equal(modelCalls, 1);
          assert.ok(logs.some((line) => line.startsWith(`FIM format: ${format.label}`)), logs.join("\n"));
        });
      } else {
        const refusal = expected.fim.refusal;
        it("refuses completion with the reason: no fill-in-the-middle tokens", async () => {
          let modelCalls = 0;
          const pipeline = new CompletionPipeline({ engine, settings: () => completionSettings, log: () => undefined, onModelCall: () => modelCalls++ });
          const outcome = await pipeline.complete(requestFor(["const x = "], 0, 10));
          assert.equal(outcome.kind === "dropped" && outcome.reason, "noFim", JSON.stringify(outcome));
          const detail = outcome.kind === "dropped" ? outcome.detail ?? "" : "";
          assert.match(detail, refusal);
          assert.ok(detail.includes(`"${family.name}"`), detail);
          assert.equal(modelCalls, 0);
        });
      }
    });
  }
});
