import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineUnavailableError, type Engine, type LogLevel } from "../../src/engine/api";
import { LocalEngine } from "../../src/engine/local/localEngine";
import type { MachineFacts } from "../../src/engine/settings";
import type { EngineState, ModelProblemCode, RawEngineSettings } from "../../src/engine/types";
import {
  emptyFile,
  nonGgufFile,
  oversizedModel,
  tinyModel,
  tinyModelAtTrickyPath,
  truncatedModel,
  unknownArchModel,
} from "../support/models";
import { createTestEngine, generate, HOSTS, infill, type HostKind } from "./hosts";

// Tiny models run far faster on one thread than two on these machines (TESTING.md).
const machine: MachineFacts = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

function settings(modelPath: string, overrides: Partial<RawEngineSettings> = {}): RawEngineSettings {
  return { modelPath, threads: 1, contextSize: 512, gpu: "off", flashAttention: true, ...overrides };
}

function createEngine(host: HostKind, logs: string[] = []): Engine {
  return createTestEngine(host, { machine, log: (level: LogLevel, message: string) => logs.push(`${level}: ${message}`) });
}

for (const host of HOSTS) describe(`engine (${host})`, function () {
  // One engine for both suites: starting a process engine (a fork, and node-llama-cpp's check of
  // its binary in another) costs seconds, a configure milliseconds. The first suite sees it fresh.
  let shared: Engine | undefined;
  const logs: string[] = [];
  after(() => shared?.dispose());

  describe("on a generated model (real node-llama-cpp)", function () {
    this.timeout(120_000);
    let tiny: string;
    let engine: Engine;
    const states: EngineState[] = [];

    before(async () => {
      tiny = await tinyModel();
      engine = shared = createEngine(host, logs);
      engine.onDidChangeState((state) => states.push(state));
    });

    it("starts with no model and loads nothing until configured", () => {
      assert.equal(engine.state.kind, "noModel");
    });

    it("loads the tiny model, reporting loading progress, then ready with its name", async () => {
      await engine.configure(settings(tiny));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.equal(engine.state.modelName, "SLM demo model (random weights)");
      assert.equal(engine.state.threads, 1);
      assert.ok(engine.state.contextSize! >= 512);
      assert.ok(states.some((s) => s.kind === "loading"));
    });

    it("tokenizes and detokenizes with the model's vocabulary", async () => {
      const tokens = await engine.tokenize("completion", "function add(a, b) { return a + b; }");
      assert.ok(tokens.length > 3);
      assert.equal(await engine.detokenize("completion", tokens), "function add(a, b) { return a + b; }");
    });

    it("generates a fixed number of tokens, streaming text chunks", async () => {
      const chunks: string[] = [];
      const result = await generate(engine, "completion", "def main():\n", { maxTokens: 8, onText: (t) => chunks.push(t) });
      assert.equal(result.stopReason === "maxTokens" || result.stopReason === "eogToken", true, result.stopReason);
      assert.ok(result.generatedTokens > 0 && result.generatedTokens <= 8);
      assert.equal(chunks.join(""), result.text);
    });

    it("fills in the middle with the model's FIM tokens", async () => {
      const result = await infill(engine, "const x = ", ";\nconsole.log(x);\n", 6);
      assert.ok(result.generatedTokens > 0);
      assert.equal(typeof result.text, "string");
    });

    it("is busy while a request runs and ready afterwards", async () => {
      const seen: string[] = [];
      const sub = engine.onDidChangeState((s) => seen.push(s.kind));
      await generate(engine, "completion", "x", { maxTokens: 4 });
      sub.dispose();
      assert.deepEqual(seen, ["busy", "ready"]);
    });

    it("stops within 50 ms of abort and returns the partial text", async () => {
      const controller = new AbortController();
      let abortedAt = 0;
      let chunks = 0;
      const pending = generate(engine, "completion", "Once upon a time", {
        maxTokens: 100_000,
        signal: controller.signal,
        onText: () => {
          if (++chunks === 5) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      });
      const result = await pending;
      const stoppedAfter = performance.now() - abortedAt;
      assert.equal(result.stopReason, "abort");
      assert.ok(stoppedAfter < 50, `stopped ${stoppedAfter.toFixed(1)} ms after abort`);
      // The lane is usable again right away.
      const next = await generate(engine, "completion", "again", { maxTokens: 2 });
      assert.ok(next.generatedTokens > 0);
    });

    it("serves one request per lane at a time and runs lanes side by side", async () => {
      const order: string[] = [];
      const run = (lane: "completion" | "chat", label: string) =>
        generate(engine, lane, label, { maxTokens: 3 }).then(() => order.push(label));
      await Promise.all([run("completion", "c1"), run("completion", "c2"), run("chat", "h1")]);
      assert.ok(order.indexOf("c1") < order.indexOf("c2"), order.join(","));
      assert.equal(order.length, 3);
    });

    it("an aborted waiter does not run and does not block the lane", async () => {
      const controller = new AbortController();
      const first = generate(engine, "completion", "first", { maxTokens: 20 });
      const second = generate(engine, "completion", "second", { maxTokens: 20, signal: controller.signal });
      controller.abort();
      const aborted = await second.then(
        (r) => r.stopReason,
        (e: Error) => e.name,
      );
      assert.ok(aborted === "AbortError" || aborted === "abort", aborted);
      await first;
      assert.ok((await generate(engine, "completion", "third", { maxTokens: 2 })).generatedTokens > 0);
    });

    it("applies a new context size and thread count live without reloading the model file", async () => {
      const live = engine;
      await live.configure(settings(tiny));
      const loadsBefore = logs.filter((l) => l.includes("Loaded ")).length;
      await live.configure(settings(tiny, { contextSize: 1024, threads: 2 }));
      assert.equal(live.state.kind, "ready");
      assert.ok(live.state.contextSize! >= 1024);
      assert.equal(live.state.threads, 2);
      assert.equal(logs.filter((l) => l.includes("Loaded ")).length, loadsBefore, "model file was reloaded");
    });
  });

  describe("bad input: a clear message naming the file, then a good model still loads", function () {
    this.timeout(120_000);
    let tiny: string;
    let scratch: string;
    before(async () => {
      tiny = await tinyModel();
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), "slm-bad-"));
    });
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));
    // The engine of the suite above (a new one when run alone), each test configuring it anew.
    const open = (): Engine => (shared ??= createEngine(host, logs));

    async function expectProblem(file: string, code: ModelProblemCode, message: RegExp): Promise<void> {
      const engine = open();
      await engine.configure(settings(file));
      assert.equal(engine.state.kind, "error", `expected an error for ${file}`);
      assert.equal(engine.state.error?.code, code, engine.state.error?.message);
      assert.match(engine.state.error.message, message);
      assert.ok(engine.state.error.message.includes(file), `message should name ${file}: ${engine.state.error.message}`);
      await assert.rejects(generate(engine, "completion", "x", { maxTokens: 1 }), EngineUnavailableError);
      // The same engine recovers with a good model, no restart.
      await engine.configure(settings(tiny));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.ok((await generate(engine, "completion", "ok", { maxTokens: 2 })).generatedTokens > 0);
    }

    it("a missing path", () => expectProblem(path.join(scratch, "does-not-exist.gguf"), "missing", /does not exist/));
    it("a directory", () => expectProblem(scratch, "directory", /is a folder, not a model file/));
    it("an empty file", async () => expectProblem(await emptyFile(), "empty", /is empty/));
    it("a file that is not GGUF", async () => expectProblem(await nonGgufFile(), "notGguf", /is not a GGUF model file/));
    it("a truncated GGUF (reason read from llama.cpp's log)", async () =>
      expectProblem(await truncatedModel(), "truncated", /is (incomplete|damaged or incomplete)/));
    it("an architecture this llama.cpp cannot run", async () =>
      expectProblem(await unknownArchModel(), "unsupportedArchitecture", /architecture, which this version of llama\.cpp cannot run/));
    it("a model larger than free memory", async () =>
      expectProblem(await oversizedModel(), "tooLarge", /needs about [\d.]+ GB of memory .* but only [\d.]+ GB is free/));

    it("a path with spaces and non-ASCII characters loads", async () => {
      const tricky = await tinyModelAtTrickyPath();
      assert.match(tricky, / /);
      assert.match(tricky, /[^\p{ASCII}]/u);
      const engine = open();
      await engine.configure(settings(tricky));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
    });

    it("a context size above the model's training context is clamped with a notice", async () => {
      const engine = open();
      await engine.configure(settings(tiny, { contextSize: 1_000_000 }));
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      assert.ok(engine.state.contextSize! <= 4096 + 256);
      assert.ok(engine.state.notices.some((n) => /slm\.contextSize is 1000000, but .* was trained for at most 4096 tokens/.test(n)), engine.state.notices.join("|"));
    });

    it("a context size below 256 is raised with a notice", async () => {
      const engine = open();
      await engine.configure(settings(tiny, { contextSize: 8 }));
      assert.equal(engine.state.kind, "ready");
      assert.ok(engine.state.notices.some((n) => /slm\.contextSize is 8; the smallest useful context is 256/.test(n)));
    });

    it("threads <= 0 or above the core count are corrected with a notice", async () => {
      const engine = open();
      await engine.configure(settings(tiny, { threads: -1 }));
      assert.equal(engine.state.kind, "ready");
      assert.equal(engine.state.threads, machine.physicalCores);
      assert.ok(engine.state.notices.some((n) => /slm\.threads is -1/.test(n)));
      await engine.configure(settings(tiny, { threads: 999 }));
      assert.equal(engine.state.threads, machine.logicalCores);
      assert.ok(engine.state.notices.some((n) => /slm\.threads is 999, but this machine has/.test(n)));
    });

    it("switching models while a request streams ends that request and loads the new one", async () => {
      const engine = open();
      await engine.configure(settings(tiny));
      const streaming = generate(engine, "completion", "long", { maxTokens: 100_000 }).catch((e: Error) => e);
      await new Promise((r) => setTimeout(r, 50));
      await engine.configure(settings(await tinyModelAtTrickyPath()));
      assert.equal(engine.state.kind, "ready");
      await streaming; // settled (ended by the unload), not hanging
    });
  });
});

