import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { stableBoundary } from "../../media/chat/blocks";

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
});
