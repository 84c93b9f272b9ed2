import * as assert from "node:assert/strict";
import { limitToBlock } from "../../src/completion/postprocess/blockScope";
import { imbalance } from "../../src/completion/postprocess/brackets";
import { trimDuplicateClosers } from "../../src/completion/postprocess/closers";
import { matchDocumentIndentation } from "../../src/completion/postprocess/indentation";
import { allowsMultiline, EndWatcher, postprocessCompletion, type PostprocessContext } from "../../src/completion/postprocess/index";
import { keepSingleLineUnlessBlockStart } from "../../src/completion/postprocess/lineMode";
import { dropRewriteOfLineAbove, stopAtRepeatedLines } from "../../src/completion/postprocess/repetition";
import { dropRepeatOfRightText, stopAtSuffixRepeat } from "../../src/completion/postprocess/suffix";
import { endsWithBlockOpener } from "../../src/completion/postprocess/text";
import { dropBlank, toDocumentLineEndings, trimTrailingWhitespace } from "../../src/completion/postprocess/whitespace";
import { CURSOR, contextAt } from "../support/goldenCases";
import { longVariedBody } from "../support/scriptedAnswers";

/** A context from a document with `█` where the cursor is (TypeScript unless told). */
function at(document: string, options: Partial<PostprocessContext> = {}): PostprocessContext {
  assert.ok(document.includes(CURSOR), "the document needs a █ cursor");
  return contextAt(document, { languageId: "typescript", ...options });
}

describe("postprocess: blank", () => {
  it("drops empty and whitespace-only completions", () => {
    assert.equal(dropBlank(""), "");
    assert.equal(dropBlank(" \n\t\n "), "");
    assert.equal(dropBlank("\u00a0"), "");
    assert.equal(dropBlank(" x"), " x");
  });
});

describe("postprocess: single or multi-line", () => {
  it("knows block openers", () => {
    for (const line of ["function f() {", "def f(x):", "foo(", "xs = [", "const f = () =>", "if x then", "for i in 1..3 do", "  {  "]) {
      assert.ok(endsWithBlockOpener(line), line);
    }
    for (const line of ["foo();", "std::", "x = 1", "undo", "return"]) {
      assert.ok(!endsWithBlockOpener(line), line);
    }
  });

  it("auto: multi-line on an empty line and after an opener, else the first line only", () => {
    assert.equal(allowsMultiline(at("fn main() {\n    █\n}\n", { languageId: "rust" })), true);
    assert.equal(allowsMultiline(at("def f(x):█\n", { languageId: "python" })), true);
    assert.equal(allowsMultiline(at("const x = █;\n")), false);
    assert.equal(allowsMultiline(at("    █foo()\n")), false, "text right of the cursor");
    const ctx = at("let total = █\n");
    assert.equal(keepSingleLineUnlessBlockStart("items.length;\nconsole.log(total);", ctx), "items.length;");
  });

  it("never and always override the position", () => {
    const text = "return a + b\n\nprint(add(1, 2))";
    assert.equal(keepSingleLineUnlessBlockStart(text, at("def add(a, b):\n    █\n", { multiline: "never" })), "return a + b");
    assert.equal(keepSingleLineUnlessBlockStart(text, at("x = 1█\n", { multiline: "always" })), text);
  });

  it("drops a single-line completion whose first line is empty", () => {
    assert.equal(keepSingleLineUnlessBlockStart("\nfoo();", at("bar();█\n")), "");
  });
});

