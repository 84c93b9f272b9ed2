import * as assert from "node:assert/strict";
import { chatHtml, newNonce } from "../../src/chat/editor/html";

describe("chat webview page", () => {
  const nonce = newNonce();
  const html = chatHtml({
    cspSource: "https://file+.vscode-resource.vscode-cdn.net",
    nonce,
    scriptUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/chat.js",
    styleUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/chat.css",
  });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "";

  it("locks the page down: nothing by default, scripts only by nonce, styles only from the extension", () => {
    const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    assert.deepEqual(directives.get("default-src"), ["'none'"]);
    assert.deepEqual(directives.get("script-src"), [`'nonce-${nonce}'`]);
    assert.deepEqual(directives.get("style-src"), ["https://file+.vscode-resource.vscode-cdn.net"]);
    assert.deepEqual(directives.get("form-action"), ["'none'"]);
    assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval") && !csp.includes("http:") && !csp.includes("*"));
    assert.ok(!directives.has("img-src") && !directives.has("connect-src"), "no images or network");
  });

  it("has exactly one script, with the nonce, and no inline code or style", () => {
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0]?.[1], "");
    assert.ok(scripts[0]?.[0].includes(`nonce="${nonce}"`));
    assert.ok(!/<style\b/.test(html) && !/\sstyle=/.test(html) && !/\son\w+=/.test(html));
  });

  it("makes a fresh, unguessable nonce each time", () => {
    const nonces = new Set(Array.from({ length: 50 }, newNonce));
    assert.equal(nonces.size, 50);
    assert.ok(nonce.length >= 24);
  });
});
