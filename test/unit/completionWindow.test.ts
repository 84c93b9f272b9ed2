import * as assert from "node:assert/strict";
import { WindowPlanner, sliceText, type WindowBudget } from "../../src/completion/context/window";
import type { CompletionRequest, TextSource } from "../../src/completion/types";

function source(lines: string[]): TextSource {
  return { lineCount: lines.length, lineAt: (n) => lines[n]! };
}

function request(lines: string[], line: number, character: number, documentKey = "doc"): CompletionRequest {
  return { documentKey, fileName: "a.ts", languageId: "typescript", text: source(lines), cursor: { line, character }, eol: "\n", explicit: false };
}

const budget: WindowBudget = { prefixChars: 2000, suffixChars: 500, middleChars: 400, middleLines: 16 };
const file = Array.from({ length: 400 }, (_, i) => `line ${i} ${"x".repeat(i % 30)}`);

describe("completion window", () => {
  it("puts the typed part of the line in the middle and keeps prefix and suffix byte-identical while typing forward", () => {
    const planner = new WindowPlanner();
    const lines = [...file];
    const typed = "    const value = compute(alpha);";
    lines.splice(200, 0, "");
    const windows = [];
    for (let i = 0; i <= typed.length; i += 3) {
      lines[200] = typed.slice(0, i);
      windows.push(planner.plan(request(lines, 200, i), budget));
    }
    for (const w of windows) {
      assert.equal(w.prefix, windows[0]!.prefix);
      assert.equal(w.suffix, windows[0]!.suffix);
      assert.deepEqual(w.anchor, { line: 200, character: 0 });
    }
    assert.equal(windows.at(-1)!.middle, typed.slice(0, 33));
    assert.ok(windows[0]!.prefix.endsWith(`${file[199]}\n`));
    assert.ok(windows[0]!.suffix.startsWith(`\n${file[200]}`));
  });

  it("keeps the anchor across new lines until the middle grows past its limit", () => {
    const planner = new WindowPlanner();
    const lines = [...file];
    planner.plan(request(lines, 100, 0), budget);
    const second = planner.plan(request(lines, 103, 4), budget);
    assert.deepEqual(second.anchor, { line: 100, character: 0 });
    assert.equal(second.middle, `${lines[100]}\n${lines[101]}\n${lines[102]}\n${lines[103]!.slice(0, 4)}`);
    const far = planner.plan(request(lines, 130, 0), budget);
    assert.deepEqual(far.anchor, { line: 130, character: 0 });
    assert.ok(planner.needsRefresh(request(lines, 136, 0), budget));
    assert.equal(planner.needsRefresh(request(lines, 131, 0), budget), false);
  });

  it("re-anchors when the cursor moves above the anchor or to another document", () => {
    const planner = new WindowPlanner();
    planner.plan(request(file, 100, 0), budget);
    assert.deepEqual(planner.plan(request(file, 90, 2), budget).anchor, { line: 90, character: 0 });
    assert.deepEqual(planner.plan(request(file, 95, 0, "other"), budget).anchor, { line: 95, character: 0 });
  });

  it("starts the prefix on a 16-line boundary within budget", () => {
    const w = new WindowPlanner().plan(request(file, 300, 0), budget);
    assert.ok(w.prefix.length <= budget.prefixChars, String(w.prefix.length));
    assert.equal(w.prefixStart.line % 16, 0);
    assert.equal(w.prefixStart.character, 0);
  });

  it("handles a 20,000-character single line without taking it whole", () => {
    const long = "a".repeat(20_000);
    const w = new WindowPlanner().plan(request([long], 0, 15_000), budget);
    assert.ok(w.middle.length <= 128);
    assert.ok(w.prefix.length <= budget.prefixChars);
    assert.ok(w.suffix.length <= budget.suffixChars);
    assert.equal(w.prefix + w.middle, long.slice(15_000 - w.prefix.length - w.middle.length, 15_000));
  });

  it("works at offset 0 and at the end of the file", () => {
    const start = new WindowPlanner().plan(request(["abc", "def"], 0, 0), budget);
    assert.deepEqual([start.prefix, start.middle, start.suffix], ["", "", "abc\ndef"]);
    const end = new WindowPlanner().plan(request(["abc", "def"], 1, 3), budget);
    assert.deepEqual([end.prefix, end.middle, end.suffix], ["abc\n", "def", ""]);
  });

  it("never splits a surrogate pair", () => {
    const emoji = "😀".repeat(5000);
    const w = new WindowPlanner().plan(request([emoji], 0, 6000), budget);
    for (const part of [w.prefix, w.middle, w.suffix]) assert.doesNotMatch(part, /^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it("slices text across lines", () => {
    assert.equal(sliceText(source(["ab", "cd", "ef"]), { line: 0, character: 1 }, { line: 2, character: 1 }), "b\ncd\ne");
    assert.equal(sliceText(source(["ab"]), { line: 0, character: 2 }, { line: 0, character: 1 }), "");
  });
});
