// The engine process dies or hangs; the process that started it (here: mocha, in the editor: the
// extension host) keeps running, ends its requests with a message, and serves the next request.
import * as assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { EngineUnavailableError } from "../../src/engine/api";
import { ProcessEngine, type ProcessEngineOptions } from "../../src/engine/host/processEngine";
import { CompletionPipeline } from "../../src/completion/pipeline";
import type { CompletionRequest } from "../../src/completion/types";
import { cachedFile, modelCacheDir } from "../support/gguf/cache";
import { qwenChatTemplate } from "../support/gguf/chatTemplate";
import { scriptedModelSpec } from "../support/gguf/scripted";
import { writeGguf } from "../support/gguf/writer";
import { badHyperparameterModel, scriptedModel, tinyModel } from "../support/models";
import { longVariedBody } from "../support/scriptedAnswers";
import { ENGINE_SCRIPT, generate } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };
const LONG_TEXT = longVariedBody(300);

function processEngine(extra: Partial<ProcessEngineOptions> = {}, logs: string[] = []): ProcessEngine {
  return new ProcessEngine({ scriptPath: ENGINE_SCRIPT, machine, log: (level, message) => logs.push(`${level}: ${message}`), ...extra });
}

function settings(modelPath: string) {
  return { modelPath, threads: 1, contextSize: 4096, gpu: "off", flashAttention: true } as const;
}

/** A model whose chat template loops a million times before it writes anything. */
function loopingTemplateModel(): Promise<string> {
  const file = path.join(modelCacheDir(), "broken", "looping-template.gguf");
  const template = `{% for i in range(1000000) %}{% endfor %}${qwenChatTemplate()}`;
  return cachedFile(file, (temporary) => writeGguf(temporary, scriptedModelSpec("Hello.", "chat", template)).then(() => undefined));
}

function memoryStore(): { files: string[]; read(): readonly string[]; write(files: readonly string[]): void } {
  const store = { files: [] as string[], read: () => store.files, write: (files: readonly string[]) => void (store.files = [...files]) };
  return store;
}

