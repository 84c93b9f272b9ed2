import * as assert from "node:assert/strict";
import { buildPrompt, describeTrimming, QUESTION_CUT_MARKER, type PromptMessage } from "../../src/engine/chatPrompt";

// A stand-in for the template + tokenizer: 4 tokens of markup per message, one token per word.
const measure = (messages: readonly PromptMessage[]) =>
  messages.reduce((sum, m) => sum + 4 + m.text.split(/\s+/).filter(Boolean).length, 2);

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(" ");

function conversation(pairs: number, wordsEach: number): PromptMessage[] {
  return Array.from({ length: pairs }, (_, i) => [
    { role: "user" as const, text: words(wordsEach, `q${i}_`) },
    { role: "assistant" as const, text: words(wordsEach, `a${i}_`) },
  ]).flat();
}

describe("chat prompt building", () => {
  it("keeps everything when it fits, system prompt first and the question last", () => {
    const history = conversation(2, 5);
    const built = buildPrompt({ system: "Be brief.", history, question: "why?", budgetTokens: 1000, measure });
    assert.equal(built.droppedTurns, 0);
    assert.equal(built.questionCutChars, 0);
    assert.deepEqual(built.messages[0], { role: "system", text: "Be brief." });
    assert.deepEqual(built.messages.at(-1), { role: "user", text: "why?" });
    assert.equal(built.messages.length, 6);
    assert.equal(built.promptTokens, measure(built.messages));
    assert.deepEqual(describeTrimming(built, 4096), []);
  });

  it("drops the oldest turns first, whole question-and-answer pairs, until the rest fits", () => {
    const history = conversation(10, 20); // each pair: 48 tokens
    const budget = 200;
    const built = buildPrompt({ system: "sys", history, question: "latest question", budgetTokens: budget, measure });
    assert.ok(built.promptTokens <= budget, `${built.promptTokens} > ${budget}`);
    assert.ok(built.droppedTurns > 0);
    assert.equal(built.droppedTurns % 2, 0, "a pair is dropped together");
    assert.equal(built.messages[0]?.role, "system");
    assert.equal(built.messages[1]?.role, "user", "the kept history starts with a question");
    assert.deepEqual(built.messages.at(-1), { role: "user", text: "latest question" });
    // The newest turns are the ones kept, and as many as fit.
    assert.equal(built.messages.at(-2)?.text, history.at(-1)?.text);
    const withOneMore = measure([built.messages[0], ...history.slice(built.droppedTurns - 2), built.messages.at(-1)!]);
    assert.ok(withOneMore > budget, "one more pair would not have fit");
    const notes = describeTrimming(built, 512);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, new RegExp(`^${built.droppedTurns} earlier messages no longer fit in the model's context \\(512 tokens\\)`));
  });

  it("never drops the system prompt or the question, even when every earlier turn must go", () => {
    const history = conversation(3, 50);
    const built = buildPrompt({ system: "sys prompt", history, question: words(30, "w"), budgetTokens: 45, measure });
    assert.equal(built.droppedTurns, 6);
    assert.deepEqual(built.messages.map((m) => m.role), ["system", "user"]);
    assert.equal(built.questionCutChars, 0);
  });

  it("cuts an oversized question at the end, visibly, and says how much was left out", () => {
    const question = words(500, "x");
    const built = buildPrompt({ system: "sys", history: conversation(2, 5), question, budgetTokens: 120, measure });
    assert.ok(built.fits);
    assert.ok(built.promptTokens <= 120);
    const kept = built.messages[1]!.text;
    assert.ok(kept.endsWith(QUESTION_CUT_MARKER));
    assert.ok(question.startsWith(kept.slice(0, kept.length - QUESTION_CUT_MARKER.length)));
    assert.equal(built.questionCutChars, question.length - (kept.length - QUESTION_CUT_MARKER.length));
    assert.ok(built.questionCutChars > 0);
    assert.match(describeTrimming(built, 256).join("\n"), /its last [\d,]+ characters were left out/);
  });

  it("does not split a surrogate pair when cutting", () => {
    const question = "😀".repeat(400);
    const charMeasure = (messages: readonly PromptMessage[]) => messages.reduce((sum, m) => sum + m.text.length, 0);
    const built = buildPrompt({ system: "s", history: [], question, budgetTokens: 201 + QUESTION_CUT_MARKER.length, measure: charMeasure });
    const kept = built.messages[1]!.text.slice(0, -QUESTION_CUT_MARKER.length);
    assert.equal(kept.length % 2, 0);
    assert.doesNotMatch(kept, /[\ud800-\udbff]$/);
  });

  it("reports when not even the system prompt fits", () => {
    const built = buildPrompt({ system: words(100, "s"), history: [], question: "hi", budgetTokens: 10, measure });
    assert.equal(built.fits, false);
  });

  it("takes back turns the per-message estimate dropped too eagerly", () => {
    // Per-message costs overestimate (8 markup tokens alone) while the full prompt costs less.
    const generous = (messages: readonly PromptMessage[]) => (messages.length === 1 ? 40 : measure(messages));
    const history = conversation(6, 3);
    const built = buildPrompt({ system: "s", history, question: "q", budgetTokens: 80, measure: generous });
    assert.ok(built.promptTokens <= 80);
    const earlier = measure([built.messages[0]!, ...history.slice(Math.max(0, built.droppedTurns - 2)), built.messages.at(-1)!]);
    assert.ok(built.droppedTurns === 0 || earlier > 80, "as many turns as fit are kept");
  });
});
