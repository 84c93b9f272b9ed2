import * as assert from "node:assert/strict";
import * as os from "node:os";
import type { Engine } from "../../src/engine/api";
import type { EngineState } from "../../src/engine/types";
import { tinyModel } from "../support/models";
import { createTestEngine, generate, HOSTS } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

function nextState(engine: Engine, kind: EngineState["kind"], timeoutMs = 10_000): Promise<EngineState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${kind} state within ${timeoutMs} ms (state ${engine.state.kind})`)), timeoutMs);
    const subscription = engine.onDidChangeState((state) => {
      if (state.kind !== kind) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(state);
    });
  });
}

for (const host of HOSTS) describe(`idle unload (real node-llama-cpp, ${host})`, function () {
  this.timeout(60_000);
  let engine: Engine;
  let model: string;

  // One engine for the suite, its idle timer off and its model loaded again before each test:
  // starting a process engine (a fork, and node-llama-cpp's check of its binary in another) costs
  // seconds.
  before(() => {
    engine = createTestEngine(host, { machine });
  });
  after(() => engine.dispose());
  beforeEach(async () => {
    model = await tinyModel();
    engine.setIdleUnload(0);
    await engine.configure({ modelPath: model, threads: 1, contextSize: 512, gpu: "off", flashAttention: true });
    assert.equal(engine.state.kind, "ready");
  });

  it("unloads after the idle time, and the next request loads the model again and is answered", async () => {
    const unloaded = nextState(engine, "unloaded");
    engine.setIdleUnload(150);
    const state = await unloaded;
    assert.equal(state.modelPath, model);
    assert.equal(engine.state.models, undefined, "the model's memory is freed");

    const result = await generate(engine, "completion", "def add(a, b):", { maxTokens: 4, temperature: 0 });
    assert.equal(result.generatedTokens, 4);
    assert.equal(engine.state.kind, "ready");
    assert.equal(engine.state.modelPath, model);
    assert.ok(engine.state.contextSize, "a context again");

    // Chat loads it again too.
    await nextState(engine, "unloaded");
    const answer = await engine.chat({ history: [], question: "Hi", maxAnswerTokens: 4, temperature: 0 }, { signal: new AbortController().signal });
    assert.equal(answer.generatedTokens, 4);
  });

  it("never unloads while a request runs, and restarts the timer after it", async () => {
    engine.setIdleUnload(100);
    const states: string[] = [];
    const subscription = engine.onDidChangeState((s) => states.push(s.kind));
    await generate(engine, "completion", "x", { maxTokens: 200, temperature: 0 });
    assert.ok(!states.includes("unloaded") || states.lastIndexOf("unloaded") > states.lastIndexOf("busy"), states.join(","));
    await nextState(engine, "unloaded");
    subscription.dispose();
  });

  it("0 turns it off: the model stays loaded", async () => {
    engine.setIdleUnload(100);
    engine.setIdleUnload(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(engine.state.kind, "ready");
  });
});
