import * as assert from "node:assert/strict";
import { WindowPlanner, type PromptWindow, type WindowBudget } from "../../src/completion/context/window";
import type { CompletionRequest, TextSource } from "../../src/completion/types";

function source(lines: string[]): TextSource {
  return { lineCount: lines.length, lineAt: (n) => lines[n]! };
}

function request(lines: string[], line: number, character: number, documentKey = "doc"): CompletionRequest {
  return { documentKey, fileName: `${documentKey}.ts`, languageId: "typescript", text: source(lines), cursor: { line, character }, eol: "\n", explicit: false };
}

/** Today's full window, a 600-character cold budget beside it. */
const full: WindowBudget = { prefixChars: 3000, suffixChars: 800, middleChars: 400, middleLines: 16 };
const cold: WindowBudget = { ...full, coldChars: 600 };
const file = Array.from({ length: 600 }, (_, i) => `  line ${i} ${"x".repeat(i % 23)}`);

/** The characters a window adds to the evaluated prompt on top of `before` (the state it continues). */
function newChars(before: PromptWindow | undefined, after: PromptWindow): number {
  const promptText = (w: PromptWindow) => `${w.prefix}\u0000${w.suffix}\u0000${w.middle}`;
  const a = before ? promptText(before) : "";
  const b = promptText(after);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return b.length - common;
}

describe("completion window: the cold start at a new place", () => {
  it("sizes the first window at a fresh place to the cold budget, marked not full", () => {
    const planner = new WindowPlanner();
    const w = planner.plan(request(file, 300, 2), cold);
    assert.equal(w.full, false);
    assert.ok(w.prefix.length + w.suffix.length + w.middle.length <= cold.coldChars!, String(w.prefix.length + w.suffix.length));
    assert.ok(w.prefix.length >= 300, `a useful prefix: ${w.prefix.length}`);
    assert.ok(w.prefix.endsWith(`${file[299]}\n`));
    assert.ok(planner.needsRefresh(request(file, 300, 2), cold), "idle warm-up grows it");
  });

  it("after warm-up, the prompt for a place equals today's full window, whatever came before", () => {
    for (const [line, character] of [[300, 0], [301, 4], [17, 2], [590, 1]] as const) {
      const today = new WindowPlanner().plan(request(file, line, character), full);
      const planner = new WindowPlanner(4);
      planner.plan(request(file, 250, 0), cold);
      planner.plan(request(file, line, character), cold);
      const warmed = planner.plan(request(file, line, character), cold, planner.needsRefresh(request(file, line, character), cold));
      assert.deepEqual(warmed, today);
      assert.equal(warmed.full, true);
      // Typing on after the warm-up keeps that window.
      assert.equal(planner.plan(request(file, line, character + 1), cold).prefix, today.prefix);
    }
  });

  it("a move down within a region re-evaluates only the lines between the old and new anchor, plus the suffix", () => {
    const planner = new WindowPlanner();
    const before = planner.plan(request(file, 300, 0), cold, true);
    const after = planner.plan(request(file, 318, 0), cold);
    assert.deepEqual(after.anchor, { line: 318, character: 0 });
    assert.deepEqual(after.prefixStart, before.prefixStart, "the prompt's start stays");
    assert.equal(after.prefix, before.prefix + `${file.slice(300, 318).join("\n")}\n`);
    assert.ok(newChars(before, after) <= cold.coldChars!, String(newChars(before, after)));
    assert.equal(after.full, false);
  });

  it("a move down within the anchor's reach puts the lines between in the middle and fits the suffix to the cold budget", () => {
    const planner = new WindowPlanner();
    const before = planner.plan(request(file, 300, 0), cold, true);
    const after = planner.plan(request(file, 306, 0), cold);
    assert.deepEqual([after.anchor, after.prefix], [before.anchor, before.prefix]);
    assert.equal(after.middle, `${file.slice(300, 306).join("\n")}\n`);
    assert.ok(newChars(before, after) <= cold.coldChars! + 2, String(newChars(before, after)));
    assert.equal(after.full, false);
    assert.ok(planner.needsRefresh(request(file, 306, 0), cold));
  });

  it("a move up within a region re-evaluates only the suffix and the middle", () => {
    const planner = new WindowPlanner();
    const before = planner.plan(request(file, 300, 0), cold, true);
    const after = planner.plan(request(file, 290, 3), cold);
    assert.deepEqual(after.prefixStart, before.prefixStart);
    assert.ok(before.prefix.startsWith(after.prefix));
    assert.ok(newChars(before, after) <= after.suffix.length + after.middle.length + 2);
  });

  it("uses the full window at once when the cold budget allows it", () => {
    const planner = new WindowPlanner();
    const roomy = planner.plan(request(file, 300, 0), { ...full, coldChars: 100_000 });
    assert.equal(roomy.full, true);
    assert.deepEqual(roomy, new WindowPlanner().plan(request(file, 300, 0), full));
  });

  it("remembers one window per document, as many documents as the engine keeps KV states", () => {
    const planner = new WindowPlanner(2);
    const a = planner.plan(request(file, 300, 0, "a"), cold, true);
    planner.plan(request(file, 100, 0, "b"), cold, true);
    assert.deepEqual(planner.plan(request(file, 300, 0, "a"), cold), a, "a return finds the same window");
    planner.plan(request(file, 100, 0, "b"), cold);
    planner.plan(request(file, 200, 0, "c"), cold, true);
    assert.ok(planner.needsRefresh(request(file, 300, 0, "a"), cold), "the least recently used document was forgotten");
    assert.equal(planner.needsRefresh(request(file, 200, 1, "c"), cold), false);
  });

  it("keeps typing forward at the cold window's prefix and suffix until the warm-up", () => {
    const planner = new WindowPlanner();
    const lines = [...file];
    lines[400] = "";
    const first = planner.plan(request(lines, 400, 0), cold);
    const typed = "  value = 1";
    for (let i = 1; i <= typed.length; i++) {
      lines[400] = typed.slice(0, i);
      const w = planner.plan(request(lines, 400, i), cold);
      assert.deepEqual([w.prefix, w.suffix, w.middle, w.full], [first.prefix, first.suffix, typed.slice(0, i), false]);
    }
  });
});
