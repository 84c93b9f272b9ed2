import * as assert from "node:assert/strict";
import { fitDiff, splitByFile } from "../../src/scm/diffBudget";
import { cleanCommitMessage, commitRequest } from "../../src/scm/prompt";

const file = (name: string, lines: number) =>
  `diff --git a/${name} b/${name}\nindex 1..2 100644\n--- a/${name}\n+++ b/${name}\n@@ -1 +1,${lines} @@\n${Array.from({ length: lines }, (_, i) => `+line ${i}`).join("\n")}\n`;
// One token per word: a stand-in for the model's tokenizer.
const measure = async (text: string) => text.split(/\s+/).filter(Boolean).length;

describe("commit message: the diff within a token budget", () => {
  it("keeps every file when the diff fits", async () => {
    const diff = file("a.py", 3) + file("b.py", 2);
    assert.equal(splitByFile(diff).length, 2);
    const fitted = await fitDiff(diff, 1000, measure);
    assert.equal(fitted.text, diff);
    assert.deepEqual(fitted.leftOut, []);
  });

  it("keeps files in order while they fit, then names the rest with their changed line counts", async () => {
    const diff = file("a.py", 3) + file("big.py", 500) + file("c.py", 2);
    const fitted = await fitDiff(diff, 200, measure);
    assert.ok(fitted.text.startsWith(file("a.py", 3)));
    assert.match(fitted.text, /big\.py: 500 changed line\(s\) left out/);
    assert.match(fitted.text, /c\.py: 2 changed line\(s\) left out/);
    assert.deepEqual(fitted.leftOut, ["big.py", "c.py"]);
    assert.ok(fitted.tokens <= 200);
  });

  it("the prompt names left-out files; the answer loses fences, labels and quotes", () => {
    assert.match(commitRequest("diff", ["big.py"]).question, /1 file\(s\) were too long to show in full: big\.py/);
    assert.equal(cleanCommitMessage("```\nfeat: add sub\n\nBody.\n```"), "feat: add sub\n\nBody.");
    assert.equal(cleanCommitMessage('Commit message: "fix: handle empty input"'), "fix: handle empty input");
  });
});
