import * as assert from "node:assert/strict";
import * as os from "node:os";
import { ChatService, MAX_PROMPT_HISTORY_CHARS } from "../../src/chat/chatService";
import { ChatHistory, HISTORY_KEY, MAX_HISTORY_TURNS, type KeyValueStore } from "../../src/chat/history";
import type { HostMessage } from "../../src/chat/protocol";
import { DEFAULT_CHAT_SETTINGS } from "../../src/chat/settings";
import type { ChatRequest, ChatResult, Engine, RequestOptions } from "../../src/engine/api";
import { SYSTEM_PROMPT } from "../../src/engine/chatPrompt";
import { resolveTemplate } from "../../src/engine/local/chatTemplate";
import { LocalEngine } from "../../src/engine/local/localEngine";
import type { MachineFacts } from "../../src/engine/settings";
import type { RawEngineSettings } from "../../src/engine/types";
import { tinyModel } from "../support/models";
import { scriptedChatBytesModel, scriptedChatModel } from "./chatModels";
import { createTestEngine, generate, HOSTS, whenIdle } from "./hosts";

const machine: MachineFacts = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };
const settings = (modelPath: string, contextSize = 2048): RawEngineSettings => ({ modelPath, threads: 1, contextSize, gpu: "off", flashAttention: true });

class MapStore implements KeyValueStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

const ANSWER = [
  "Here is how `add` works:",
  "",
  "```ts",
  "function add(a: number, b: number): number {",
  "  return a + b; // naïve — but fine ✓",
  "}",
  "```",
  "",
  "It returns the sum. 🙂",
].join("\n");
const LONG_ANSWER = `${"Streaming a long answer, token by token. ".repeat(22)}The end.`;

function ask(engine: Pick<Engine, "chat">, question: string, extra: Partial<ChatRequest> & RequestOptions = {}): Promise<ChatResult> {
  const { signal = new AbortController().signal, onText, ...request } = extra;
  return engine.chat({ history: [], question, maxAnswerTokens: 4096, temperature: 0, ...request }, { signal, onText });
}

