import * as assert from "node:assert/strict";
import { MAX_CODE_CHARS, MAX_USER_MESSAGE_CHARS } from "../../src/chat/protocol";
import { safeExternalLink, validateWebviewMessage } from "../../src/chat/validate";

describe("chat webview message validation", () => {
  it("accepts each well-formed message", () => {
    for (const message of [
      { type: "ready" },
      { type: "send", text: "hello" },
      { type: "stop" },
      { type: "newChat" },
      { type: "copyCode", code: "x" },
      { type: "insertCode", code: "" },
      { type: "openLink", href: "https://example.com" },
      { type: "runAction", action: "selectModel" },
      { type: "renderStats", frames: 10, longestFrameMs: 12.5, framesOver50Ms: 0 },
    ]) {
      const result = validateWebviewMessage(message);
      assert.ok(result.ok, `${JSON.stringify(message)}: ${!result.ok ? result.reason : ""}`);
      assert.deepEqual(result.message, message);
    }
  });

  it("drops fields it does not know", () => {
    const result = validateWebviewMessage({ type: "send", text: "hi", extra: { evil: true } });
    assert.ok(result.ok);
    assert.deepEqual(result.message, { type: "send", text: "hi" });
  });

  it("refuses non-objects, unknown types and wrong field types", () => {
    for (const bad of [null, undefined, 42, "send", [], { type: 1 }, { type: "eval", code: "1" }, { type: "send", text: 5 }, { type: "copyCode" },
      { type: "openLink", href: { toString: "x" } }, { type: "runAction", action: "workbench.action.terminal.new" },
      { type: "renderStats", frames: -1, longestFrameMs: 0, framesOver50Ms: 0 }, { type: "renderStats", frames: 1, longestFrameMs: Number.NaN, framesOver50Ms: 0 }]) {
      assert.equal(validateWebviewMessage(bad).ok, false, JSON.stringify(bad));
    }
  });

  it("refuses an empty message with a sentence for the user", () => {
    const result = validateWebviewMessage({ type: "send", text: "  \n\t " });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.userMessage === "Type a question first.");
  });

  it("refuses a 1 MB message, tells the user the limit, and keeps nothing it cannot give back", () => {
    const text = "a".repeat(1024 * 1024);
    const result = validateWebviewMessage({ type: "send", text });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.match(result.userMessage ?? "", /1,048,576 characters long; the limit is 100,000/);
    assert.equal(result.rejectedText, undefined, "1 MB is not echoed back into the page");
    const justOver = validateWebviewMessage({ type: "send", text: "b".repeat(MAX_USER_MESSAGE_CHARS + 1) });
    assert.ok(!justOver.ok && justOver.rejectedText?.length === MAX_USER_MESSAGE_CHARS + 1, "a message just over the limit goes back to the input box");
    assert.ok(validateWebviewMessage({ type: "send", text: "c".repeat(MAX_USER_MESSAGE_CHARS) }).ok);
  });

  it("refuses oversized code and links", () => {
    assert.equal(validateWebviewMessage({ type: "copyCode", code: "x".repeat(MAX_CODE_CHARS + 1) }).ok, false);
    assert.equal(validateWebviewMessage({ type: "openLink", href: `https://a.b/${"x".repeat(5000)}` }).ok, false);
  });

  it("refuses deeply nested junk without walking all of it", () => {
    let nested: unknown = "x";
    for (let i = 0; i < 10_000; i++) nested = { a: nested };
    assert.equal(validateWebviewMessage({ type: "stop", nested }).ok, false);
  });

  it("lets only http, https and mailto links out", () => {
    assert.equal(safeExternalLink("https://example.com/a?b=1")?.hostname, "example.com");
    assert.ok(safeExternalLink("mailto:someone@example.com"));
    for (const bad of ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
      "vscode://command/workbench.action.terminal.new", "command:workbench.action.terminal.new", "https://user:pass@example.com", "not a url", "//example.com"]) {
      assert.equal(safeExternalLink(bad), undefined, bad);
    }
  });
});
