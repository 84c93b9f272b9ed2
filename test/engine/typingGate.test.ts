// Typing comes first (src/engine/local/typingGate.ts): where the model's threads leave the editor
// fewer than two cores, a chat answer waits while the user types and goes on a moment after the
// last keystroke, losing nothing; a completion asked for while typing is not held. Real
// node-llama-cpp, both hosts, the chat on its own model (a context with one sequence) and
// completion on another.
import * as assert from "node:assert/strict";
import * as os from "node:os";
import type { Engine } from "../../src/engine/api";
import type { MachineFacts } from "../../src/engine/settings";
import { TYPING_QUIET_MS } from "../../src/engine/local/typingGate";
import { tinyModel } from "../support/models";
import { scriptedChatModel } from "./chatModels";
import { createTestEngine, HOSTS } from "./hosts";

/** Two logical cores and one thread: the model leaves the editor one core, so background work waits. */
const machine: MachineFacts = { logicalCores: 2, physicalCores: 1, homeDir: os.homedir() };
const ANSWER = `${"A long answer that streams while the user types in the editor. ".repeat(16)}The end.`;
const TYPING_MS = 1_200;
const KEY_EVERY_MS = 80;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const host of HOSTS) describe(`typing comes first (real node-llama-cpp, ${host})`, function () {
  this.timeout(120_000);
  let engine: Engine | undefined;
  after(async () => engine?.dispose());

  it("holds a streaming chat answer while the user types, goes on after, loses nothing, and never holds a completion", async () => {
    engine = createTestEngine(host, { machine });
    await engine.configure({ modelPath: await tinyModel(), chatModelPath: await scriptedChatModel(ANSWER), threads: 1, contextSize: 2048, gpu: "off", flashAttention: true });
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
    const target = engine;

    const arrivals: number[] = [];
    let text = "";
    let startTyping!: () => void;
    const streaming = new Promise<void>((resolve) => (startTyping = resolve));
    const answer = target.chat(
      { history: [], question: "Go on.", maxAnswerTokens: 4096, temperature: 0 },
      {
        onText: (chunk) => {
          arrivals.push(performance.now());
          text += chunk;
          if (text.length > 40) startTyping();
        },
      },
    );
    await streaming;

    // The user types: a keystroke every 80 ms for 1.2 s; at the end, a completion is asked for.
    const typingFrom = performance.now();
    const typingUntil = typingFrom + TYPING_MS;
    while (performance.now() < typingUntil) {
      target.noteTyping();
      await sleep(KEY_EVERY_MS);
    }
    const heldFrom = typingFrom + 250; // the batch in flight, and the message's way to the engine process
    const heldTo = performance.now();
    const duringTyping = arrivals.filter((at) => at > heldFrom && at <= heldTo).length;
    target.noteTyping();
    const completionStarted = performance.now();
    const completion = await target.fill({ pieces: [{ text: "const total = " }], maxTokens: 4, maxTimeMs: 30_000, stopTokens: [], stopStrings: [], stopAtNewline: false });
    const completionMs = performance.now() - completionStarted;
    const typedUntil = performance.now();

    const result = await answer;
    const resumedAt = arrivals.find((at) => at > typedUntil);
    assert.ok(duringTyping <= 1, `${duringTyping} pieces of the answer arrived while the user typed (${(heldTo - heldFrom).toFixed(0)} ms)`);
    assert.ok(completion.generatedTokens > 0 && completionMs < 10_000, `the completion asked for while typing ran (${completion.generatedTokens} tokens in ${completionMs.toFixed(0)} ms)`);
    assert.ok(resumedAt !== undefined && resumedAt - typedUntil < TYPING_QUIET_MS + 2_000, "the answer went on after the typing");
    assert.equal(result.text, ANSWER, "nothing lost");
    assert.equal(text, ANSWER);
  });
});