for (const host of HOSTS) describe(`chat on generated models (real node-llama-cpp, ${host})`, function () {
  this.timeout(180_000);
  // One engine for the suite, each test configuring the model it needs: starting a process
  // engine (a fork, and node-llama-cpp's check of its binary in another) costs seconds, a model
  // switch milliseconds.
  let shared: Engine | undefined;
  const engines: Engine[] = [];
  after(async () => {
    await shared?.dispose();
    for (const engine of engines) await engine.dispose();
  });
  const open = async (model: string, contextSize?: number): Promise<Engine> => {
    shared ??= createTestEngine(host, { machine });
    await whenIdle(shared);
    await shared.configure(settings(model, contextSize));
    assert.equal(shared.state.kind, "ready", JSON.stringify(shared.state.error));
    return shared;
  };

  it("streams the answer token by token with the model's chat template and measures it", async () => {
    const engine = await open(await scriptedChatModel(ANSWER));
    const chunks: string[] = [];
    const result = await ask(engine, "What does add do?", { onText: (t) => chunks.push(t) });
    assert.equal(result.text, ANSWER);
    assert.equal(chunks.join(""), ANSWER);
    assert.ok(chunks.length > 20, `streamed in ${chunks.length} chunks`);
    assert.equal(result.stopReason, "eogToken");
    assert.equal(result.generatedTokens, Buffer.byteLength(ANSWER, "utf8"), "one token per byte");
    assert.ok(result.tokensPerSecond > 0 && result.timeToFirstTokenMs >= 0 && result.durationMs >= result.timeToFirstTokenMs);
    assert.deepEqual(result.notes, [], "the model has its own template: no notice");
    assert.ok(result.promptTokens > 20);
  });

  it("counts the answer's tokens exactly: an answer stopped at the cap has as many as the cap", async () => {
    const engine = await open(await tinyModel());
    // Sampled answers of random weights: some end on text the library holds back as a possible
    // stop trigger, where counting onToken's batches gave 15 or 17 for a cap of 16 (in about 1 answer in 4).
    const wrong: string[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await ask(engine, `Tell me story number ${i}.`, { maxAnswerTokens: 16, temperature: 0.9 });
      if (result.stopReason === "maxTokens" && result.generatedTokens !== 16) wrong.push(`${result.generatedTokens}: ${JSON.stringify(result.text)}`);
    }
    assert.deepEqual(wrong, [], "answers stopped at 16 tokens counted otherwise");
  });

  it("falls back to ChatML with a notice when the GGUF has no chat template", async () => {
    const without = await open(await scriptedChatModel("Still answers.", { withoutTemplate: true }));
    const result = await ask(without, "Hello?");
    assert.equal(result.text, "Still answers.");
    assert.equal(result.notes.length, 1);
    assert.match(result.notes[0] ?? "", /has no chat template, so the chat is formatted as ChatML/);
  });

  it("stops within 50 ms of abort, keeping the partial answer, and the lane works again afterwards", async () => {
    const engine = await open(await scriptedChatModel(LONG_ANSWER));
    const abort = new AbortController();
    let abortedAt = 0;
    let received = "";
    const running = ask(engine, "Go on.", {
      signal: abort.signal,
      onText: (t) => {
        received += t;
        if (received.length > 200 && !abort.signal.aborted) {
          abortedAt = performance.now();
          abort.abort();
        }
      },
    });
    const result = await running;
    const stopMs = performance.now() - abortedAt;
    assert.equal(result.stopReason, "abort");
    assert.ok(stopMs < 50, `settled ${stopMs.toFixed(1)} ms after abort`);
    assert.ok(result.text.length >= 200 && result.text.length < LONG_ANSWER.length);
    assert.ok(LONG_ANSWER.startsWith(result.text), "the partial answer is the start of the full one");

    const again = await ask(engine, "Once more.");
    assert.equal(again.text, LONG_ANSWER);
  });

  it("decodes UTF-8 split across tokens, and invalid byte sequences, without losing the text around them", async () => {
    const bytes = Buffer.concat([
      Buffer.from("ok 🙂 "),
      Buffer.from([0xc3]), // a lead byte with no continuation
      Buffer.from(" mid "),
      Buffer.from([0x80, 0xbf]), // lone continuation bytes
      Buffer.from(" 漢字 end"),
    ]);
    const engine = await open(await scriptedChatBytesModel(bytes));
    const chunks: string[] = [];
    const result = await ask(engine, "bytes?", { onText: (t) => chunks.push(t) });
    assert.equal(result.stopReason, "eogToken");
    assert.equal(chunks.join(""), result.text);
    assert.ok(result.text.startsWith("ok 🙂 "), JSON.stringify(result.text));
    assert.ok(result.text.endsWith(" 漢字 end"), JSON.stringify(result.text));
    assert.ok(result.text.includes(" mid "));
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(result.text), "no lone surrogates reach the view");
  });

  it("drops the oldest turns when the conversation outgrows the context, and says so", async () => {
    const engine = await open(await scriptedChatModel("Short answer."), 512);
    const filler = "word ".repeat(120);
    const history = Array.from({ length: 6 }, (_, i) => [
      { role: "user" as const, text: `Question ${i}: ${filler}` },
      { role: "assistant" as const, text: `Answer ${i}: ${filler}` },
    ]).flat();
    const result = await ask(engine, "The latest question", { history, maxAnswerTokens: 64 });
    assert.equal(result.text, "Short answer.");
    assert.ok(result.promptTokens <= 512 - 64, `prompt ${result.promptTokens}`);
    assert.equal(result.notes.length, 1);
    assert.match(result.notes[0] ?? "", /^\d+ earlier messages no longer fit in the model's context \(512 tokens\)/);
  });

  describe("chat service", () => {
    it("streams into the history and the view, keeps a stopped answer, starts over", async () => {
      const engine = await open(await scriptedChatModel(LONG_ANSWER));
      const store = new MapStore();
      const posted: HostMessage[] = [];
      const service = new ChatService(engine, new ChatHistory(store), () => ({ ...DEFAULT_CHAT_SETTINGS, temperature: 0 }));
      service.attach({ post: (m) => posted.push(m) });
      assert.equal(posted[0]?.type, "init");

      const first = await service.ask("First question");
      assert.equal(first.text, LONG_ANSWER);
      assert.equal(first.end, "done");
      assert.equal(first.stats?.model, "SLM scripted model (constructed weights)");
      assert.ok((first.stats?.tokensPerSecond ?? 0) > 0);
      const deltas = posted.filter((m) => m.type === "answerDelta").map((m) => (m.type === "answerDelta" ? m.text : "")).join("");
      assert.equal(deltas, LONG_ANSWER);

      const second = service.ask("Second question");
      await new Promise((resolve) => setTimeout(resolve, 5));
      while (!service.turns.at(-1)?.text && posted.filter((m) => m.type === "answerDelta").length < 2) await new Promise((r) => setTimeout(r, 1));
      const stopAt = performance.now();
      service.stop();
      const stopped = await second;
      assert.ok(performance.now() - stopAt < 50);
      assert.equal(stopped.end, "stopped");
      assert.ok(LONG_ANSWER.startsWith(stopped.text));

      // A window reload: a new history over the same store has everything.
      const reloaded = new ChatHistory(store);
      assert.deepEqual(reloaded.turns.map((t) => [t.role, t.end]), [["user", undefined], ["assistant", "done"], ["user", undefined], ["assistant", "stopped"]]);
      assert.equal(reloaded.turns[3]?.text, stopped.text);

      await service.newChat();
      assert.equal(new ChatHistory(store).turns.length, 0);
      assert.equal(posted.at(-1)?.type, "cleared");
      await service.dispose();
    });

    it("2,000 turns: the view, the store and what is sent to the engine stay bounded; the oldest are dropped visibly", async () => {
      const engine = await open(await scriptedChatModel("Short answer."), 512);
      const store = new MapStore();
      const filler = "word ".repeat(200);
      store.values.set(HISTORY_KEY, { version: 1, turns: Array.from({ length: 2_000 }, (_, i) => ({ id: `t${i}`, role: i % 2 ? "assistant" : "user", text: `${i}: ${filler}`, end: i % 2 ? "done" : undefined })) });
      const sent: ChatRequest[] = [];
      const recording = new Proxy(engine, {
        get(target, property) {
          if (property === "chat") return (request: ChatRequest, options?: RequestOptions) => (sent.push(request), target.chat(request, options));
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const posted: HostMessage[] = [];
      const service = new ChatService(recording, new ChatHistory(store), () => ({ ...DEFAULT_CHAT_SETTINGS, temperature: 0, maxAnswerTokens: 64 }));
      service.attach({ post: (m) => posted.push(m) });
      const init = posted[0];
      assert.ok(init?.type === "init" && init.turns.length === MAX_HISTORY_TURNS && init.dropped === 2_000 - MAX_HISTORY_TURNS, "the view gets the newest turns and how many were dropped");

      const answer = await service.ask("The latest question");
      assert.equal(answer.text, "Short answer.");
      assert.match(answer.notes?.join(" ") ?? "", /earlier messages no longer fit in the model's context \(512 tokens\)/);
      const historyChars = sent[0]!.history.reduce((sum, message) => sum + message.text.length, 0);
      assert.ok(historyChars <= MAX_PROMPT_HISTORY_CHARS, `${historyChars} characters of history sent`);
      const dropped = posted.find((m) => m.type === "turnsDropped");
      assert.ok(dropped?.type === "turnsDropped" && dropped.ids.join() === "t1600,t1601" && dropped.total === 2_000 - MAX_HISTORY_TURNS + 2, JSON.stringify(dropped));
      await service.dispose();
      const stored = store.get<{ turns: unknown[]; dropped: number }>(HISTORY_KEY)!;
      assert.equal(stored.turns.length, MAX_HISTORY_TURNS);
      assert.equal(stored.dropped, 2_000 - MAX_HISTORY_TURNS + 2);
    });

    it("a second question stops the first (keeping it), and both are in the history", async () => {
      const engine = await open(await scriptedChatModel(LONG_ANSWER));
      const service = new ChatService(engine, new ChatHistory(new MapStore()), () => ({ ...DEFAULT_CHAT_SETTINGS, temperature: 0 }));
      const first = service.ask("Explain A");
      const second = service.ask("Explain B");
      const [a, b] = await Promise.all([first, second]);
      assert.equal(a.end, "stopped");
      assert.deepEqual(a.notes, ["Stopped: a newer question was asked."]);
      assert.equal(b.end, "done");
      assert.equal(b.text, LONG_ANSWER);
      assert.deepEqual(service.turns.map((t) => t.role), ["user", "assistant", "user", "assistant"]);
      await service.dispose();
    });

    it("stops with a note when the model is switched mid-answer, then answers with the new model", async () => {
      const engine = await open(await scriptedChatModel(LONG_ANSWER));
      const service = new ChatService(engine, new ChatHistory(new MapStore()), () => ({ ...DEFAULT_CHAT_SETTINGS, temperature: 0 }));
      const running = service.ask("Long one");
      while ((service.turns.at(-1)?.text ?? "").length === 0 && !service.turns.at(-1)?.end) {
        await new Promise((r) => setTimeout(r, 1));
        if (service.turns.length === 2 && service.isAnswering) break;
      }
      const switching = engine.configure(settings(await scriptedChatModel("New model here.")));
      const stopped = await running;
      await switching;
      assert.equal(stopped.end, "stopped");
      assert.deepEqual(stopped.notes, ["Stopped: the model was changed or unloaded while it answered."]);
      const next = await service.ask("Hello again");
      assert.equal(next.text, "New model here.");
      await service.dispose();
    });

    it("answers with a clear error and an action when no model is loaded", async () => {
      const engine = createTestEngine(host, { machine });
      engines.push(engine);
      const posted: HostMessage[] = [];
      const service = new ChatService(engine, new ChatHistory(new MapStore()), () => DEFAULT_CHAT_SETTINGS);
      service.attach({ post: (m) => posted.push(m) });
      const turn = await service.ask("Anyone there?");
      assert.equal(turn.end, "error");
      assert.match(turn.notes?.[0] ?? "", /No model is set/);
      const notice = posted.find((m) => m.type === "notice");
      assert.ok(notice?.type === "notice" && notice.notice.action?.run === "selectModel");
      assert.equal(service.turns.length, 2, "the question stays in the history");
      await service.dispose();
    });
  });
});

// In-process only: these read the chat wrapper and the completion lane's KV cache through
// LocalEngine.withSession, which does not cross the process boundary.
describe("chat on generated models, engine internals (in-process LocalEngine)", function () {
  this.timeout(180_000);
  const engines: LocalEngine[] = [];
  after(async () => {
    for (const engine of engines) await engine.dispose();
  });
  const open = async (model: string, contextSize?: number) => {
    const engine = new LocalEngine({ machine, log: () => undefined });
    engines.push(engine);
    await engine.configure(settings(model, contextSize));
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
    return engine;
  };

  it("reads the chat template from the GGUF (its own Jinja template, not a guess)", async () => {
    const withTemplate = await open(await scriptedChatModel("Hi."));
    await withTemplate.withSession("chat", undefined, async ({ module, model }) => {
      const { wrapper, notice } = resolveTemplate(module, model);
      assert.equal(notice, undefined);
      assert.equal(wrapper.wrapperName, "JinjaTemplate", "the GGUF's own template, not a guess");
      const text = wrapper.generateContextState({ chatHistory: [{ type: "system", text: SYSTEM_PROMPT }, { type: "user", text: "q" }, { type: "model", response: [] }] }).contextText.toString();
      assert.match(text, /<\|im_start\|>system\nYou are a coding assistant/);
    }, () => undefined);
  });

  it("runs on its own sequence: the completion lane's cache is untouched and completions are not held up", async () => {
    const engine = await open(await tinyModel());
    const prefix = "function fibonacci(n) {\n  if (n < 2) return n;\n";
    await generate(engine, "completion", prefix, { maxTokens: 4 });
    const completionTokens = await engine.withSession("completion", undefined, async ({ sequence }) => [...sequence.contextTokens], () => []);
    assert.ok(completionTokens.length > 5);

    // The tiny model (random weights) talks until maxTokens: a long chat answer.
    const chatStarted = performance.now();
    const chat = ask(engine, "Tell me a long story.", { maxAnswerTokens: 400, temperature: 0 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const completionStarted = performance.now();
    const completion = await generate(engine, "completion", prefix, { maxTokens: 4 });
    const completionMs = performance.now() - completionStarted;
    const chatResult = await chat;
    const chatMs = performance.now() - chatStarted;
    assert.equal(completion.generatedTokens, 4);
    assert.ok(chatResult.generatedTokens >= 300, `chat generated ${chatResult.generatedTokens}`);
    assert.ok(completionMs < chatMs / 2, `a completion took ${completionMs.toFixed(0)} ms during a ${chatMs.toFixed(0)} ms chat answer`);

    const after = await engine.withSession("completion", undefined, async ({ sequence }) => [...sequence.contextTokens], () => []);
    assert.deepEqual(after.slice(0, completionTokens.length - 4), completionTokens.slice(0, completionTokens.length - 4), "the completion prompt is still cached");
  });
});
