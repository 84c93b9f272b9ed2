import * as assert from "node:assert/strict";
import { interpretPrediction, parsePredictedWindow, windowDiff, type PredictionInput } from "../../src/nextEdit/proposal";

const CURRENT = [
  "function total(items, count) {",
  "  let sum = 0;",
  "  for (let i = 0; i < n; i++) sum += items[i];",
  "  return sum;",
  "}",
].join("\n");
const ORIGINAL = CURRENT.replace("items, count", "items, n");

function input(output: string, over: Partial<PredictionInput> = {}): PredictionInput {
  return {
    output,
    complete: true,
    window: { start: 10, end: 15 },
    currentWindow: CURRENT,
    originalWindow: ORIGINAL,
    cursor: { line: 10, character: 28 },
    ...over,
  };
}

describe("next edit: parse, diff and what to show", () => {
  it("maps the renamed use to a change elsewhere: a jump with the removed text and the new text", () => {
    const result = interpretPrediction(input(`${CURRENT.replace("i < n;", "i < count;")}\n`));
    assert.ok("proposal" in result, JSON.stringify(result));
    assert.equal(result.proposal.kind, "jump");
    const edit = result.proposal.edit;
    assert.deepEqual(edit.range, { start: { line: 12, character: 22 }, end: { line: 12, character: 23 } });
    assert.equal(edit.removed, "n");
    assert.equal(edit.text, "count");
  });

  it("shows an insertion at the cursor as ghost text, and one later on the cursor's line with the text between", () => {
    const atCursor = interpretPrediction(input(CURRENT.replace("let sum = 0;", "let sum = 0; // total"), { cursor: { line: 11, character: 14 } }));
    assert.ok("proposal" in atCursor && atCursor.proposal.kind === "ghost", JSON.stringify(atCursor));
    assert.deepEqual(atCursor.proposal.range, { start: { line: 11, character: 14 }, end: { line: 11, character: 14 } });
    assert.equal(atCursor.proposal.insertText, " // total");

    const later = interpretPrediction(input(CURRENT.replace("let sum = 0;", "let sum = 0; // total"), { cursor: { line: 11, character: 6 } }));
    assert.ok("proposal" in later && later.proposal.kind === "ghost", JSON.stringify(later));
    assert.deepEqual(later.proposal.range, { start: { line: 11, character: 6 }, end: { line: 11, character: 14 } });
    assert.equal(later.proposal.insertText, "sum = 0; // total");
  });

  it("an insertion before the cursor or on another line is a jump, not ghost text", () => {
    const before = interpretPrediction(input(CURRENT.replace("let sum", "let mut sum"), { cursor: { line: 11, character: 12 } }));
    assert.ok("proposal" in before);
    assert.equal(before.proposal.kind, "jump");
  });

  it("drops a prediction that changes nothing", () => {
    const result = interpretPrediction(input(`${CURRENT}\n`));
    assert.deepEqual(result, { dropped: "noChange", detail: "the model expects no change here" });
  });

  it("drops a prediction that undoes the last edit, wholly or on its lines", () => {
    assert.equal((interpretPrediction(input(ORIGINAL)) as { dropped: string }).dropped, "undoesLastEdit");
    // The renamed line put back together with a change elsewhere is still an undo.
    const mixed = interpretPrediction(input(ORIGINAL.replace("return sum;", "return sum * 2;")));
    assert.deepEqual(mixed, { dropped: "undoesLastEdit", detail: "the proposal would undo your last edit" });
    // A change on other lines alone is fine.
    const onOtherLines = interpretPrediction(input(CURRENT.replace("return sum;", "return sum * 2;")));
    assert.ok("proposal" in onOtherLines);
  });

  it("drops a window that does not parse: cut off, or most of its lines missing", () => {
    assert.equal((interpretPrediction(input(CURRENT, { complete: false })) as { dropped: string }).dropped, "unparsable");
    const short = interpretPrediction(input("function total(items, count) {\n"));
    assert.deepEqual(short, { dropped: "unparsable", detail: "the model wrote 1 of the window's 5 lines" });
  });

  it("parses the window up to a stop marker the model wrote as text", () => {
    assert.deepEqual(parsePredictedWindow(`${CURRENT}\n<|file_sep|>other.ts\n`, true, CURRENT), { window: CURRENT });
  });

  it("diffs to one change and keeps surrogate pairs whole", () => {
    assert.deepEqual(windowDiff("abc", "aXc"), { start: 1, end: 2, text: "X" });
    assert.deepEqual(windowDiff("a😀c", "a😃c"), { start: 1, end: 3, text: "😃" });
    assert.deepEqual(windowDiff("ab", "ab!"), { start: 2, end: 2, text: "!" });
  });
});