function waitFor(engine: ProcessEngine, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out; state ${JSON.stringify(engine.state)}`)), timeoutMs);
    const sub = engine.onDidChangeState(() => {
      if (!predicate()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

describe("engine process: crashes and hangs (real node-llama-cpp in a child process)", function () {
  this.timeout(180_000);

  it("a completion whose engine is killed ends with a message, and the next one works", async () => {
    const engine = processEngine();
    try {
      await engine.configure(settings(await scriptedModel(LONG_TEXT)));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      let maxTokens = 10_000;
      const pipeline = new CompletionPipeline({
        engine,
        settings: () => ({ enabled: true, languages: [], multiline: "always", maxTokens, maxTimeMs: 60_000, maxLineSuffix: 8, debounceMs: 0 }),
        log: () => undefined,
      });
      const lines = ["function run() {", ""];
      const request: CompletionRequest = { documentKey: "a", fileName: "a.ts", languageId: "typescript", text: { lineCount: 2, lineAt: (n) => lines[n]! }, cursor: { line: 1, character: 0 }, eol: "\n", explicit: false };
      const pending = pipeline.complete(request);
      await waitFor(engine, () => engine.state.kind === "busy");
      process.kill(engine.pid!, "SIGKILL");
      const outcome = await pending;
      assert.equal(outcome.kind, "dropped");
      assert.equal(outcome.kind === "dropped" && outcome.reason, "noModel");
      assert.match(outcome.kind === "dropped" ? (outcome.detail ?? "") : "", /model engine stopped \(killed, SIGKILL/);
      assert.equal(engine.state.kind, "error");
      assert.equal(engine.state.error?.code, "engineStopped");

      maxTokens = 16;
      const again = await pipeline.complete({ ...request, documentKey: "b" });
      assert.equal(again.kind, "suggestion", JSON.stringify(again));
      assert.equal(engine.state.kind, "ready");
    } finally {
      await engine.dispose();
    }
  });

  it("a streamed chat answer whose engine is killed ends with a message and what was streamed, and the next answer works", async () => {
    const engine = processEngine();
    try {
      await engine.configure(settings(await scriptedModel(LONG_TEXT, { mode: "chat" })));
      let streamed = "";
      const answer = engine.chat({ history: [], question: "sum it", maxAnswerTokens: 4000, temperature: 0 }, { onText: (text) => (streamed += text) });
      while (streamed.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
      process.kill(engine.pid!, "SIGKILL");
      await assert.rejects(answer, (error: Error) => error instanceof EngineUnavailableError && /model engine stopped/.test(error.message));
      // (Chat answers start without the text's leading space: the chat wrapper trims it.)
      assert.ok(LONG_TEXT.trimStart().startsWith(streamed.trimStart()), `what was streamed is the start of the answer: ${JSON.stringify(streamed.slice(0, 40))}`);
      const next = await engine.chat({ history: [{ role: "user", text: "sum it" }, { role: "assistant", text: streamed }], question: "again", maxAnswerTokens: 8, temperature: 0 });
      assert.equal(next.generatedTokens, 8);
    } finally {
      await engine.dispose();
    }
  });

  it("a request aborted while the engine process starts again answers at once; the start goes on for the next request", async () => {
    const engine = processEngine();
    try {
      await engine.configure(settings(await scriptedModel(LONG_TEXT, { mode: "chat" })));
      process.kill(engine.pid!, "SIGKILL");
      await waitFor(engine, () => engine.state.error?.code === "engineStopped");
      const controller = new AbortController();
      const answer = engine.chat({ history: [], question: "hi", maxAnswerTokens: 8, temperature: 0 }, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const abortedAt = performance.now();
      controller.abort();
      const result = await answer;
      const waited = performance.now() - abortedAt;
      assert.equal(result.stopReason, "abort");
      assert.ok(waited < 50, `answered ${waited.toFixed(1)} ms after the abort`);
      assert.notEqual(engine.state.kind, "ready", "the answer came before the engine process had started again");
      const next = await engine.chat({ history: [], question: "hi", maxAnswerTokens: 4, temperature: 0 });
      assert.equal(next.generatedTokens, 4);
    } finally {
      await engine.dispose();
    }
  });

  it("a chat template that loops a million times stalls only the engine process; the watchdog ends the request with a message", async function () {
    // Other programs on a shared 2-core machine delay this process's timers too (seen: 116 ms at a
    // load average of 20); the render itself would delay it for seconds. Measured again if so.
    this.retries(2);
    const logs: string[] = [];
    const engine = processEngine({ watchdogMs: 3_000 }, logs);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    try {
      await engine.configure(settings(await loopingTemplateModel()));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      delay.enable();
      const started = performance.now();
      await assert.rejects(
        engine.chat({ history: [], question: "hi", maxAnswerTokens: 8, temperature: 0 }),
        (error: Error) => error instanceof EngineUnavailableError && /stopped responding for 3 s while rendering or answering a chat message/.test(error.message),
      );
      delay.disable();
      const elapsed = performance.now() - started;
      const maxDelayMs = delay.max / 1e6;
      const p99DelayMs = delay.percentile(99) / 1e6;
      // In this process the render would block the loop for its whole length (seconds to minutes).
      // Here the loop only waits for the machine: the largest single delay stays under 50 ms.
      assert.ok(maxDelayMs < 50, `largest event-loop delay in this process during the render: ${maxDelayMs.toFixed(1)} ms (p99 ${p99DelayMs.toFixed(1)} ms)`);
      assert.ok(elapsed < 10_000, `ended after ${Math.round(elapsed)} ms`);
      assert.equal(engine.state.error?.code, "engineStopped");
      console.log(`      (event-loop delay during the render: p99 ${p99DelayMs.toFixed(1)} ms, largest ${maxDelayMs.toFixed(1)} ms; ended after ${Math.round(elapsed)} ms)`);
    } finally {
      delay.disable();
      await engine.dispose();
    }
  });

  it("the watchdog does not blame the engine process when this side's own event loop was held up (another extension, a synchronous call)", async () => {
    const logs: string[] = [];
    const engine = processEngine({ watchdogMs: 1_000 }, logs);
    try {
      await engine.configure(settings(await tinyModel()));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      const pid = engine.pid;
      // Hold this process's event loop for 2.5 watchdog periods; the child goes on sending its
      // heartbeats, which wait unread behind the watchdog's timer.
      const until = Date.now() + 2_500;
      while (Date.now() < until) {
        // busy: nothing else runs on this thread meanwhile
      }
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(engine.pid, pid, "the same engine process");
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state));
      assert.ok(!logs.some((line) => /stopped responding/.test(line)), logs.join("\n"));
      const result = await generate(engine, "completion", "const x = ", { maxTokens: 2 });
      assert.ok(result.generatedTokens > 0);
    } finally {
      await engine.dispose();
    }
  });

  it("a model that makes llama.cpp abort while loading: the engine process dies, the state says why, the model is remembered and not loaded again until reloaded", async () => {
    const bad = await badHyperparameterModel("blockCount0");
    const tiny = await tinyModel();
    const crashed = memoryStore();
    // The header check would refuse the file first (its own test); switched off to reach llama.cpp.
    const env = { ...process.env, SLM_TEST_UNSAFE_SKIP_HEADER_CHECK: "1" };
    const engine = processEngine({ env, crashedModels: crashed });
    try {
      await engine.configure(settings(tiny));
      assert.equal(engine.state.kind, "ready");
      const firstPid = engine.pid;
      const configured = engine.configure(settings(bad));
      await waitFor(engine, () => engine.state.kind === "error");
      await configured.catch(() => undefined);
      assert.equal(engine.state.error?.code, "crashedEngine", JSON.stringify(engine.state));
      assert.match(engine.state.error?.message ?? "", /model engine stopped while loading .*\(llama\.cpp aborted, SIGABRT\)/);
      assert.match(engine.state.error?.message ?? "", /GGML_ASSERT|assert/i, "names the failed assertion");
      assert.deepEqual(crashed.files, [bad]);
      assert.equal(engine.pid, undefined, `engine process ${firstPid} is gone`);

      // The next start (a new engine, as after a window reload) refuses it without loading it.
      const next = processEngine({ env, crashedModels: crashed });
      try {
        await next.configure(settings(bad));
        assert.equal(next.state.kind, "error");
        assert.equal(next.state.error?.code, "crashedEngine");
        assert.match(next.state.error?.message ?? "", /crashed the model engine while loading last time/);
        assert.equal(next.pid, undefined, "no engine process was started for it");
      } finally {
        await next.dispose();
      }

      // A good model works on the next request.
      await engine.configure(settings(tiny));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.ok((await engine.generate({ lane: "completion", prompt: "x", maxTokens: 2 })).generatedTokens > 0);

      // Reload Model tries it again (and it crashes again).
      await engine.configure(settings(bad));
      assert.equal(engine.state.error?.code, "crashedEngine");
      const reloaded = engine.reload();
      await waitFor(engine, () => engine.state.kind === "loading");
      await waitFor(engine, () => engine.state.kind === "error");
      await reloaded.catch(() => undefined);
      assert.match(engine.state.error?.message ?? "", /SIGABRT/);
      assert.deepEqual(crashed.files, [bad]);
    } finally {
      await engine.dispose();
    }
  });
});
