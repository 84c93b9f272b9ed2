/**
 * Generation stops the moment the answer is decided: fill streams its text, the caller's
 * `stopSignal` ends it with a normal result ("decided"), and the completion pipeline uses that to
 * stop at post-processing's end rules. On both engine hosts, with models that say a chosen text
 * (one token per byte).
 */
import * as assert from "node:assert/strict";
import * as os from "node:os";
import type { Engine } from "../../src/engine/api";
import { buildFimPrompt } from "../../src/completion/prompt/fimPrompt";
import { CompletionPipeline } from "../../src/completion/pipeline";
import type { CompletionRequest, CompletionSettings } from "../../src/completion/types";
import { scriptedModel } from "../support/models";
import { createTestEngine, HOSTS, whenIdle } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

/** Class 5 junk: the method's `}`, then a whole new method the user did not ask for. */
const RUNS_PAST_BLOCK = "\n    }\n\n    public int subtract(int a, int b) {\n        int difference = a - b;\n        return difference;\n    }\n";
const JAVA = ["public class Calculator {", "    public int add(int a, int b) {", "        int sum = a + b;", "        ", "}"];

/** Class 2 junk: a line counting up until the token limit. */
const LOOP = Array.from({ length: 40 }, (_, i) => `const v${i + 1} = ${i + 1};`).join("\n");

function requestFor(lines: string[], line: number, character: number, languageId: string): CompletionRequest {
  return {
    documentKey: `file:///work/a.${languageId}`,
    fileName: `a.${languageId}`,
    languageId,
    text: { lineCount: lines.length, lineAt: (n) => lines[n]! },
    cursor: { line, character },
    eol: "\n",
    explicit: false,
  };
}

function settings(maxTokens: number): CompletionSettings {
  return { enabled: true, languages: [], multiline: "auto", maxTokens, maxTimeMs: 30_000, maxLineSuffix: 8, debounceMs: 0 };
}

for (const host of HOSTS) describe(`stopping generation once the answer is decided (${host})`, function () {
  this.timeout(120_000);
  let engine: Engine;
  before(() => {
    engine = createTestEngine(host, { machine });
  });
  after(() => engine.dispose());

  async function load(text: string): Promise<void> {
    await whenIdle(engine);
    await engine.configure({ modelPath: await scriptedModel(text), threads: 1, contextSize: 2048, gpu: "off", flashAttention: true });
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
  }

  async function fillPieces() {
    const facts = await engine.laneFacts("completion");
    const prompt = buildFimPrompt(facts.fim.format!, { prefix: "let x = ", suffix: "\n" }, { includeBos: true });
    return { pieces: prompt.pieces, stopTokens: prompt.stopTokens, stopStrings: prompt.stopStrings, maxTimeMs: 30_000, stopAtNewline: false };
  }

  it("streams fill text: one call per token, all chunks together are the result", async () => {
    const text = "compute(1, 2); // héllo ✓\nnext();";
    await load(text);
    const chunks: string[] = [];
    const result = await engine.fill({ ...(await fillPieces()), maxTokens: 256 }, { onText: (chunk) => chunks.push(chunk) });
    assert.equal(result.text, text);
    assert.equal(chunks.join(""), text);
    assert.equal(result.stopReason, "eog", `${result.generatedTokens} tokens: ${JSON.stringify(result.text)}`);
    // One per generated token, plus at most one for text held back until the end.
    assert.ok(chunks.length >= result.generatedTokens && chunks.length <= result.generatedTokens + 1, `${chunks.length} chunks for ${result.generatedTokens} tokens`);
  });

  it("stopSignal ends generation with a normal result and its real counts", async () => {
    await load(LOOP);
    const stop = new AbortController();
    let streamed = "";
    const result = await engine.fill({ ...(await fillPieces()), maxTokens: 400 }, {
      stopSignal: stop.signal,
      onText: (chunk) => {
        streamed += chunk;
        if (streamed.includes("v3 =")) stop.abort();
      },
    });
    assert.equal(result.stopReason, "decided");
    assert.ok(result.text.startsWith("const v1 = 1;\nconst v2 = 2;\nconst v3 ="), JSON.stringify(result.text));
    // The engine process hears of the stop a token or two late; far less than the 400 allowed.
    assert.ok(result.generatedTokens < 60, `${result.generatedTokens} tokens`);
    assert.ok(result.promptTokens > 0 && result.generateMs >= 0);
  });

  it("the pipeline stops at the block's close instead of writing a whole new method (class 5)", async () => {
    await load(RUNS_PAST_BLOCK);
    const log: string[] = [];
    const pipeline = new CompletionPipeline({ engine, settings: () => settings(256), log: (m) => log.push(m) });
    const outcome = await pipeline.complete(requestFor(JAVA, 3, 8, "java"));
    assert.equal(outcome.kind === "suggestion" && outcome.text, "\n    }", JSON.stringify(outcome));
    const generated = outcome.timings?.generatedTokens ?? Infinity;
    assert.ok(generated < Buffer.byteLength(RUNS_PAST_BLOCK) / 2, `${generated} of ${Buffer.byteLength(RUNS_PAST_BLOCK)} tokens generated`);
    assert.ok(log.some((m) => /blockScope decided the end/.test(m)), log.join("\n"));
  });

  it("the pipeline stops a loop of variations after eight lines, not at the token limit (class 2)", async () => {
    await load(LOOP);
    const pipeline = new CompletionPipeline({ engine, settings: () => settings(400), log: () => undefined });
    const outcome = await pipeline.complete(requestFor(["const v0 = 0;", ""], 1, 0, "javascript"));
    assert.equal(outcome.kind === "suggestion" && outcome.text, "const v1 = 1;", JSON.stringify(outcome));
    const generated = outcome.timings?.generatedTokens ?? Infinity;
    assert.ok(generated < 160, `${generated} tokens (the loop is ${Buffer.byteLength(LOOP)})`);
  });
});