describe("postprocess: repeats what is right of the cursor", () => {
  it("drops a completion that is already right of the cursor", () => {
    assert.equal(dropRepeatOfRightText("value);", at("console.log(█value);\n")), "");
    assert.equal(dropRepeatOfRightText("val", at("console.log(█value);\n")), "");
    assert.equal(dropRepeatOfRightText("return x\n", at("def f(x):\n    █\n    return x\n")), "");
    assert.equal(dropRepeatOfRightText("x + 1", at("return █;\n")), "x + 1");
  });

  it("keeps what comes before the rest of the current line", () => {
    assert.equal(stopAtSuffixRepeat("a, b)", at("foo(█b)\n")), "a, ");
    assert.equal(stopAtSuffixRepeat("user.name) {\n  greet();\n}", at("if (█name) {\n")), "user.");
  });

  it("keeps an ending that only looks like the rest of the line but closes the completion's own bracket", () => {
    assert.equal(stopAtSuffixRepeat("foo(bar)", at("print(█)\n", { languageId: "python" })), "foo(bar)");
    assert.equal(stopAtSuffixRepeat("x)", at("print(█)\n", { languageId: "python" })), "x");
  });

  it("stops where the completion reaches the next line of the document (Go)", () => {
    const ctx = at("func main() {\n\tx := 1\n\t█\n\tfmt.Println(x)\n}\n", { languageId: "go" });
    assert.equal(stopAtSuffixRepeat("y := 2\n\tfmt.Println(x)\n}", ctx), "y := 2");
  });

  it("stops where the completion rejoins the document two lines further down", () => {
    const ctx = at("fn main() {\n    █\n    let a = 1;\n    let b = 2;\n    let c = 3;\n}\n", { languageId: "rust" });
    assert.equal(stopAtSuffixRepeat("let z = 0;\n    let b = 2;\n    let c = 3;\n}", ctx), "let z = 0;");
    assert.equal(stopAtSuffixRepeat("let z = 0;\n    let b = 2;\n    let q = 9;", ctx), "let z = 0;\n    let b = 2;\n    let q = 9;", "one line alone is not enough");
  });

  it("matches a long repeated line even when its indentation differs", () => {
    const ctx = at("def main():\n    █\n    print('done')\n", { languageId: "python" });
    assert.equal(stopAtSuffixRepeat("setup()\n  print('done')", ctx), "setup()");
  });

  it("does not take a nested block's closer for the enclosing one's", () => {
    const ctx = at("function f(x: number) {\n  █\n}\n");
    const text = "if (x > 0) {\n    return x;\n  }\n  return 0;";
    assert.equal(stopAtSuffixRepeat(text, ctx), text);
  });

  it("drops a completion that only rewrites the next line", () => {
    assert.equal(stopAtSuffixRepeat("let b = 2;", at("let a = 1;\n█\nlet b = 2;\n", { languageId: "rust" })), "");
  });

  it("leaves completions at the end of the file alone", () => {
    assert.equal(stopAtSuffixRepeat("return a + b", at("def add(a, b):\n    █", { languageId: "python" })), "return a + b");
  });
});

describe("postprocess: repeated lines", () => {
  const top = at("█");

  it("keeps one copy of a long line written twice in a row", () => {
    assert.equal(stopAtRepeatedLines("x = compute(a)\nx = compute(a)\nx = compute(a)", top), "x = compute(a)");
  });

  it("allows a short line twice but not three times", () => {
    assert.equal(stopAtRepeatedLines("    }\n  }", top), "    }\n  }");
    assert.equal(stopAtRepeatedLines("i++;\ni++;", top), "i++;\ni++;");
    assert.equal(stopAtRepeatedLines("i++;\ni++;\ni++;\ni++;", top), "i++;");
  });

  it("cuts a block written again right after itself", () => {
    const block = "    let a = read();\n    total += a;";
    assert.equal(stopAtRepeatedLines(`${block}\n${block}\n${block}`, top), block);
  });

  it("compares the first line with the indentation left of the cursor", () => {
    const ctx = at("def f():\n    █\n", { languageId: "python" });
    assert.equal(stopAtRepeatedLines("log.info('x')\n    log.info('x')", ctx), "log.info('x')");
  });

  it("keeps code whose lines are alike but not repeated", () => {
    const text = "case 1:\n  return 'one';\ncase 2:\n  return 'two';";
    assert.equal(stopAtRepeatedLines(text, top), text);
  });

  it("drops a completion that rewrites the line above", () => {
    const ctx = at("import os\n█\n", { languageId: "python" });
    assert.equal(dropRewriteOfLineAbove("import os", ctx), "");
    assert.equal(dropRewriteOfLineAbove("import sys", ctx), "import sys");
    assert.equal(dropRewriteOfLineAbove("});", at("  });\n█\n")), "});", "closers may repeat");
  });
});

