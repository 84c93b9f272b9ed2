import * as assert from "node:assert/strict";
import * as os from "node:os";
import type { Engine } from "../../src/engine/api";
import { CompletionPipeline, type Alternatives } from "../../src/completion/pipeline";
import type { CompletionOutcome, CompletionRequest, CompletionSettings } from "../../src/completion/types";
import * as fs from "node:fs";
import * as path from "node:path";
import { modelCacheDir, scriptedModel, tinyModel } from "../support/models";
import { longVariedBody } from "../support/scriptedAnswers";
import { qwenChatTemplate } from "../support/gguf/chatTemplate";
import { scriptedModelSpec } from "../support/gguf/scripted";
import { str } from "../support/gguf/values";
import { writeGguf } from "../support/gguf/writer";
import { createTestEngine, HOSTS, whenIdle, type HostKind } from "./hosts";

/** A scripted model whose GGUF says it is an instruct model (completion must refuse it). */
async function instructNamedModel(): Promise<string> {
  const file = path.join(modelCacheDir(), "scripted-instruct-name.gguf");
  if (!fs.existsSync(file)) {
    const spec = scriptedModelSpec("garbage", "completion", qwenChatTemplate());
    const metadata = new Map(spec.metadata);
    metadata.set("general.name", str("Qwen2.5-Coder-0.5B-Instruct"));
    await writeGguf(`${file}.tmp`, { ...spec, metadata });
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

function settingsWith(overrides: Partial<CompletionSettings> = {}): CompletionSettings {
  return { enabled: true, languages: [], multiline: "always", maxTokens: 16, maxTimeMs: 5_000, maxLineSuffix: 8, debounceMs: 0, ...overrides };
}

function requestFor(lines: string[], line: number, character: number, languageId = "typescript"): CompletionRequest {
  return {
    documentKey: "file:///work/a.ts",
    fileName: "a.ts",
    languageId,
    text: { lineCount: lines.length, lineAt: (n) => lines[n]! },
    cursor: { line, character },
    eol: "\n",
    explicit: false,
  };
}

/**
 * Configures `engine` (a new one when none is given) for the model and checks it is ready. Suites
 * keep one engine and switch its model per test: starting a process engine (a fork, and
 * node-llama-cpp's check of its binary in another) costs seconds, a model switch milliseconds.
 */
async function engineFor(host: HostKind, modelPath: string, engine: Engine = createTestEngine(host, { machine })): Promise<Engine> {
  await whenIdle(engine);
  await engine.configure({ modelPath, threads: 1, contextSize: 4096, gpu: "off", flashAttention: true });
  assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
  return engine;
}

/** Every suggestion of an alternatives answer, the one shown first at the head. */
function all(alternatives: Alternatives): string[] {
  return [suggestion(alternatives.outcome), ...alternatives.others];
}

function suggestion(outcome: CompletionOutcome): string {
  assert.equal(outcome.kind, "suggestion", JSON.stringify(outcome));
  return outcome.kind === "suggestion" ? outcome.text : "";
}

const sourceFile = Array.from({ length: 300 }, (_, i) => `export function helper${i}(value: number): number { return value * ${i}; }`);

for (const host of HOSTS) describe(`completion (${host})`, function () {
  // Besides the tiny model's engine, one engine for the scripted models, each test configuring the
  // model it needs (see engineFor).
  let spare: Engine | undefined;
  after(() => spare?.dispose());

  describe("pipeline on the tiny model (real engine)", function () {
    this.timeout(120_000);
    let engine: Engine;
    let settings = settingsWith();
    let pipeline: CompletionPipeline;

    before(async () => {
      engine = await engineFor(host, await tinyModel());
      pipeline = new CompletionPipeline({ engine, settings: () => settings, log: () => undefined });
    });
    after(() => engine.dispose());

    it("typing forward evaluates only the new tokens (KV cache reuse)", async () => {
      const lines = [...sourceFile];
      lines.splice(150, 0, "");
      const typed = "  const total = helper12(3) + helper40(7);";
      // The idle warm-up at the place evaluates the full window (a request before it gets a cold start's smaller one).
      const warmed = await pipeline.warm(requestFor(lines, 150, 0));
      assert.ok(warmed && warmed.evaluatedTokens > 1000, `the warm-up evaluates the whole prompt: ${JSON.stringify(warmed)}`);
      const evaluated: number[] = [];
      let prompt = 0;
      for (let i = 0; i <= typed.length; i++) {
        lines[150] = typed.slice(0, i);
        const outcome = await pipeline.complete(requestFor(lines, 150, i));
        if (outcome.timings && outcome.kind === "suggestion" && !outcome.fromCache) {
          evaluated.push(outcome.timings.evaluatedTokens);
          prompt = outcome.timings.promptTokens;
        } else if (outcome.kind === "dropped" && outcome.timings) {
          evaluated.push(outcome.timings.evaluatedTokens);
        }
      }
      assert.ok(prompt > 1000, `prompt ${prompt} tokens`);
      const sorted = [...evaluated].sort((a, b) => a - b);
      const medianEvaluated = sorted[Math.floor(sorted.length / 2)]!;
      assert.ok(medianEvaluated <= 4, `median evaluated per keystroke ${medianEvaluated}: ${evaluated.join(",")}`);
    });

    it("honours the token cap and the time budget", async () => {
      settings = settingsWith({ maxTokens: 5 });
      const capped = await pipeline.complete(requestFor(["let x = "], 0, 8));
      assert.ok(capped.timings!.generatedTokens <= 5);
      settings = settingsWith({ maxTokens: 500, maxTimeMs: 50 });
      const started = performance.now();
      const timed = await pipeline.complete(requestFor(["let y = "], 0, 8));
      assert.ok(performance.now() - started < 2_000);
      assert.ok(timed.timings!.generatedTokens < 500);
      settings = settingsWith();
    });

    it("stops within 50 ms of abort and reports a cancelled request", async () => {
      // A model that writes ~4,000 characters, so the request is surely still running when aborted.
      const long = longVariedBody(200);
      const longEngine = (spare = await engineFor(host, await scriptedModel(long), spare));
      const longPipeline = new CompletionPipeline({ engine: longEngine, settings: () => settingsWith({ maxTokens: 10_000, maxTimeMs: 60_000 }), log: () => undefined });
      const controller = new AbortController();
      const pending = longPipeline.complete(requestFor(["function run() {", ""], 1, 0), controller.signal);
      await new Promise((r) => setTimeout(r, 150));
      const abortedAt = performance.now();
      controller.abort();
      const outcome = await pending;
      assert.ok(performance.now() - abortedAt < 50, `${performance.now() - abortedAt} ms`);
      assert.equal(outcome.kind === "dropped" && outcome.reason, "cancelled");
    });

    it("a newer request cancels the one in flight: never two generations at once", async () => {
      // A model that writes ~4,000 characters, so the first request is surely still running.
      const long = longVariedBody(200);
      const longEngine = (spare = await engineFor(host, await scriptedModel(long), spare));
      let limits = settingsWith({ maxTokens: 10_000, maxTimeMs: 60_000 });
      const longPipeline = new CompletionPipeline({ engine: longEngine, settings: () => limits, log: () => undefined });
      const first = longPipeline.complete(requestFor(["function run() {", ""], 1, 0));
      await new Promise((r) => setTimeout(r, 100));
      limits = settingsWith({ maxTokens: 4 });
      const second = await longPipeline.complete(requestFor(["function run() {", "  "], 1, 2));
      const firstOutcome = await first;
      assert.equal(firstOutcome.kind === "dropped" && firstOutcome.reason, "cancelled");
      assert.ok(second.timings!.generatedTokens > 0);
    });

    it("warm-up evaluates the prompt while idle so the next request reuses it", async () => {
      const lines = sourceFile.map((line) => line.replace("export function", "function"));
      const request = requestFor(lines, 250, 0);
      const warm = await pipeline.warm(request);
      assert.ok(warm && warm.evaluatedTokens > 500, JSON.stringify(warm));
      const outcome = await pipeline.complete(request);
      assert.ok(outcome.timings!.evaluatedTokens <= 2, `evaluated ${outcome.timings!.evaluatedTokens} after warm-up`);
      const again = await pipeline.warm(requestFor(lines, 250, 0));
      assert.ok(!again || again.evaluatedTokens <= 1, "a second warm-up at the same place costs nothing");
    });

    it("survives odd documents: empty, offset 0, end of file, CRLF, tabs, non-ASCII, a 20,000-character line, binary", async () => {
      settings = settingsWith({ maxTokens: 4 });
      const cases: Array<[string[], number, number, "\n" | "\r\n"]> = [
        [[""], 0, 0, "\n"],
        [["abc", "def"], 0, 0, "\n"],
        [["abc", "def"], 1, 3, "\n"],
        [["\tif (x) {", "\t\treturn 1;", "\t}"], 1, 2, "\r\n"],
        [["const ü = '日本語 😀 עברית';", ""], 1, 0, "\n"],
        [["x".repeat(20_000)], 0, 19_999, "\n"],
      ];
      for (const [lines, line, character, eol] of cases) {
        const outcome = await pipeline.complete({ ...requestFor(lines, line, character), eol });
        assert.ok(outcome.kind === "suggestion" || outcome.kind === "dropped");
      }
      const binary = await pipeline.complete(requestFor(["\u0000\u0001ELF\u0000", "\u0000"], 1, 1));
      assert.equal(binary.kind === "dropped" && binary.reason, "binary");
      settings = settingsWith();
    });
  });

  describe("end to end with models that say a chosen text", function () {
    this.timeout(120_000);

    it("refuses an instruct model with a clear reason instead of showing its output", async () => {
      const engine = (spare = await engineFor(host, await instructNamedModel(), spare));
      const pipeline = new CompletionPipeline({ engine, settings: () => settingsWith(), log: () => undefined });
      const outcome = await pipeline.complete(requestFor(["const x = "], 0, 10));
      assert.equal(outcome.kind === "dropped" && outcome.reason, "noFim");
      assert.match(outcome.kind === "dropped" ? outcome.detail ?? "" : "", /instruct\/chat model/);
      // Asked for alternatives, the same reason (not "cancelled"), and no runner-up is tried.
      let calls = 0;
      const cycling = new CompletionPipeline({ engine, settings: () => settingsWith(), log: () => undefined, onModelCall: () => calls++ });
      const alternatives = await cycling.alternatives(requestFor(["const x = "], 0, 10), 3);
      assert.equal(alternatives.outcome.kind === "dropped" && alternatives.outcome.reason, "noFim", JSON.stringify(alternatives));
      assert.deepEqual(alternatives.others, []);
      assert.equal(calls, 0);
    });

    async function completeWith(text: string, lines: string[], line: number, character: number, multiline: CompletionSettings["multiline"] = "auto") {
      const engine = (spare = await engineFor(host, await scriptedModel(text), spare));
      const pipeline = new CompletionPipeline({ engine, settings: () => settingsWith({ maxTokens: 64, multiline }), log: () => undefined });
      return { outcome: await pipeline.complete(requestFor(lines, line, character)), pipeline, engine };
    }

    it("stops where the output starts repeating the text after the cursor", async () => {
      const lines = ["function area(r: number) {", "  ", "  return result;", "}"];
      const { outcome } = await completeWith("const result = Math.PI * r * r;\n  return result;\n}\n", lines, 1, 2);
      assert.equal(suggestion(outcome), "const result = Math.PI * r * r;");
    });

    it("drops a closing bracket that is already right of the cursor", async () => {
      const lines = ["console.log()"];
      const { outcome } = await completeWith('"hello")', lines, 0, 12);
      assert.equal(suggestion(outcome), '"hello"');
    });

    it("offers a multi-line block after a block opener, indented like the document", async () => {
      const lines = ["def total(items):", ""];
      const { outcome } = await completeWith("    s = 0\n    for item in items:\n        s += item\n    return s\n", lines, 1, 0, "auto");
      assert.equal(suggestion(outcome), "    s = 0\n    for item in items:\n        s += item\n    return s");
    });

    it("pre-fetches the suggestion that follows accepting the shown one", async () => {
      const engine = (spare = await engineFor(host, await scriptedModel("next();"), spare));
      let calls = 0;
      const pipeline = new CompletionPipeline({ engine, settings: () => settingsWith({ multiline: "auto", maxTokens: 64 }), log: () => undefined, onModelCall: () => calls++ });
      const lines = ["start(); "];
      const request = requestFor(lines, 0, 9);
      assert.equal(suggestion(await pipeline.complete(request)), "next();");
      await pipeline.prefetchAfter(request, "next();");
      const callsBefore = calls;
      lines[0] = "start(); next();";
      const accepted = await pipeline.complete(requestFor(lines, 0, 16));
      assert.equal(accepted.kind === "suggestion" && accepted.fromCache, true, JSON.stringify(accepted));
      assert.equal(calls, callsBefore, "served without a model call");
    });

    it("alternatives: three different scripted completions, the usual one first, computed once per place", async () => {
      const texts = ["computeTotal(items);", "sumPrices(cart);", "items.length;"];
      const engine = (spare = await engineFor(host, await scriptedModel(texts), spare));
      let calls = 0;
      const pipeline = new CompletionPipeline({ engine, settings: () => settingsWith({ multiline: "auto", maxTokens: 64 }), log: () => undefined, onModelCall: () => calls++ });
      const request = requestFor(["const t = "], 0, 10);
      assert.equal(suggestion(await pipeline.complete(request)), texts[0], "greedy decoding writes the first script");
      const before = calls;
      assert.deepEqual(all(await pipeline.alternatives(request, 3)), texts);
      assert.equal(calls - before, 2, "the shown suggestion came from the cache; two runner-ups were generated");
      assert.deepEqual(all(await pipeline.alternatives(request, 3)), texts, "cycling again at the same place");
      assert.equal(calls - before, 2, "…costs no model call");
      assert.deepEqual(all(await pipeline.alternatives(request, 2)), texts.slice(0, 2));
      // The usual suggestion is still the one shown at this place.
      assert.equal(suggestion(await pipeline.complete(request)), texts[0]);
    });

    it("serves typing-as-suggested from the cache with no model call", async () => {
      const engine = (spare = await engineFor(host, await scriptedModel("computeTotal(items);"), spare));
      const pipeline = new CompletionPipeline({ engine, settings: () => settingsWith({ multiline: "auto", maxTokens: 64 }), log: () => undefined });
      const lines = ["const t = "];
      assert.equal(suggestion(await pipeline.complete(requestFor(lines, 0, 10))), "computeTotal(items);");
      const busy: string[] = [];
      const sub = engine.onDidChangeState((s) => busy.push(s.kind));
      lines[0] = "const t = comp";
      const started = performance.now();
      const cached = await pipeline.complete(requestFor(lines, 0, 14));
      const elapsed = performance.now() - started;
      sub.dispose();
      assert.equal(suggestion(cached), "uteTotal(items);");
      assert.equal(cached.kind === "suggestion" && cached.fromCache, true);
      assert.deepEqual(busy, [], "no model call");
      assert.ok(elapsed < 15, `${elapsed} ms`);
    });
  });
});
