import * as assert from "node:assert/strict";
import { clipLongLines } from "../../src/completion/clip";
import type { CompletionRequest } from "../../src/completion/types";

function request(lines: string[], line: number, character: number): CompletionRequest {
  return { documentKey: "k", fileName: "a.js", languageId: "javascript", text: { lineCount: lines.length, lineAt: (n) => lines[n]! }, cursor: { line, character }, eol: "\n", explicit: false };
}

describe("long lines in completion context (clip)", () => {
  it("cuts the cursor's line to a window around the cursor, keeping the text at the cursor", () => {
    const line = "abcdefghij".repeat(10_000); // 100,000 characters
    const clipped = clipLongLines(request([line], 0, 60_003), 16_384);
    const text = clipped.text.lineAt(0);
    assert.ok(text.length <= 16_384 && text.length >= 8_192, String(text.length));
    assert.equal(text.slice(0, clipped.cursor.character), line.slice(60_003 - clipped.cursor.character, 60_003), "the text before the cursor is the document's");
    assert.equal(text.slice(clipped.cursor.character, clipped.cursor.character + 20), line.slice(60_003, 60_023));
  });

  it("keeps the window still while typing forward (same start), so the prompt prefix does not move", () => {
    const line = "x".repeat(100_000);
    const first = clipLongLines(request([line], 0, 50_000), 16_384);
    const next = clipLongLines(request([line], 0, 50_001), 16_384);
    assert.equal(50_000 - first.cursor.character, 50_001 - next.cursor.character);
  });

  it("keeps the end of a long line above and the start of one below; short lines are untouched", () => {
    const above = `${"a".repeat(50_000)}END`;
    const below = `START${"b".repeat(50_000)}`;
    const clipped = clipLongLines(request([above, "short", "cursor here", below], 2, 6), 1_000);
    assert.ok(clipped.text.lineAt(0).endsWith("END") && clipped.text.lineAt(0).length === 1_000);
    assert.ok(clipped.text.lineAt(3).startsWith("START") && clipped.text.lineAt(3).length === 1_000);
    assert.equal(clipped.text.lineAt(1), "short");
    assert.deepEqual(clipped.cursor, { line: 2, character: 6 });
  });

  it("never splits a surrogate pair at a cut", () => {
    const line = "𝒜".repeat(40_000); // 80,000 UTF-16 units
    for (const at of [20_000, 20_001, 40_000, 79_999]) {
      const clipped = clipLongLines(request([line, line], 0, at), 1_001);
      for (const text of [clipped.text.lineAt(0), clipped.text.lineAt(1)]) {
        assert.ok(!/^[\udc00-\udfff]/.test(text) && !/[\ud800-\udbff]$/.test(text), `cut inside a pair at ${at}`);
      }
    }
  });
});
