import * as assert from "node:assert/strict";
import { extractCode, fitToSelection } from "../../src/edit/cleanOutput";
import { applyHunk, diffLines, revertHunk } from "../../src/edit/lineDiff";
import { clipContext, editRequest, selectionTooLarge } from "../../src/edit/prompt";

describe("edit selection: cleaning the model's answer", () => {
  it("takes the inside of the first fenced block and drops the prose around it", () => {
    assert.equal(extractCode("Here is the updated code:\n\n```python\nx: int = 1\n```\n\nThis adds a type."), "x: int = 1");
    assert.equal(extractCode("~~~ts\nconst a = 1;\n~~~"), "const a = 1;");
  });

  it("while streaming, shows what is inside a fence that has not closed yet", () => {
    assert.equal(extractCode("Sure:\n```js\nconst a = 1;\nconst b"), "const a = 1;\nconst b");
    assert.equal(extractCode("Here is the updated code:\n\n"), "");
  });

  it("without fences: drops a leading sentence and a closing sentence after a blank line, keeps code", () => {
    assert.equal(extractCode("Here is the rewritten function:\ndef f():\n    return 1\n\nThis returns one."), "def f():\n    return 1\n");
    assert.equal(extractCode("this.items = [];\nreturn this;"), "this.items = [];\nreturn this;", "code that starts with 'this' stays");
  });

  it("puts back the selection's indentation when the model dropped it, and its final newline", () => {
    assert.equal(fitToSelection("if x:\n    y()", "    if x:\n        y()\n"), "    if x:\n        y()\n");
    assert.equal(fitToSelection("a = 1\n\n\n", "a=1"), "a = 1");
    assert.equal(fitToSelection("  a = 1", "  a=1\n"), "  a = 1\n", "indentation already right");
  });
});

describe("edit selection: line diff", () => {
  const a = "one\ntwo\nthree\nfour\nfive\n";
  const b = "one\nTWO\nthree\nfour\nFIVE\nsix\n";

  it("finds each changed run of lines as a hunk", () => {
    assert.deepEqual(diffLines(a, b), [
      { aStart: 1, aEnd: 2, bStart: 1, bEnd: 2 },
      { aStart: 4, aEnd: 5, bStart: 4, bEnd: 6 },
    ]);
    assert.deepEqual(diffLines(a, a), []);
  });

  it("accepting a hunk applies only it; rejecting one takes only it back", () => {
    const [first, second] = diffLines(a, b);
    assert.equal(applyHunk(a, b, first!), "one\nTWO\nthree\nfour\nfive\n");
    assert.equal(revertHunk(a, b, first!), "one\ntwo\nthree\nfour\nFIVE\nsix\n");
    assert.equal(applyHunk(a, b, second!), "one\ntwo\nthree\nfour\nFIVE\nsix\n");
    assert.equal(applyHunk(applyHunk(a, b, second!), b, diffLines(applyHunk(a, b, second!), b)[0]!), b);
  });
});

describe("edit selection: prompt and limits", () => {
  it("gives the language, the surrounding lines and the instruction, with our own system prompt", () => {
    const request = editRequest({ languageId: "python", fileName: "m.py", before: "import os\n", selection: "def f(): pass\n", after: "f()\n", instruction: " add a docstring " }, 2048);
    assert.match(request.question, /^File: m\.py \(python\)/);
    assert.match(request.question, /Code before the selection \(do not repeat it\):\n```python\nimport os\n```/);
    assert.match(request.question, /Selected code to rewrite:\n```python\ndef f\(\): pass\n```/);
    assert.match(request.question, /Instruction: add a docstring\n/);
    assert.match(request.system ?? "", /Reply with the rewritten code only/);
    assert.equal(request.maxAnswerTokens, 2048);
    assert.match(editRequest({ languageId: "md", fileName: "a.md", before: "", selection: "````\n```\n", after: "", instruction: "x" }, 64).question, /`````md\n````\n```\n`````/, "a longer fence than any inside");
  });

  it("clips the surrounding lines at line boundaries", () => {
    const text = "aaaa\nbbbb\ncccc\n";
    assert.equal(clipContext(text, "before", 8), "cccc\n");
    assert.equal(clipContext(text, "after", 8), "aaaa\n");
  });

  it("refuses a selection whose rewrite would not fit the answer, in a sentence", () => {
    assert.equal(selectionTooLarge(1000, 2048, 4096), undefined);
    assert.match(selectionTooLarge(3000, 2048, 4096) ?? "", /^The selection is 3,000 tokens: too large to rewrite here\. The chat model's context \(4,096 tokens, slm\.contextSize\) leaves room for a rewrite of about 1,625\./);
  });
});