// In-process only: fakes the CPU counters (sampleCpu) and reads node-llama-cpp's thread cap through
// withSession, neither of which crosses the process boundary.
describe("engine automatic threads (in-process LocalEngine)", function () {
  this.timeout(120_000);
  let tiny: string;
  before(async () => {
    tiny = await tinyModel();
  });

  it("automatic threads: one fewer while other programs keep a core busy, all again when they stop; the state and log say so", async () => {
    // Fake CPU counters: each sample is a second later; `othersBusy` cores used by other programs.
    let othersBusy = 0;
    let at = 0;
    let busy = 0;
    const sampleCpu = () => {
      at += 1000;
      busy += othersBusy * 1000;
      return { atMs: at, busyMs: busy, ownMs: 0 };
    };
    const logs: string[] = [];
    const engine = new LocalEngine({ machine: { ...machine, physicalCores: 2 }, sampleCpu, log: (level, message) => logs.push(`${level}: ${message}`) });
    const maxThreads = () => engine.withSession("completion", undefined, async ({ llama }) => llama.maxThreads, () => -1);
    const until = (test: (state: EngineState) => boolean) =>
      new Promise<void>((resolve, reject) => {
        if (test(engine.state)) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out; state ${JSON.stringify(engine.state)}`)), 10_000);
        const subscription = engine.onDidChangeState((state) => {
          if (!test(state)) return;
          clearTimeout(timer);
          subscription.dispose();
          resolve();
        });
      });
    try {
      await engine.configure(settings(tiny, { threads: 0 }));
      assert.equal(engine.state.threads, 2);
      assert.equal(engine.state.threadsInUse, undefined);
      assert.equal(await maxThreads(), 2);

      othersBusy = 1;
      await until((state) => state.threadsInUse === 1);
      assert.ok(engine.state.otherCpuCores! >= 0.6, String(engine.state.otherCpuCores));
      assert.equal(engine.state.kind, "ready");
      assert.equal(await maxThreads(), 1, "node-llama-cpp's thread cap follows");
      assert.ok(logs.some((line) => /Other programs are using about \d\.\d CPU cores: generating with 1 of 2 threads/.test(line)), logs.join("\n"));
      assert.ok((await generate(engine, "completion", "function add(a, b) {", { maxTokens: 4 })).generatedTokens > 0, "generates on one thread");

      othersBusy = 0;
      await until((state) => state.threadsInUse === undefined);
      assert.equal(await maxThreads(), 2);
      assert.ok(logs.some((line) => /The CPU is free again/.test(line)));

      // A number set by the user is kept whatever the load.
      await engine.configure(settings(tiny, { threads: 2 }));
      othersBusy = 2;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      assert.equal(engine.state.threadsInUse, undefined);
      assert.equal(await maxThreads(), 2);
    } finally {
      await engine.dispose();
    }
  });
});
