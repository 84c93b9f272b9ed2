// Edit selection by instruction inside the real extension host, with a scripted chat model that
// answers prose around a fenced rewrite with two changes (test/support/scriptedAnswers.ts).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { EditOutcome } from "../../src/edit/editor/editFeature";
import { EDIT_REWRITE, EDIT_SOURCE } from "../support/scriptedAnswers";
import { extensionApi, setSetting, testModels, waitUntil } from "./helpers";
import { report } from "./report";

/** Lines 3–8 of EDIT_SOURCE: the two functions the model rewrites. */
const SELECTION = new vscode.Selection(2, 0, 8, 0);
const REGION = EDIT_SOURCE.split("\n").slice(2, 8).join("\n") + "\n";
const REWRITTEN_FILE = EDIT_SOURCE.replace(REGION, EDIT_REWRITE);

let fileCount = 0;

async function openFixture(content = EDIT_SOURCE): Promise<{ editor: vscode.TextEditor; file: string }> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(folder, "the tests run with a workspace folder");
  const file = path.join(folder, `edit-fixture-${process.pid}-${++fileCount}.py`);
  fs.writeFileSync(file, content);
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  editor.selection = SELECTION;
  return { editor, file };
}

function proposalTab(outcome: EditOutcome): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .find((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === outcome.proposalUri);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  // Generous: VS Code applies a virtual document's new text through its editor worker, which a
  // loaded CI machine has made take over 5 s.
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function edit(instruction = "add type hints"): Thenable<EditOutcome | undefined> {
  return vscode.commands.executeCommand<EditOutcome | undefined>("slm.editSelection", { instruction });
}

describe("Edit selection by instruction (extension host, scripted model)", function () {
  this.timeout(120_000);
  const models = testModels();

  before(async function () {
    if (!models.edit) this.skip();
    const api = await extensionApi();
    await setSetting("threads", 1);
    await setSetting("chat.modelPath", models.edit);
    await waitUntil(api, (s) => s.kind === "ready" && s.lanes?.chat?.path === models.edit && s.threads === 1, "ready with the edit model");
  });

  after(async () => {
    await setSetting("chat.modelPath", undefined);
    await setSetting("threads", undefined);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("shows the rewrite without the model's fences and prose in a diff, and changes nothing in the file", async () => {
    const { editor, file } = await openFixture();
    const started = performance.now();
    const outcome = await edit();
    assert.ok(outcome, "no rewrite");
    report(`edit selection with the scripted model: ${(performance.now() - started).toFixed(0)} ms to a complete proposal`);
    assert.equal(outcome.proposal, EDIT_REWRITE);
    assert.equal(outcome.changes, 2);
    const tab = proposalTab(outcome);
    assert.ok(tab, "no diff editor for the proposal");
    assert.equal((tab.input as vscode.TabInputTextDiff).original.toString(), editor.document.uri.toString());
    const proposal = await vscode.workspace.openTextDocument(vscode.Uri.parse(outcome.proposalUri));
    // The diff's document follows the proposal a moment after it changes.
    await until(() => proposal.getText() === REWRITTEN_FILE, "the diff shows the rewrite").catch(() => assert.equal(proposal.getText(), REWRITTEN_FILE));
    assert.equal(editor.document.getText(), EDIT_SOURCE);
    assert.equal(editor.document.isDirty, false);
    assert.equal(fs.readFileSync(file, "utf8"), EDIT_SOURCE);
    await vscode.commands.executeCommand("slm.edit.rejectAll");
  });

  it("accept applies the rewrite; one undo restores the original", async () => {
    const { editor } = await openFixture();
    const outcome = await edit();
    assert.ok(outcome);
    assert.equal(await vscode.commands.executeCommand<boolean>("slm.edit.acceptAll"), true);
    assert.equal(editor.document.getText(), REWRITTEN_FILE);
    await until(() => proposalTab(outcome) === undefined, "the diff closes");
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand("undo");
    assert.equal(editor.document.getText(), EDIT_SOURCE);
  });

  it("reject leaves the file byte-identical and closes the diff", async () => {
    const { editor, file } = await openFixture();
    const before = fs.readFileSync(file);
    const outcome = await edit();
    assert.ok(outcome);
    await vscode.commands.executeCommand("slm.edit.rejectAll");
    await until(() => proposalTab(outcome) === undefined, "the diff closes");
    assert.equal(editor.document.isDirty, false);
    assert.equal(editor.document.getText(), EDIT_SOURCE);
    assert.ok(fs.readFileSync(file).equals(before), "the file on disk changed");
  });

  it("change by change: reject the first change, accept the rest", async () => {
    const { editor } = await openFixture();
    const outcome = await edit();
    assert.ok(outcome);
    assert.equal(await vscode.commands.executeCommand<boolean>("slm.edit.rejectChange", 0), true);
    assert.equal(await vscode.commands.executeCommand<boolean>("slm.edit.acceptAll"), true);
    const text = editor.document.getText();
    assert.match(text, /^def add\(a, b\):$/m, "the rejected change was applied");
    assert.match(text, /^def sub\(a: int, b: int\) -> int:$/m, "the accepted change is missing");
  });

  it("accepting one change edits only that change's lines", async () => {
    const { editor } = await openFixture();
    const outcome = await edit();
    assert.ok(outcome);
    assert.equal(await vscode.commands.executeCommand<boolean>("slm.edit.acceptChange", 1), true);
    assert.match(editor.document.getText(), /^def add\(a, b\):$/m);
    assert.match(editor.document.getText(), /^def sub\(a: int, b: int\) -> int:$/m);
    assert.ok(proposalTab(outcome), "the diff closed with a change still open");
    await vscode.commands.executeCommand("slm.edit.rejectAll");
  });

  it("refuses a huge selection with a sentence, before asking the model", async () => {
    const huge = "total += item.price * item.count\n".repeat(1_000);
    const { editor } = await openFixture(huge);
    editor.selection = new vscode.Selection(0, 0, 1_000, 0);
    const warnings: string[] = [];
    const original = vscode.window.showWarningMessage;
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = (message: string) => {
      warnings.push(message);
      return Promise.resolve(undefined);
    };
    try {
      assert.equal(await edit(), undefined);
    } finally {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /The selection is [\d,]+ tokens: too large to rewrite here\. .*Select a smaller part of the code\./);
  });
});