describe("postprocess: block scope", () => {
  it("ends after the closer of a block the user opened (TypeScript)", () => {
    const ctx = at("function add(a: number, b: number) {█");
    assert.equal(limitToBlock("\n  return a + b;\n}\n\nfunction sub(a: number, b: number) {\n  return a - b;\n}", ctx), "\n  return a + b;\n}");
  });

  it("ends before a dedent on an empty line (Python)", () => {
    const ctx = at("class A:\n    def f(self):\n        █", { languageId: "python" });
    assert.equal(limitToBlock("x = 1\n        return x\n\n    def g(self):\n        pass", ctx), "x = 1\n        return x");
  });

  it("keeps a closer that ends the block when the document has none yet (Rust, end of file)", () => {
    const ctx = at("fn main() {\n    let v = vec![1, 2];\n    █", { languageId: "rust" });
    assert.equal(limitToBlock("println!(\"{:?}\", v);\n}\n\nfn other() {}", ctx), "println!(\"{:?}\", v);\n}");
  });

  it("cuts nothing at the top level", () => {
    const text = "const a = 1;\nconst b = 2;";
    assert.equal(limitToBlock(text, at("█")), text);
  });
});

describe("postprocess: duplicated closers", () => {
  it("measures bracket and quote balance, ignoring brackets in strings", () => {
    assert.equal(imbalance("print(x))"), 1);
    assert.equal(imbalance("print(foo(x)"), 1);
    assert.equal(imbalance("print(\"(\")"), 0);
    assert.equal(imbalance("s = \"abc"), 1);
    assert.equal(imbalance("f(a);;"), 1);
  });

  it("trims a closer the editor auto-closed right of the cursor", () => {
    assert.equal(trimDuplicateClosers("x)", at("print(█)\n", { languageId: "python" })), "x");
    assert.equal(trimDuplicateClosers("a, b]);", at("foo([█]);\n")), "a, b");
    assert.equal(trimDuplicateClosers("hello\"", at("const s = \"█\";\n")), "hello");
    assert.equal(trimDuplicateClosers("é', 'ü']", at("xs = ['█']\n", { languageId: "python" })), "é', 'ü");
  });

  it("keeps a closer that closes the completion's own opener", () => {
    assert.equal(trimDuplicateClosers("foo(bar)", at("print(█)\n")), "foo(bar)");
    assert.equal(trimDuplicateClosers("x", at("print(█)\n")), "x");
  });

  it("trims a multi-line completion's last line when the closer is right of the cursor", () => {
    assert.equal(trimDuplicateClosers("\n  a,\n  b,\n)", at("call(█)\n")), "\n  a,\n  b,\n");
  });

  it("trims closers the next line already has after {+Enter (TypeScript)", () => {
    const ctx = at("function f() {\n  █\n}\n");
    assert.equal(trimDuplicateClosers("return 1;\n}", ctx), "return 1;");
    const call = at("foo(\n  █\n);\n");
    assert.equal(trimDuplicateClosers("a, b);", call), "a, b");
  });

  it("keeps a closer for a block the document left open", () => {
    const ctx = at("function f() {\n  if (x) {\n    █\n}\n");
    assert.equal(trimDuplicateClosers("y();\n  }", ctx), "y();\n  }");
  });

  it("trims a closer for the cursor's own opener when the next line already closes it", () => {
    const ctx = at("xs.map((x) => {█\n})\n");
    assert.equal(trimDuplicateClosers("\n  return x * 2;\n}", ctx), "\n  return x * 2;");
  });
});

