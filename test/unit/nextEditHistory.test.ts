import * as assert from "node:assert/strict";
import { COALESCE_MS, EditHistory, HISTORY_LIMITS, lineChange, revertHunk } from "../../src/nextEdit/history";

const FILE = "file:///w/a.ts";
const BEFORE = ["function total(items, n) {", "  let sum = 0;", "  for (let i = 0; i < n; i++) sum += items[i];", "  return sum;", "}"];

/** Types `text` into line `line` at `column` one key at a time, recording each keystroke. */
function typeInto(history: EditHistory, lines: string[], line: number, column: number, text: string, at: number): string[] {
  let current = [...lines];
  for (const [i, char] of [...text].entries()) {
    const next = [...current];
    next[line] = next[line]!.slice(0, column + i) + char + next[line]!.slice(column + i);
    history.record(FILE, "a.ts", current.join("\n"), next.join("\n"), at + i * 100);
    current = next;
  }
  return current;
}

describe("next edit: edit history", () => {
  it("finds the changed lines between two texts", () => {
    assert.deepEqual(lineChange(["a", "b", "c"], ["a", "B", "c"]), { start: 1, removed: 1, removedLines: ["b"], added: ["B"] });
    assert.deepEqual(lineChange(["a", "c"], ["a", "b", "c"]), { start: 1, removed: 0, removedLines: [], added: ["b"] });
    assert.deepEqual(lineChange(["a", "b", "c"], ["a", "c"]), { start: 1, removed: 1, removedLines: ["b"], added: [] });
  });

  it("records a rename typed key by key as one edit, in the model's original/updated lines", () => {
    const history = new EditHistory();
    // Delete "n" and type "count": six keystrokes on one line.
    const deleted = [...BEFORE];
    deleted[0] = "function total(items, ) {";
    history.record(FILE, "a.ts", BEFORE.join("\n"), deleted.join("\n"), 1000);
    typeInto(history, deleted, 0, 22, "count", 1100);
    const latest = history.latest(FILE)!;
    assert.deepEqual(latest.original, ["function total(items, n) {"]);
    assert.deepEqual(latest.updated, ["function total(items, count) {"]);
    assert.equal(latest.startLine, 0);
    assert.equal(history.recent(3).length, 1);
  });

  it("keeps edits to other lines, or after a long pause, as separate edits, oldest first", () => {
    const history = new EditHistory();
    const a = [...BEFORE];
    a[0] = "function total(items, count) {";
    history.record(FILE, "a.ts", BEFORE.join("\n"), a.join("\n"), 1000);
    const b = [...a];
    b[3] = "  return sum * 2;";
    history.record(FILE, "a.ts", a.join("\n"), b.join("\n"), 2000);
    const c = [...b];
    c[3] = "  return sum * 3;";
    history.record(FILE, "a.ts", b.join("\n"), c.join("\n"), 2000 + COALESCE_MS + 1);
    const recent = history.recent(3);
    assert.deepEqual(recent.map((hunk) => hunk.updated), [["function total(items, count) {"], ["  return sum * 2;"], ["  return sum * 3;"]]);
    assert.deepEqual(recent[2]!.original, ["  return sum * 2;"]);
  });

  it("forgets an edit the user typed back to what it was", () => {
    const history = new EditHistory();
    const a = [...BEFORE];
    a[1] = "  let sum = 1;";
    history.record(FILE, "a.ts", BEFORE.join("\n"), a.join("\n"), 1000);
    history.record(FILE, "a.ts", a.join("\n"), BEFORE.join("\n"), 1200);
    assert.equal(history.latest(FILE), undefined);
    assert.equal(history.fileCount, 0);
  });

  it("extends the latest edit with lines typed right after it (Enter, then a new line)", () => {
    const history = new EditHistory();
    const a = [...BEFORE.slice(0, 2), "  const x = 1;", ...BEFORE.slice(2)];
    history.record(FILE, "a.ts", BEFORE.join("\n"), a.join("\n"), 1000);
    const b = [...a.slice(0, 3), "  const y = 2;", ...a.slice(3)];
    history.record(FILE, "a.ts", a.join("\n"), b.join("\n"), 1500);
    const latest = history.latest(FILE)!;
    assert.deepEqual(latest.original, []);
    assert.deepEqual(latest.updated, ["  const x = 1;", "  const y = 2;"]);
    assert.deepEqual(revertHunk(b, latest), BEFORE);
  });

  it("is bounded: hunks per file, files, and lines per side", () => {
    const history = new EditHistory();
    let lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    for (let i = 0; i < HISTORY_LIMITS.hunksPerFile + 4; i++) {
      const next = [...lines];
      next[i * 3] = `edited ${i}`;
      history.record(FILE, "a.ts", lines.join("\n"), next.join("\n"), 1000 + i * 10);
      lines = next;
    }
    assert.equal(history.recent(100).length, HISTORY_LIMITS.hunksPerFile);
    for (let f = 0; f < HISTORY_LIMITS.files + 5; f++) history.record(`file:///w/${f}.ts`, `${f}.ts`, "a", "b", 5000 + f);
    assert.equal(history.fileCount, HISTORY_LIMITS.files);
    assert.equal(history.latest(FILE), undefined, "the least recently edited file is forgotten first");

    const paste = Array.from({ length: HISTORY_LIMITS.linesPerSide * 3 }, (_, i) => `pasted ${i}`).join("\n");
    history.record(FILE, "a.ts", "x", paste, 9000);
    const big = history.latest(FILE)!;
    assert.equal(big.updated.length, HISTORY_LIMITS.linesPerSide);
    assert.equal(big.truncated, true);
    assert.equal(revertHunk(paste.split("\n"), big), undefined, "a truncated edit cannot rebuild the old window");
  });
});
