import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
// Default imports: the modules themselves, whose functions can be wrapped (a namespace import is read-only).
import dns from "node:dns";
import * as fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import * as path from "node:path";
import tls from "node:tls";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import { EXTENSION_ID, extensionApi, setSetting, testModels, waitUntil } from "./helpers";

/** Wraps a function so every call records its stack first; returns the undo. */
function observe<T extends object, K extends keyof T>(target: T, key: K, calls: string[]): () => void {
  const original = target[key] as unknown as (...args: unknown[]) => unknown;
  (target as Record<K, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
    calls.push(`${String(key)}\n${new Error().stack ?? ""}`);
    return original.apply(this, args);
  };
  return () => {
    (target as Record<K, unknown>)[key] = original;
  };
}

describe("Privacy: no network with slm.allowNetwork off", function () {
  this.timeout(90_000);
  let api: SlmApi;
  const models = testModels();

  before(async () => {
    api = await extensionApi();
  });

  after(async () => {
    await setSetting("threads", undefined);
    await setSetting("chat.maxAnswerTokens", undefined);
    await vscode.commands.executeCommand("slm.newChat");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("opens no socket, HTTP request or DNS lookup while loading the model, completing, chatting and asked to download", async () => {
    assert.equal(vscode.workspace.getConfiguration("slm").get("allowNetwork"), false, "slm.allowNetwork defaults to off");
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    // Frames of the extension's bundle (or its sources, if source maps rewrite stacks) and of the
    // libraries it ships (node-llama-cpp); not this test's own.
    const ours = ["dist", "src", path.join("node_modules", "node-llama-cpp"), path.join("node_modules", "@node-llama-cpp")].map(
      (folder) => path.join(extensionPath, folder) + path.sep,
    );
    const calls: string[] = [];
    const undo = [
      observe(net.Socket.prototype, "connect", calls),
      observe(http, "request", calls),
      observe(http, "get", calls),
      observe(https, "request", calls),
      observe(https, "get", calls),
      observe(tls, "connect", calls),
      observe(dns, "lookup", calls),
      observe(dns, "resolve", calls),
    ];
    try {
      // The observation works: a lookup of localhost (answered from the hosts file) is recorded.
      await new Promise((resolve) => dns.lookup("localhost", resolve));
      assert.equal(calls.length, 1, "the test's own lookup was observed");
      assert.match(calls[0]!, /network\.test\.js/);
      calls.length = 0;

      // The tiny model's answers are noise: keep them short, on one thread.
      await setSetting("chat.maxAnswerTokens", 16);
      await setSetting("threads", 1);
      await setSetting("modelPath", models.tiny);
      await vscode.commands.executeCommand("slm.reloadModel");
      await waitUntil(api, (s) => s.kind === "ready" && s.modelPath === models.tiny, "ready after the reload");

      const document = await vscode.workspace.openTextDocument({ content: "def add(a, b):\n    return ", language: "python" });
      const editor = await vscode.window.showTextDocument(document);
      editor.selection = new vscode.Selection(1, 11, 1, 11);
      const callsBefore = api.completion!.modelCalls();
      await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
      const started = Date.now();
      while (api.completion!.modelCalls() === callsBefore && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 25));
      assert.ok(api.completion!.modelCalls() > callsBefore, "the completion reached the model");

      const answer = await vscode.commands.executeCommand<{ text?: string } | undefined>("slm.openChat", { query: "What is a socket?" });
      assert.ok(answer, "the chat answered");
      await vscode.commands.executeCommand("slm.showRuntimeInfo");
      // Asking for a download with network use off is refused before anything is looked up.
      const download = await vscode.commands.executeCommand<{ status?: string } | undefined>("slm.downloadModel", { id: "qwen2.5-coder-0.5b-q8_0", use: "both" });
      assert.equal(download?.status, "refused", "the download was not refused");
    } finally {
      for (const restore of undo) restore();
    }
    const fromExtension = calls.filter((stack) => ours.some((prefix) => stack.includes(prefix)));
    assert.deepEqual(fromExtension, [], "network calls made by the extension or its libraries");
  });

  it("slm.showRuntimeInfo says which model file (with its SHA-256), backend, threads and context size run, and network: off", async () => {
    await waitUntil(api, (s) => s.kind === "ready" && s.modelPath === models.tiny, "ready with the tiny model");
    const report = await vscode.commands.executeCommand<string>("slm.showRuntimeInfo");
    const sha256 = createHash("sha256").update(fs.readFileSync(models.tiny)).digest("hex");
    const state = api.state();
    assert.ok(report.includes(`- Model file: \`${models.tiny}\``), report);
    assert.ok(report.includes(`- SHA-256: ${sha256}`), report);
    assert.ok(report.includes(`- Backend: ${state.gpu}`), report);
    assert.ok(report.includes(`- Threads: ${state.threads}`), report);
    assert.ok(report.includes(`- Context size: ${state.contextSize} tokens per lane`), report);
    assert.ok(report.includes("- network: off"), report);
    const shown = vscode.workspace.textDocuments.find((d) => d.uri.scheme === "slm-runtime");
    assert.equal(shown?.getText(), report, "the report's document");
    // A read-only document: closing it never asks "Save changes?".
    assert.equal(shown.isUntitled, false, "the report is an Untitled file");
    assert.equal(shown.isDirty, false, "the report is an unsaved document");
    assert.equal(shown.languageId, "markdown");
    // Shown rendered: the active tab is VS Code's Markdown preview.
    const previewTabs = (): vscode.Tab[] =>
      vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(tab.input.viewType));
    // The first preview activates VS Code's Markdown extension: its tab can come a moment after the command.
    const isPreview = (tab: vscode.Tab | undefined): boolean => tab?.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(tab.input.viewType);
    for (const started = Date.now(); !isPreview(vscode.window.tabGroups.activeTabGroup.activeTab) && Date.now() - started < 15_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const active = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(isPreview(active), `the active tab is ${active?.label}`);

    // Shown again after a change, the same tab shows the new report, not the old one.
    const threads = state.threads === 1 ? 2 : 1;
    await setSetting("threads", threads);
    await waitUntil(api, (s) => s.kind === "ready" && s.threads === threads, `ready with ${threads} threads`);
    const again = await vscode.commands.executeCommand<string>("slm.showRuntimeInfo");
    assert.ok(again.includes(`- Threads: ${threads}`), again);
    assert.equal(shown.getText(), again, "the document kept the old report");
    assert.equal(previewTabs().length, 1, "a second report opened another tab");
    for (const tab of previewTabs()) await vscode.window.tabGroups.close(tab);
  });
});
