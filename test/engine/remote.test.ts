// The remote engine against a REAL llama-server (llama.cpp's own, built from the same commit as
// node-llama-cpp by scripts/build-llama-server.sh), started here on 127.0.0.1 with generated models.
import * as assert from "node:assert/strict";
import { EngineUnavailableError, type Engine, type FillResult } from "../../src/engine/api";
import { statusText } from "../../src/ui/statusText";
import { startLlamaServer, type RunningLlamaServer } from "../support/llamaServer";
import { scriptedModel } from "../support/models";
import { buildFimPrompt } from "../../src/completion/prompt/fimPrompt";
import { infill } from "./hosts";
import { routedEngine, typeForward } from "./remoteHelpers";

const COMPLETION_SCRIPT = "XYZZY(42);";
const CHAT_SCRIPT = "The server says: this function adds two numbers and returns the sum. ".repeat(3).trim();

describe("remote engine against a real llama-server", function () {
  this.timeout(180_000);
  let completionServer: RunningLlamaServer;
  let chatServer: RunningLlamaServer;
  let completionModel: string;
  const engines: Engine[] = [];
  const track = <T extends Engine>(engine: T): T => {
    engines.push(engine);
    return engine;
  };

  before(async () => {
    completionModel = await scriptedModel(COMPLETION_SCRIPT);
    const chatModel = await scriptedModel(CHAT_SCRIPT, { mode: "chat" });
    [completionServer, chatServer] = await Promise.all([
      startLlamaServer({ model: completionModel, alias: "scripted-coder" }),
      startLlamaServer({ model: chatModel, alias: "scripted-chat" }),
    ]);
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.dispose();
  });
  after(async () => {
    await completionServer?.kill();
    await chatServer?.kill();
  });

  it("reads the model facts and fills in the middle through /completion with our own tokens", async () => {
    const engine = track(await routedEngine({ remote: { server: completionServer.url } }));
    const facts = await engine.laneFacts("completion");
    assert.equal(facts.name, "scripted-coder");
    assert.equal(facts.fim.format?.family, "qwen-coder", JSON.stringify(facts.fim));
    assert.equal(facts.contextSize, 4096);
    const result = await infill(engine, "function main() {\n  ", "\n}\n", 32);
    assert.equal(result.text, COMPLETION_SCRIPT);
    assert.equal(result.stopReason, "eog");
    assert.ok(result.evaluatedTokens > 5, JSON.stringify(result));
    // Streamed per token; the caller's stopSignal ends it normally ("decided") with what came so far.
    const chunks: string[] = [];
    const decided = new AbortController();
    const prompt = await engine.laneFacts("completion").then((f) => buildFimPrompt(f.fim.format!, { prefix: "let a = ", suffix: ";\n" }, { includeBos: true }));
    const early = await engine.fill(
      { pieces: prompt.pieces, maxTokens: 32, maxTimeMs: 10_000, stopTokens: prompt.stopTokens, stopStrings: prompt.stopStrings, stopAtNewline: false },
      { onText: (text) => (chunks.push(text), chunks.join("").length >= 3 && decided.abort()), stopSignal: decided.signal },
    );
    assert.equal(early.stopReason, "decided");
    assert.equal(early.text, chunks.join(""));
    assert.ok(early.text.length >= 3 && early.text.length < COMPLETION_SCRIPT.length, early.text);
    assert.ok(COMPLETION_SCRIPT.startsWith(early.text));
    const remote = engine.state.remote?.completion;
    assert.equal(remote?.model?.id, "scripted-coder");
    assert.equal(remote?.model?.file, completionModel);
    assert.equal(remote?.answeredBy, "server");
    assert.match(statusText(engine.state).text, /scripted-coder · server/);
  });

  it("typing forward evaluates at most 3 tokens per keystroke on the server, within 1 of the local engine", async () => {
    const typed = "  const total = helper12(3) + helper40(7);";
    const remote = track(await routedEngine({ remote: { server: completionServer.url } }));
    const onServer = await typeForward(remote, typed);
    const local = track(await routedEngine({ remote: {}, localModel: completionModel }));
    const onLocal = await typeForward(local, typed);
    assert.ok(onServer.prompt > 1000, `prompt ${onServer.prompt} tokens`);
    assert.ok(onServer.warmed > 1000, `the warm-up evaluates the whole prompt on the server: ${onServer.warmed}`);
    const perKey = onServer.evaluated;
    assert.ok(perKey.length >= typed.length - 2, `${perKey.length} model calls`);
    assert.ok(Math.max(...perKey) <= 3, `evaluated per keystroke on the server (timings.prompt_n): ${perKey.join(",")}`);
    assert.equal(onServer.prompt, onLocal.prompt, "the same prompt tokens");
    console.log(`      evaluated per keystroke: server ${perKey.join(",")}; local ${onLocal.evaluated.join(",")} (prompt ${onServer.prompt} tokens)`);
    const differences = perKey.map((n, i) => Math.abs(n - onLocal.evaluated[i]!));
    assert.ok(Math.max(...differences) <= 1, `server ${perKey.join(",")} vs local ${onLocal.evaluated.join(",")}`);
  });

  it("streams a chat answer and stops it (the request is closed; the server serves the next one)", async () => {
    const engine = track(await routedEngine({ remote: { server: chatServer.url } }));
    const chunks: string[] = [];
    const answer = await engine.chat({ history: [], question: "What does add do?", maxAnswerTokens: 512, temperature: 0 }, { onText: (text) => chunks.push(text) });
    assert.equal(answer.text, CHAT_SCRIPT);
    assert.equal(chunks.join(""), CHAT_SCRIPT);
    assert.ok(chunks.length > 10, `${chunks.length} chunks`);
    assert.equal(answer.stopReason, "eogToken");

    const controller = new AbortController();
    const streamed: string[] = [];
    const stopped = await engine.chat(
      { history: [], question: "Explain it again.", maxAnswerTokens: 512, temperature: 0 },
      { signal: controller.signal, onText: (text) => (streamed.push(text), streamed.length === 3 && controller.abort()) },
    );
    assert.equal(stopped.stopReason, "abort");
    assert.ok(stopped.text.length < CHAT_SCRIPT.length && stopped.text.length > 0, stopped.text);
    const again = await engine.chat({ history: [{ role: "user", text: "What does add do?" }, { role: "assistant", text: answer.text }], question: "And now?", maxAnswerTokens: 512, temperature: 0 });
    assert.equal(again.text, CHAT_SCRIPT);
  });

  it("OpenAI-compatible path: /v1/completions with the raw FIM prompt and /v1/chat/completions", async () => {
    const completion = track(await routedEngine({ remote: { server: completionServer.url, serverKind: "openai" } }));
    const facts = await completion.laneFacts("completion");
    assert.equal(facts.name, "scripted-coder");
    // The name says nothing of a code family: no vocabulary to ask, so no FIM guess either.
    assert.equal(facts.fim.format, undefined);
    const raw: FillResult = await completion.fill({
      pieces: [{ special: "<|fim_prefix|>" }, { text: "function main() {\n  " }, { special: "<|fim_suffix|>" }, { text: "\n}\n" }, { special: "<|fim_middle|>" }],
      maxTokens: 32, maxTimeMs: 10_000, stopTokens: ["<|endoftext|>"], stopStrings: ["<|endoftext|>"], stopAtNewline: false,
    });
    assert.equal(raw.text, COMPLETION_SCRIPT);
    assert.ok(raw.promptTokens > 5, JSON.stringify(raw));

    const chat = track(await routedEngine({ remote: { server: chatServer.url, serverKind: "openai", serverModel: "scripted-chat" } }));
    const chunks: string[] = [];
    const answer = await chat.chat({ history: [], question: "Hi", maxAnswerTokens: 512, temperature: 0 }, { onText: (text) => chunks.push(text) });
    assert.equal(answer.text, CHAT_SCRIPT);
    assert.ok(chunks.length > 10);

    const wrongModel = track(await routedEngine({ remote: { server: chatServer.url, serverKind: "openai", serverModel: "gpt-17" } }));
    await assert.rejects(wrongModel.chat({ history: [], question: "Hi", maxAnswerTokens: 8, temperature: 0 }), /does not serve the model "gpt-17".*scripted-chat/);
  });

  it("per feature: completion on the server, chat on this machine", async () => {
    const localChat = await scriptedModel("Local answer.", { mode: "chat" });
    const engine = track(await routedEngine({ remote: { completionServer: completionServer.url, chatServer: "local" }, localModel: localChat }));
    const fill = await infill(engine, "let x = ", ";\n", 32);
    assert.equal(fill.text, COMPLETION_SCRIPT);
    const answer = await engine.chat({ history: [], question: "Hi", maxAnswerTokens: 64, temperature: 0 });
    assert.equal(answer.text, "Local answer.");
    assert.equal(engine.state.remote?.chat, undefined);
    assert.equal(engine.state.lanes?.chat?.path, localChat);
  });

  it("says why when the server is down, and falls back to the local model when asked to", async () => {
    const stopped = await startLlamaServer({ model: completionModel, alias: "short-lived" });
    const url = stopped.url;
    await stopped.kill();
    const strict = track(await routedEngine({ remote: { server: url } }));
    await assert.rejects(infill(strict, "a", "b", 8), (error: unknown) => error instanceof EngineUnavailableError && /refused the connection/.test(error.message));
    assert.equal(strict.state.remote?.completion?.problem?.code, "down");
    assert.match(statusText(strict.state).text, /server down/);

    const localModel = await scriptedModel("local()");
    const lenient = track(await routedEngine({ remote: { server: url, fallback: "local" }, localModel }));
    const result = await infill(lenient, "a", "b", 8);
    assert.equal(result.text, "local()");
    assert.equal(lenient.state.remote?.completion?.answeredBy, "local");
    assert.match(statusText(lenient.state).text, /local · server down/);
  });
});
