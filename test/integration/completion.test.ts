import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { CompletionApi, SlmApi } from "../../src/api";
import { toCompletionRequest } from "../../src/completion/editor/request";
import type { CompletionActivity } from "../../src/completion/editor/statusItem";
import { scriptedModel } from "../support/models";
import { extensionApi, setSetting, waitForReady, waitUntil } from "./helpers";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "slm-completion-"));

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let fileCount = 0;

/**
 * Opens `content` in an editor, from a new file: untitled documents reuse the name "Untitled-1",
 * and a new one opened right after the old one closed could come back with the old text.
 */
async function openEditor(content: string, languageId = "typescript"): Promise<vscode.TextEditor> {
  const extension = languageId === "markdown" ? "md" : "ts";
  const file = path.join(scratch, `case-${++fileCount}.${extension}`);
  fs.writeFileSync(file, content);
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const editor = await vscode.window.showTextDocument(document);
  await until(() => (vscode.window.activeTextEditor?.document === document ? true : undefined), "the new editor to be active");
  const end = document.lineAt(document.lineCount - 1).range.end;
  editor.selection = new vscode.Selection(end, end);
  return editor;
}

function activityAfter(completion: CompletionApi, previous: CompletionActivity, match: (a: CompletionActivity) => boolean): Promise<CompletionActivity> {
  return until(() => {
    const now = completion.activity();
    return now !== previous && match(now) ? now : undefined;
  }, "the completion status to change");
}

