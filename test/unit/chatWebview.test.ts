import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { stableBoundary } from "../../media/chat/blocks";
import { CodeHighlighter, FINAL_HIGHLIGHT_BUDGET_MS, HIGHLIGHT_BUDGET_MS, MAX_HIGHLIGHT_CHARS } from "../../media/chat/highlight";

const root = path.resolve(__dirname, "..", "..", "..");

describe("chat webview code", () => {
  it("type-checks under its own tsconfig (DOM lib, vscode-webview types)", function () {
    this.timeout(60_000);
    const result = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "media", "chat")], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  describe("streaming block boundary", () => {
    it("commits finished paragraphs and keeps the growing tail", () => {
      const text = "First paragraph.\n\nSecond one\nis still";
      assert.equal(stableBoundary(text, 0), "First paragraph.\n\n".length);
    });

    it("waits for the line after a blank line before committing", () => {
      assert.equal(stableBoundary("First.\n\n", 0), 0);
      assert.equal(stableBoundary("First.\n\nSec", 0), 0, "the last line may still grow");
    });

    it("never splits inside a code fence, even across blank lines", () => {
      const text = "Intro\n\n```js\nconst a = 1;\n\nconst b = 2;\n\nx\n";
      assert.equal(stableBoundary(text, 0), "Intro\n\n".length);
      const closed = `${text}\`\`\`\n\nAfter.\n`;
      assert.equal(stableBoundary(closed, 0), closed.length - "After.\n".length);
    });

    it("does not split lists, indented continuations or tilde fences", () => {
      assert.equal(stableBoundary("1. one\n\n2. two\n", 0), 0);
      assert.equal(stableBoundary("- a\n\n  more of a\n", 0), 0);
      assert.equal(stableBoundary("~~~\n\n```\n\nstill code\n", 0), 0);
    });

    it("treats an unclosed fence as open to the end", () => {
      assert.equal(stableBoundary("```python\nprint(1)\n\nprint(2)\n\nstill\n", 0), 0);
    });

    it("continues from where it last committed", () => {
      const text = "A\n\nB\n\nC\n";
      const first = stableBoundary(text, 0);
      assert.equal(first, "A\n\nB\n\n".length);
      assert.equal(stableBoundary(text, first), first);
    });
  });

  describe("code highlighting, bounded by size and time", () => {
    const code = (chars: number): string => "function add(a, b) { return a + b; } // sum\n".repeat(Math.ceil(chars / 44)).slice(0, chars);

    it("colours a known language and leaves an unknown one to the caller", () => {
      const highlighter = new CodeHighlighter();
      assert.equal(highlighter.highlight("const a = 1;", "ts")?.language, "ts", "aliases work");
      const typescript = highlighter.highlight("const a = '<b>';", "typescript");
      assert.match(typescript?.html ?? "", /<span class="hljs-keyword">const<\/span>/);
      assert.ok(typescript?.html.includes("&lt;b&gt;"), "the code's text stays escaped");
      assert.equal(highlighter.highlight("x", "no-such-language"), undefined);
    });

    it(`shows a block over ${MAX_HIGHLIGHT_CHARS.toLocaleString("en-US")} characters as plain text`, () => {
      const highlighter = new CodeHighlighter();
      assert.equal(highlighter.skipped(code(MAX_HIGHLIGHT_CHARS), "javascript"), false);
      assert.equal(highlighter.skipped(code(MAX_HIGHLIGHT_CHARS + 1), "javascript"), true);
      assert.equal(highlighter.highlight(code(MAX_HIGHLIGHT_CHARS + 1), "javascript"), undefined);
    });

    it("learns its speed: once colouring is measured slow, blocks that would pass the frame budget are shown plain", () => {
      // A clock that says every highlight took 1 ms per 100 characters (a slow machine).
      let time = 0;
      let pending = 0;
      const highlighter = new CodeHighlighter(() => (time += pending));
      pending = 0;
      const first = code(2_000);
      pending = first.length / 100; // the clock advances this much per read: 20 ms for 2,000 characters
      assert.ok(highlighter.highlight(first, "javascript"));
      const budgetChars = HIGHLIGHT_BUDGET_MS * 100;
      assert.equal(highlighter.skipped(code(budgetChars - 10), "javascript"), false);
      assert.equal(highlighter.skipped(code(budgetChars + 10), "javascript"), true);
      // A finished answer is coloured once, not every frame: it may take longer.
      assert.equal(highlighter.skipped(code(budgetChars + 10), "javascript", FINAL_HIGHLIGHT_BUDGET_MS), false);
    });

    it("colours a 20,000-character block once on this machine (time printed), then streams blocks of that size plain", () => {
      const warm = new CodeHighlighter();
      warm.highlight(code(2_000), "javascript");
      const highlighter = new CodeHighlighter();
      const block = code(20_000);
      const started = performance.now();
      assert.ok(highlighter.highlight(block, "javascript", FINAL_HIGHLIGHT_BUDGET_MS));
      const took = performance.now() - started;
      console.log(`      highlight.js: 20,000 characters of JavaScript in ${took.toFixed(1)} ms; streaming it would be ${highlighter.skipped(block, "javascript") ? "plain" : "coloured"}`);
      if (took > HIGHLIGHT_BUDGET_MS) assert.equal(highlighter.skipped(block, "javascript"), true);
    });
  });
});
