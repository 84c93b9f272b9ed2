import * as assert from "node:assert/strict";
import { buildQuote, fenceFor, looksBinary, type CodeRegion } from "../../src/chat/quote";

const region = (code: string, extra: Partial<CodeRegion> = {}): CodeRegion => ({
  fileLabel: "src/math.ts",
  languageId: "typescript",
  startLine: 10,
  endLine: 10 + code.split("\n").length - 1,
  code,
  ...extra,
});

describe("explain/summarize question", () => {
  it("quotes the code with file name, language and line range", async () => {
    const quote = await buildQuote("explain", region("function add(a, b) {\n  return a + b;\n}"), () => true);
    assert.equal(
      quote.question,
      "Explain what this code does from `src/math.ts` (TypeScript, lines 10–12):\n\n```typescript\nfunction add(a, b) {\n  return a + b;\n}\n```",
    );
    assert.equal(quote.keptLines, 3);
  });

  it("says how the code was chosen when nothing was selected", async () => {
    const quote = await buildQuote("summarize", region("x = 1", { languageId: "python", origin: "Nothing was selected, so the enclosing function `f` is used." }), () => true);
    assert.match(quote.question, /^Summarize this code in a few sentences from `src\/math\.ts` \(Python, line 10\):/);
    assert.match(quote.question, /_Nothing was selected, so the enclosing function `f` is used\._/);
    assert.match(quote.question, /```python\nx = 1\n```/);
  });

  it("keeps as many whole lines as fit and says how many were left out", async () => {
    const code = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join("\n");
    const quote = await buildQuote("explain", region(code), (q) => q.length < 2000);
    assert.ok(quote.question.length < 2000);
    assert.ok(quote.keptLines > 100 && quote.keptLines < 1000);
    assert.equal(quote.totalLines, 1000);
    assert.match(quote.question, new RegExp(`Only lines 10–${10 + quote.keptLines - 1} fit in the model's context: ${1000 - quote.keptLines} of 1,000 lines were left out`));
    assert.ok(quote.question.includes(`line ${quote.keptLines - 1}\n\`\`\``));
    assert.ok(!quote.question.includes(`line ${quote.keptLines}\n`));
  });

  it("keeps the start of a single enormous line rather than nothing", async () => {
    const quote = await buildQuote("explain", region("z".repeat(100_000)), async (q) => q.length < 3000);
    assert.ok(quote.question.length < 3000);
    assert.match(quote.question, /only the start of its first line is included/);
    assert.match(quote.question, /z{100,} …/);
  });

  it("fences code that itself contains fences with a longer fence", async () => {
    assert.equal(fenceFor("no ticks"), "```");
    assert.equal(fenceFor("````md\n```\n````"), "`````");
    const quote = await buildQuote("explain", region("```\n<script>alert(1)</script>\n```", { languageId: "markdown" }), () => true);
    assert.match(quote.question, /````markdown\n```\n<script>alert\(1\)<\/script>\n```\n````$/);
  });

  it("recognises binary content", () => {
    assert.equal(looksBinary("plain text\nwith lines\ttabs"), false);
    assert.equal(looksBinary(""), false);
    assert.equal(looksBinary("PK\u0003\u0004\u0000\u0000abc"), true);
    assert.equal(looksBinary("\ufffd\ufffd\ufffdELF\u0002\u0001\u0001".repeat(20)), true);
    assert.equal(looksBinary("naïve façade — ünïcödé ✓ 漢字"), false);
  });
});
