import * as assert from "node:assert/strict";
import type { EngineState } from "../../src/engine/types";
import { chatModelInfo } from "../../src/lm/modelInfo";
import { hasNonTextParts, messageText, requestShape, ROLE, toChatRequest, type LmMessage } from "../../src/lm/messages";

const text = (value: string) => ({ value });
const message = (role: number, ...parts: unknown[]): LmMessage => ({ role, content: parts });

describe("language model provider: messages", () => {
  it("system messages become the system prompt, the last user message the question, the rest history", () => {
    const request = toChatRequest(
      [
        message(ROLE.system, text("Be brief.")),
        message(ROLE.user, text("What is "), text("a stack?")),
        message(ROLE.assistant, text("A LIFO list.")),
        message(ROLE.user, text("And a queue?")),
      ],
      { maxAnswerTokens: 100, temperature: 0.3 },
    );
    assert.equal(request.system, "Be brief.");
    assert.equal(request.question, "And a queue?");
    assert.deepEqual(request.history, [
      { role: "user", text: "What is a stack?" },
      { role: "assistant", text: "A LIFO list." },
    ]);
    assert.equal(request.maxAnswerTokens, 100);
    assert.equal(request.temperature, 0.3);
  });

  it("without a system message, our own system prompt applies (none is set); without a user message it refuses", () => {
    assert.equal(toChatRequest([message(ROLE.user, text("Hi"))], { maxAnswerTokens: 1, temperature: 0 }).system, undefined);
    assert.throws(() => toChatRequest([message(ROLE.assistant, text("Hi"))], { maxAnswerTokens: 1, temperature: 0 }), /no user message/);
  });

  it("reads the text of tool results, and tells images and tool calls apart from text", () => {
    const toolResult = { callId: "1", content: [text("42")] };
    assert.equal(messageText(message(ROLE.user, text("Result: "), toolResult)), "Result: 42");
    assert.equal(hasNonTextParts(message(ROLE.user, text("a"), toolResult)), false);
    assert.equal(hasNonTextParts(message(ROLE.user, { mimeType: "image/png", data: new Uint8Array(1) })), true);
    assert.equal(hasNonTextParts(message(ROLE.assistant, { callId: "1", name: "search", input: {} })), true);
    assert.equal(messageText("plain"), "plain");
  });

  it("model options: temperature clamped, a token cap never above the model's output limit", () => {
    const defaults = { maxAnswerTokens: 1024, temperature: 0.2 };
    assert.deepEqual(requestShape(undefined, defaults, 2048), defaults);
    assert.deepEqual(requestShape({ temperature: 5, maxTokens: 99_999 }, defaults, 2048), { temperature: 2, maxAnswerTokens: 2048 });
    assert.deepEqual(requestShape({ temperature: "hot", max_tokens: 50 }, defaults, 2048), { temperature: 0.2, maxAnswerTokens: 50 });
  });
});

describe("language model provider: the listed model", () => {
  const ready: EngineState = {
    kind: "ready",
    notices: [],
    contextSize: 4096,
    lanes: { chat: { path: "/models/qwen-instruct.gguf", name: "Qwen2.5 Coder Instruct" } },
    models: [{ lanes: ["chat"], summary: { path: "/models/qwen-instruct.gguf", name: "Qwen2.5 Coder Instruct", architecture: "qwen2", sizeBytes: 1 } }],
  };

  it("names the chat model, its architecture as family, and splits the context into input and output", () => {
    const info = chatModelInfo(ready, 1024);
    assert.equal(info.name, "Qwen2.5 Coder Instruct");
    assert.equal(info.family, "qwen2");
    assert.equal(info.version, "qwen-instruct.gguf");
    assert.equal(info.maxOutputTokens, 1024);
    assert.equal(info.maxInputTokens, 3072);
    assert.deepEqual(info.capabilities, { imageInput: false, toolCalling: false });
    assert.equal(info.available, true);
    assert.equal(chatModelInfo({ ...ready, contextSize: 1024 }, 1024).maxOutputTokens, 512, "at most half the context, as the chat lane keeps");
  });

  it("with no model, or a chat model that failed, an entry that says why", () => {
    const none = chatModelInfo({ kind: "noModel", notices: [] }, 1024);
    assert.equal(none.available, false);
    assert.match(none.unavailableReason ?? "", /No chat model is loaded/);
    const failed = chatModelInfo({ ...ready, laneErrors: { chat: { code: "notGguf", message: "x.gguf is not a GGUF model file." } } }, 1024);
    assert.equal(failed.available, false);
    assert.equal(failed.unavailableReason, "x.gguf is not a GGUF model file.");
  });
});