describe("postprocess: indentation", () => {
  it("does not indent again where the cursor already stands indented", () => {
    const ctx = at("def f(x):\n    █\n", { languageId: "python", indentUnit: "    " });
    assert.equal(matchDocumentIndentation("    return x", ctx), "return x");
    const deeper = at("def f(x):\n█\n", { languageId: "python", indentUnit: "    " });
    assert.equal(matchDocumentIndentation("    return x", deeper), "    return x", "column 0: the model's indentation is the line's");
  });

  it("keeps extra indentation the line still needs", () => {
    const ctx = at("if (x) {\n  █\n}\n", { indentUnit: "    " });
    assert.equal(matchDocumentIndentation("  y();", ctx), "  y();");
  });

  it("drops a doubled space after the cursor", () => {
    assert.equal(matchDocumentIndentation(" 5;", at("let x = █\n")), "5;");
    assert.equal(matchDocumentIndentation("= 5;", at("let x █\n")), "= 5;");
  });

  it("writes tabs in a tab-indented document (Go)", () => {
    const ctx = at("func main() {\n\tfor i := 0; i < 3; i++ {█\n\t}\n}\n", { languageId: "go", indentUnit: "\t" });
    assert.equal(matchDocumentIndentation("\n        fmt.Println(i)\n    ", ctx), "\n\t\tfmt.Println(i)\n\t");
  });

  it("writes spaces in a space-indented document", () => {
    const ctx = at("class A:\n    def f(self):█\n", { languageId: "python", indentUnit: "    " });
    assert.equal(matchDocumentIndentation("\n\t\treturn 1", ctx), "\n        return 1");
  });

  it("infers tabs from the lines above when the editor does not say", () => {
    const ctx = at("fn main() {\n\tlet x = 1;\n\tif x > 0 {█\n", { languageId: "rust" });
    assert.equal(matchDocumentIndentation("\n    \tprintln!(\"ü\");", ctx), "\n\t\tprintln!(\"ü\");");
  });

  it("indents lines after an opener relative to the document", () => {
    const ctx = at("class A:\n    █\n", { languageId: "python", indentUnit: "    " });
    assert.equal(matchDocumentIndentation("def f(self):\n    return 1", ctx), "def f(self):\n        return 1");
    assert.equal(matchDocumentIndentation("def f(self):\n        return 1", ctx), "def f(self):\n        return 1");
  });
});

describe("postprocess: whitespace and line endings", () => {
  it("trims trailing whitespace, keeping what separates the completion from text right of the cursor", () => {
    assert.equal(trimTrailingWhitespace("foo();  \nbar();\n\n", at("█\n")), "foo();\nbar();");
    assert.equal(trimTrailingWhitespace("a + ", at("x = █b\n")), "a + ");
  });

  it("writes the document's line endings", () => {
    assert.equal(toDocumentLineEndings("a\nb", at("x\r\n█\r\n")), "a\r\nb");
    assert.equal(toDocumentLineEndings("a\nb", at("x\n█\n")), "a\nb");
  });
});

