// The chat commands inside the real extension host, on the tiny model (random weights: its answers
// are noise, so these tests check what the extension sends, keeps and tells the user, not prose).
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { ExplainResult } from "../../src/chat/editor/explainSelection";
import type { ChatTurn } from "../../src/chat/protocol";
import { extensionApi, setSetting, testModels, TINY_MODEL_NAME, waitForReady } from "./helpers";
import { report } from "./report";

async function openDocument(content: string, language: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument({ content, language });
  return vscode.window.showTextDocument(document);
}

function explain(): Thenable<ExplainResult | undefined> {
  return vscode.commands.executeCommand<ExplainResult | undefined>("slm.explainSelection");
}

const TS_SOURCE = [
  "export class Stack<T> {",
  "  private items: T[] = [];",
  "",
  "  push(item: T): void {",
  "    this.items.push(item);",
  "  }",
  "",
  "  pop(): T | undefined {",
  "    return this.items.pop();",
  "  }",
  "}",
  "",
].join("\n");

describe("Chat commands (extension host, tiny model)", function () {
  this.timeout(120_000);

  before(async () => {
    // Short answers, one thread: the tiny model's answers are noise; their length does not matter.
    await setSetting("chat.maxAnswerTokens", 16);
    // Greedy sampling: the same answer every run (a sampled end token would end it early).
    await setSetting("chat.temperature", 0);
    await setSetting("threads", 1);
    const api = await extensionApi();
    await waitForReady(api, testModels().tiny, "the tiny model", (s) => s.kind === "ready" && s.modelPath === testModels().tiny && s.threads === 1);
    await vscode.commands.executeCommand("slm.newChat");
  });

  after(async () => {
    await vscode.commands.executeCommand("slm.newChat");
    await setSetting("chat.maxAnswerTokens", undefined);
    await setSetting("chat.temperature", undefined);
    await setSetting("threads", undefined);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("answers a question from slm.openChat with the model's name and speed", async () => {
    const started = performance.now();
    const answer = await vscode.commands.executeCommand<ChatTurn>("slm.openChat", { query: "What is a stack?" });
    assert.ok(answer, "no answer");
    assert.equal(answer.role, "assistant");
    assert.equal(answer.end, "maxTokens", "random weights never stop on their own");
    assert.equal(answer.stats?.model, TINY_MODEL_NAME);
    assert.equal(answer.stats?.generatedTokens, 16);
    assert.ok((answer.stats?.tokensPerSecond ?? 0) > 0);
    assert.match(answer.notes?.join("\n") ?? "", /reached the 16-token limit \(slm\.chat\.maxAnswerTokens\)/);
    report(`chat answer of 16 tokens on the tiny model: ${(performance.now() - started).toFixed(0)} ms, first token ${answer.stats?.timeToFirstTokenMs.toFixed(0)} ms`);
  });

  it("explains a selection, quoting file, language and line range", async () => {
    const editor = await openDocument(TS_SOURCE, "typescript");
    editor.selection = new vscode.Selection(3, 0, 6, 0);
    const result = await explain();
    assert.ok(result);
    assert.match(result.question, /^Explain what this code does from `Untitled-\d+` \(TypeScript, lines 4–6\):\n\n```typescript\n {2}push\(item: T\): void \{\n {4}this\.items\.push\(item\);\n {2}\}\n```$/);
    assert.equal(result.answer.role, "assistant");
    assert.ok(result.answer.end === "maxTokens" || result.answer.end === "done");
  });

  it("with nothing selected, explains the enclosing function (from the language's symbols)", async function () {
    const editor = await openDocument(TS_SOURCE, "typescript");
    // The TypeScript service starts lazily; wait until it answers with symbols.
    const deadline = Date.now() + 30_000;
    let symbols: vscode.DocumentSymbol[] | undefined;
    while (Date.now() < deadline) {
      symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>("vscode.executeDocumentSymbolProvider", editor.document.uri);
      if (symbols?.length) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (!symbols?.length) {
      report("no TypeScript symbol provider answered in this editor: enclosing-function test skipped");
      this.skip();
    }
    editor.selection = new vscode.Selection(8, 6, 8, 6); // inside pop()
    const result = await explain();
    assert.ok(result);
    assert.match(result.question, /\(TypeScript, lines 8–10\)/);
    assert.match(result.question, /_Nothing was selected, so the enclosing method `pop` is used\._/);
    assert.match(result.question, /```typescript\n {2}pop\(\): T \| undefined \{\n {4}return this\.items\.pop\(\);\n {2}\}\n```/);
  });

  it("with nothing selected and no symbols, explains the lines around the cursor", async () => {
    const editor = await openDocument("first paragraph line 1\nline 2\n\nsecond paragraph a\nb\nc\n\nthird\n", "plaintext");
    editor.selection = new vscode.Selection(4, 0, 4, 0);
    const result = await explain();
    assert.ok(result);
    assert.match(result.question, /\(plain text, lines 4–6\)/);
    assert.match(result.question, /```\nsecond paragraph a\nb\nc\n```/);
    assert.match(result.question, /the lines around the cursor are used/);
  });

  it("cuts a selection larger than the context visibly, saying how much was left out", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `const value${i} = compute(${i}, "some text to make the line longer");`);
    const editor = await openDocument(lines.join("\n"), "javascript");
    editor.selection = new vscode.Selection(0, 0, editor.document.lineCount, 0);
    const started = performance.now();
    const result = await explain();
    assert.ok(result);
    const match = /Only lines 1–(\d+) fit in the model's context: ([\d,]+) of 20,000 lines were left out/.exec(result.question);
    assert.ok(match, result.question.slice(-300));
    assert.equal(Number(match[1]) + Number(match[2]!.replace(/,/g, "")), 20_000);
    assert.notEqual(result.answer.end, "error", result.answer.notes?.join(" "));
    report(`explain of a 20,000-line selection: ${(performance.now() - started).toFixed(0)} ms, ${match[1]} lines kept`);
  });

  it("does not send a binary file to the model", async () => {
    const editor = await openDocument(`PK\u0003\u0004\u0000\u0000\u0014\u0000${"\u0000\u0001\u0002".repeat(200)}`, "plaintext");
    editor.selection = new vscode.Selection(0, 0, 0, 10);
    assert.equal(await explain(), undefined);
  });

  it("a second explain right after the first stops the first (keeping it) and answers the second", async () => {
    const editor = await openDocument(TS_SOURCE, "typescript");
    editor.selection = new vscode.Selection(0, 0, 2, 0);
    await setSetting("chat.maxAnswerTokens", 200);
    try {
      const first = explain();
      editor.selection = new vscode.Selection(7, 0, 10, 0);
      const second = explain();
      const [a, b] = await Promise.all([first, second]);
      assert.ok(a && b);
      assert.equal(a.answer.end, "stopped");
      assert.deepEqual(a.answer.notes, ["Stopped: a newer question was asked."]);
      assert.match(b.question, /lines 8–10/);
      assert.ok(b.answer.end === "maxTokens" || b.answer.end === "done");
    } finally {
      await setSetting("chat.maxAnswerTokens", 16);
    // Greedy sampling: the same answer every run (a sampled end token would end it early).
    await setSetting("chat.temperature", 0);
    }
  });
});