describe("Inline completion in the editor", function () {
  this.timeout(90_000);
  let api: SlmApi;
  let completion: CompletionApi;

  before(async () => {
    api = await extensionApi();
    assert.ok(api.completion, "the API exposes completion");
    completion = api.completion;
    const model = await scriptedModel("computeTotal(items);");
    // Tiny models run far faster on one thread than on two busy cores.
    await setSetting("threads", 1);
    await setSetting("modelPath", model);
    await waitForReady(api, model, "the scripted completion model");
  });

  after(() => setSetting("threads", undefined));

  afterEach(async () => {
    await setSetting("completion.enabled", undefined);
    await setSetting("completion.languages", undefined);
    // Untitled documents with text are dirty: "close all" would stop at a save prompt and leave
    // them open (and focused), so revert and close each instead.
    for (let i = 0; i < 20 && vscode.window.activeTextEditor; i++) {
      await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    }
  });

  it("answers an explicit request (Alt+\\) with the model's suggestion", async () => {
    await openEditor("const total = ");
    const before = completion.activity();
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    const shown = await activityAfter(completion, before, (a) => a.kind === "shown" || a.kind === "dropped");
    assert.equal(shown.kind, "shown", JSON.stringify(shown));
    assert.equal(shown.kind === "shown" && shown.text, "computeTotal(items);");
    // Tab accepting the ghost text needs a focused browser window: the end-to-end test covers it.
  });

  it("typing the suggested characters is served from the cache with no model call", async () => {
    await openEditor("const sum = ");
    const before = completion.activity();
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    await activityAfter(completion, before, (a) => a.kind === "shown");
    const calls = completion.modelCalls();
    const shownBefore = completion.activity();
    await vscode.commands.executeCommand("type", { text: "comp" });
    const next = await activityAfter(completion, shownBefore, (a) => a.kind === "shown");
    assert.equal(next.kind === "shown" && next.fromCache, true, JSON.stringify(next));
    assert.equal(completion.modelCalls(), calls, "no model call while typing as suggested");
  });

  it("still completes after SLM: Reload Model (nothing of the disposed model is reused)", async () => {
    await openEditor("const first = ");
    let before = completion.activity();
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    await activityAfter(completion, before, (a) => a.kind === "shown");

    await vscode.commands.executeCommand("slm.reloadModel");
    await waitUntil(api, (s) => s.kind === "ready", "ready after the reload");
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    await openEditor("const second = ");
    before = completion.activity();
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    const after = await activityAfter(completion, before, (a) => a.kind === "shown" || a.kind === "dropped");
    assert.equal(after.kind, "shown", JSON.stringify(after));
  });

  it("a request at a place the document no longer has (a selection trailing a change) reads the document as it is now", async () => {
    const editor = await openEditor("line one\nline two\nline three");
    const request = toCompletionRequest(editor.document, new vscode.Position(40, 3), false);
    assert.deepEqual(request.cursor, { line: 2, character: 10 });
    await editor.edit((edit) => edit.delete(new vscode.Range(0, 8, 2, 10)));
    assert.equal(request.text.lineAt(1), "", "a line removed since reads as empty, instead of throwing");
  });

  it("warms up in a file the user can type in, never in the runtime report (read-only, generated)", async () => {
    const before = completion.warmUps();
    await openEditor("export function total(items: number[]) {\n  return ");
    await until(() => (completion.warmUps() > before ? true : undefined), "a warm-up in the file");
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // any warm-up the file's own events scheduled
    await vscode.commands.executeCommand("slm.showRuntimeInfo");
    // Shown rendered; its source opened in an editor, where a cursor can move.
    const source = await until(() => vscode.workspace.textDocuments.find((d) => d.uri.scheme === "slm-runtime"), "the runtime report");
    const editor = await vscode.window.showTextDocument(source);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // any warm-up the file's editor scheduled as it was hidden
    const afterFile = completion.warmUps();
    editor.selection = new vscode.Selection(new vscode.Position(2, 0), new vscode.Position(2, 0));
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the 400 ms pause, twice over
    assert.equal(completion.warmUps(), afterFile, "no warm-up in the runtime report");
  });

  it("says it is off when completion is disabled, and suggests nothing while typing", async () => {
    await setSetting("completion.enabled", false);
    await openEditor("let x = ");
    await until(() => (completion.activity().kind === "off" ? true : undefined), "the status to say off");
    const calls = completion.modelCalls();
    await vscode.commands.executeCommand("type", { text: "a" });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(completion.modelCalls(), calls);
    assert.equal(completion.activity().kind, "off");
  });

  it("says why when the language is switched off", async () => {
    await setSetting("completion.languages", ["!markdown"]);
    await openEditor("# Notes\n\nSome text ", "markdown");
    const before = completion.activity();
    await vscode.commands.executeCommand("type", { text: "a" });
    const dropped = await activityAfter(completion, before, (a) => a.kind === "dropped");
    assert.equal(dropped.kind === "dropped" && dropped.reason, "languageDisabled");
  });

  it("does not auto-trigger with text right of the cursor, and says so", async () => {
    // A space after the cursor: VS Code itself does not ask providers in the middle of a word.
    const editor = await openEditor("call( firstArgument, secondArgument)");
    const inside = new vscode.Position(0, 5);
    editor.selection = new vscode.Selection(inside, inside);
    // The selection reaches the editor asynchronously; type only once the cursor is really there.
    await until(() => (vscode.window.activeTextEditor?.selection.active.isEqual(inside) ? true : undefined), "the cursor to move");
    await new Promise((r) => setTimeout(r, 300));
    const before = completion.activity();
    const calls = completion.modelCalls();
    await vscode.commands.executeCommand("type", { text: "x" });
    const next = await activityAfter(completion, before, (a) => a.kind === "dropped" || a.kind === "shown");
    const text = editor.document.lineAt(0).text;
    assert.equal(next.kind === "dropped" && next.reason, "textRightOfCursor", `${JSON.stringify(next)} with line "${text}"`);
    assert.equal(completion.modelCalls(), calls);
  });

  it("never inserts a stale suggestion when another extension edits the document during the request", async () => {
    // A model that writes ~2,000 characters gives the edit time to land mid-request.
    const long = Array.from({ length: 100 }, (_, i) => `  values[${i}] = ${i} * factor;`).join("\n");
    const model = await scriptedModel(long);
    await setSetting("completion.maxTokens", 512);
    await setSetting("modelPath", model);
    await waitForReady(api, model, "the long scripted model");
    try {
      const editor = await openEditor("function fill(values: number[], factor: number) {\n");
      const before = completion.activity();
      await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
      await new Promise((r) => setTimeout(r, 30));
      const edit = new vscode.WorkspaceEdit();
      edit.insert(editor.document.uri, new vscode.Position(0, 0), "// edited by another extension\n");
      await vscode.workspace.applyEdit(edit);
      const outcome = await activityAfter(completion, before, (a) => a.kind === "dropped" || a.kind === "shown");
      const text = editor.document.getText();
      assert.ok(!text.includes("values[0]"), "nothing was inserted");
      assert.ok(outcome.kind === "dropped" ? ["stale", "cancelled"].includes(outcome.reason) : true, JSON.stringify(outcome));
    } finally {
      await setSetting("completion.maxTokens", undefined);
      const restore = await scriptedModel("computeTotal(items);");
      await setSetting("modelPath", restore);
      await waitForReady(api, restore, "the scripted completion model again");
    }
  });
});
