import * as assert from "node:assert/strict";
import { SuggestionCache } from "../../src/completion/cache/suggestionCache";
import { AdaptiveDebounce, median, sleep } from "../../src/completion/gate/debounce";
import { ExtraContext, jaccard, wordSet } from "../../src/completion/context/extraContext";
import { describeDrop, gateRequest, languageEnabled } from "../../src/completion/gate/gates";
import { withInsertedText } from "../../src/completion/pipeline";
import type { CompletionRequest, CompletionSettings } from "../../src/completion/types";

const settings: CompletionSettings = { enabled: true, languages: [], multiline: "auto", maxTokens: 64, maxTimeMs: 1000, maxLineSuffix: 8, debounceMs: 150 };

describe("suggestion cache (typing as suggested)", () => {
  const key = (before: string, after = "\n}") => ({ documentKey: "d", before, after });

  it("serves the rest of a suggestion while the user types its first characters", () => {
    const cache = new SuggestionCache();
    cache.store(key("function f() {\n  return "), "a + b;");
    assert.equal(cache.lookup(key("function f() {\n  return ")), "a + b;");
    assert.equal(cache.lookup(key("function f() {\n  return a")), " + b;");
    assert.equal(cache.lookup(key("function f() {\n  return a + b")), ";");
    assert.equal(cache.lookup(key("function f() {\n  return a + b;")), undefined, "fully typed: nothing left");
    assert.equal(cache.lookup(key("function f() {\n  return x")), undefined, "typed something else");
    assert.equal(cache.lookup(key("function f() {\n  return a", "\n}\nmore")), undefined, "text after the cursor changed");
    assert.equal(cache.lookup({ documentKey: "other", before: "function f() {\n  return ", after: "\n}" }), undefined);
  });

  it("an entry made at the top of the document matches only there", () => {
    const cache = new SuggestionCache();
    cache.store(key(""), "import x;");
    assert.equal(cache.lookup(key("")), "import x;");
    assert.equal(cache.lookup(key("imp")), "ort x;");
    assert.equal(cache.lookup(key("other text ")), undefined);
  });

  it("keeps only the latest entries", () => {
    const cache = new SuggestionCache();
    for (let i = 0; i < 100; i++) cache.store(key(`prefix ${i} `), `s${i}`);
    assert.equal(cache.lookup(key("prefix 99 ")), "s99");
    assert.equal(cache.lookup(key("prefix 0 ")), undefined);
  });

  it("answers a lookup quickly even when full", () => {
    const cache = new SuggestionCache();
    for (let i = 0; i < 64; i++) cache.store(key(`${"y".repeat(600)}${i}`), "z".repeat(200));
    const started = performance.now();
    for (let i = 0; i < 100; i++) cache.lookup(key(`${"y".repeat(800)}q`));
    assert.ok((performance.now() - started) / 100 < 5);
  });
});

describe("completion gates", () => {
  it("honours the language list with exclusions", () => {
    assert.ok(languageEnabled({ languages: [] }, "python"));
    assert.ok(languageEnabled({ languages: ["python", "go"] }, "go"));
    assert.ok(!languageEnabled({ languages: ["python"] }, "go"));
    assert.ok(!languageEnabled({ languages: ["!markdown"] }, "markdown"));
    assert.ok(languageEnabled({ languages: ["!markdown"] }, "rust"));
  });

  it("does not auto-trigger with real text right of the cursor, but closers are fine", () => {
    const base = { languageId: "ts", explicit: false };
    assert.equal(gateRequest(settings, { ...base, lineSuffix: ");" }), undefined);
    assert.equal(gateRequest(settings, { ...base, lineSuffix: "  }) " }), undefined);
    assert.equal(gateRequest(settings, { ...base, lineSuffix: "someLongIdentifier)" }), "textRightOfCursor");
    assert.equal(gateRequest(settings, { ...base, lineSuffix: "someLongIdentifier)", explicit: true }), undefined);
    assert.equal(gateRequest({ ...settings, enabled: false }, { ...base, lineSuffix: "" }), "disabled");
    assert.equal(gateRequest({ ...settings, enabled: false }, { ...base, lineSuffix: "", explicit: true }), undefined);
    assert.equal(describeDrop("timeout"), "timed out");
  });
});

describe("adaptive debounce", () => {
  it("does not wait for slow typing or an explicit request, and waits out a fast burst", () => {
    const d = new AdaptiveDebounce();
    assert.equal(d.delayFor(false, 150, 0), 0);
    for (const t of [0, 400, 800, 1200]) d.noteKeystroke(t);
    assert.equal(d.delayFor(false, 150, 1201), 0, "slow typist");
    const fast = new AdaptiveDebounce();
    for (const t of [0, 100, 200, 300, 400]) fast.noteKeystroke(t);
    assert.ok(fast.delayFor(false, 150, 401) > 50);
    assert.equal(fast.delayFor(true, 150, 401), 0);
    assert.ok(fast.delayFor(false, 30, 401) <= 30);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([1, 2, 3, 4]), 2.5);
  });

  it("sleep ends early on abort", async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), 5);
    assert.equal(await sleep(5_000, c.signal), false);
    assert.equal(await sleep(1), true);
  });
});

describe("extra context", () => {
  it("replaces near-duplicates, drops chunks like the cursor window, and is bounded", () => {
    const ctx = new ExtraContext();
    const code = "export function parseConfig(text: string) { return JSON.parse(text); }";
    ctx.add("a.ts", code);
    ctx.add("b.ts", code + " ");
    assert.equal(ctx.size, 1);
    ctx.add("c.ts", "class Repository { find(id: number) { return this.items.get(id); } }");
    assert.equal(ctx.select(10_000, code).map((c) => c.file).join(), "c.ts");
    for (let i = 0; i < 40; i++) ctx.add(`f${i}.ts`, `const value${i} = compute${i}(input${i}, other${i});`);
    assert.ok(ctx.size <= 16);
    assert.ok(ctx.select(100, "").length <= 1);
    ctx.add("bin", "a\u0000b".repeat(20));
    assert.ok(!ctx.select(100_000, "").some((c) => c.file === "bin"));
  });

  it("measures word overlap", () => {
    assert.equal(jaccard(wordSet("a b c"), wordSet("a b c")), 1);
    assert.equal(jaccard(wordSet("a b"), wordSet("c d")), 0);
  });
});

describe("pre-fetch request", () => {
  it("builds the document as it would be after accepting a suggestion", () => {
    const lines = ["function f() {", "  return ", "}"];
    const req: CompletionRequest = { documentKey: "d", fileName: "f.ts", languageId: "ts", text: { lineCount: 3, lineAt: (n) => lines[n]! }, cursor: { line: 1, character: 9 }, eol: "\n", explicit: false };
    const single = withInsertedText(req, "a + b;");
    assert.equal(single.text.lineAt(1), "  return a + b;");
    assert.deepEqual(single.cursor, { line: 1, character: 15 });
    const multi = withInsertedText(req, "a +\n    b;");
    assert.equal(multi.text.lineCount, 4);
    assert.equal(multi.text.lineAt(1), "  return a +");
    assert.equal(multi.text.lineAt(2), "    b;");
    assert.equal(multi.text.lineAt(3), "}");
    assert.deepEqual(multi.cursor, { line: 2, character: 6 });
  });
});