describe("postprocessCompletion", () => {
  it("passes a good single-line completion through untouched", () => {
    const result = postprocessCompletion("items.reduce((sum, x) => sum + x, 0);", at("const total = █\n"));
    assert.deepEqual(result, { text: "items.reduce((sum, x) => sum + x, 0);", changedBy: [] });
  });

  it("names the filter that dropped a completion", () => {
    assert.deepEqual(postprocessCompletion("  \n ", at("x = █\n")), { text: "", droppedBy: "blank", changedBy: [] });
    assert.equal(postprocessCompletion("value);", at("console.log(█value);\n")).droppedBy, "repeatsRightText");
    assert.equal(postprocessCompletion("import os", at("import os\n█\n", { languageId: "python" })).droppedBy, "repeatsLineAbove");
  });

  it("TypeScript: body after {+Enter, without the closer the editor already wrote", () => {
    const ctx = at("export function sum(xs: number[]): number {\n  █\n}\n", { indentUnit: "  " });
    const result = postprocessCompletion("let total = 0;\n  for (const x of xs) total += x;\n  return total;\n}\n\nexport function mean(xs: number[]) {", ctx);
    assert.equal(result.text, "let total = 0;\n  for (const x of xs) total += x;\n  return total;");
    assert.deepEqual(result.changedBy, ["repeatsSuffix"]);
  });

  it("Python: a body after def, stopped at the dedent", () => {
    const ctx = at("def mean(xs):█\n", { languageId: "python", indentUnit: "    " });
    const result = postprocessCompletion("\n    return sum(xs) / len(xs)\n\n\nprint(mean([1, 2]))\n", ctx);
    assert.equal(result.text, "\n    return sum(xs) / len(xs)");
    assert.deepEqual(result.changedBy, ["blockScope"]);
  });

  it("Go with CRLF and tabs: LF and spaces from the model come back as CRLF and tabs", () => {
    const ctx = at("package main\r\n\r\nfunc main() {\r\n\tfor i := 0; i < 3; i++ {█\r\n\t}\r\n}\r\n", { languageId: "go", indentUnit: "\t" });
    const result = postprocessCompletion("\r\n        fmt.Println(i)\r\n    }", ctx);
    assert.equal(result.text, "\r\n\t\tfmt.Println(i)");
    assert.deepEqual(result.changedBy, ["indentation", "repeatsSuffix"]);
  });

  it("Rust: a looping completion keeps one copy", () => {
    const ctx = at("fn main() {\n    let mut v = Vec::new();\n    █\n}\n", { languageId: "rust", indentUnit: "    " });
    const result = postprocessCompletion("v.push(\"naïve ✓\");\n    v.push(\"naïve ✓\");\n    v.push(\"naïve ✓\");", ctx);
    assert.equal(result.text, "v.push(\"naïve ✓\");");
    assert.deepEqual(result.changedBy, ["repeatedLines"]);
  });

  it("single line in the middle of a line: auto-closed bracket and quote", () => {
    const result = postprocessCompletion("über\")\nmore()", at("greet(\"█\")\n", { languageId: "python" }));
    assert.equal(result.text, "über");
    assert.deepEqual(result.changedBy, ["singleLine", "repeatsSuffix"]);
  });

  it("cursor at offset 0 of an empty document", () => {
    const result = postprocessCompletion("#!/usr/bin/env python3\nimport sys\n", at("█", { languageId: "python" }));
    assert.equal(result.text, "#!/usr/bin/env python3\nimport sys");
  });

  it("cursor at offset 0 before existing code", () => {
    const ctx = at("█import os\n", { languageId: "python" });
    assert.equal(postprocessCompletion("import os", ctx).droppedBy, "repeatsRightText");
    assert.equal(postprocessCompletion("import sys\n", ctx).text, "import sys");
  });

  it("cursor at the end of the file with nothing after it", () => {
    const ctx = at("const xs = [1, 2, 3];\nconst doubled = █");
    assert.equal(postprocessCompletion("xs.map((x) => x * 2);\n", ctx).text, "xs.map((x) => x * 2);");
  });

  it("never mode keeps only the first line even at an opener", () => {
    const ctx = at("if (ready) {█\n}\n", { multiline: "never" });
    assert.equal(postprocessCompletion(" start(); }", ctx).text, " start();", "the next line already closes the block");
    assert.equal(postprocessCompletion("\n  start();\n}", ctx).droppedBy, "singleLine");
  });

  it("writes LF when the model answers with CRLF in an LF document", () => {
    const ctx = at("def f():█\n", { languageId: "python", indentUnit: "    " });
    assert.equal(postprocessCompletion("\r\n    return 1\r\n", ctx).text, "\n    return 1");
  });

  it("always mode keeps following statements at the same level", () => {
    const ctx = at("    a = 1█\n", { languageId: "python", multiline: "always" });
    assert.equal(postprocessCompletion("\n    b = 2\nc = 3", ctx).text, "\n    b = 2");
  });

  it("keeps non-ASCII text intact", () => {
    const ctx = at("msg = █\n", { languageId: "python" });
    assert.equal(postprocessCompletion("\"héllo wörld 😀 مرحبا\"", ctx).text, "\"héllo wörld 😀 مرحبا\"");
  });

  it("the long varied body the abort and crash tests generate is never stopped by an end rule", function () {
    this.timeout(10_000);
    // Those tests act while generation runs; an end rule firing first would end it too soon.
    const body = longVariedBody(200);
    const watcher = new EndWatcher(at("function run() {\n█", { multiline: "always" }));
    // Chunks of about a token's length, as the engine streams them.
    for (let i = 0; i < body.length; i += 5) assert.equal(watcher.push(body.slice(i, i + 5)), undefined, `stopped after ${watcher.text.split("\n").length} lines`);
  });
});
