// The commit message command with a real git repository in the test's temp folder, read through
// the built-in Git extension's API, and a scripted chat model that answers a fenced message.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMIT_MESSAGE } from "../support/scriptedAnswers";
import { extensionApi, setSetting, testModels, waitUntil } from "./helpers";
import { report } from "./report";

interface Repository {
  readonly inputBox: { value: string };
}
interface GitApi {
  openRepository(root: vscode.Uri): Promise<Repository | null>;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" });
}

describe("Commit message from the staged diff (extension host, real git repository)", function () {
  this.timeout(120_000);
  const models = testModels();
  let root: string;
  let repository: Repository;

  before(async function () {
    if (!models.commit) this.skip();
    try {
      execFileSync("git", ["--version"]);
    } catch {
      this.skip();
    }
    const gitExtension = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>("vscode.git");
    if (!gitExtension) this.skip();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "slm-commit-"));
    git(root, "init", "-q", "-b", "main");
    git(root, "config", "user.email", "test@example.invalid");
    git(root, "config", "user.name", "Test");
    fs.writeFileSync(path.join(root, "math.py"), "def add(a, b):\n    return a + b\n");
    git(root, "add", "math.py");
    git(root, "commit", "-q", "-m", "feat: add");
    fs.appendFileSync(path.join(root, "math.py"), "\n\ndef sub(a, b):\n    return a - b\n");
    git(root, "add", "math.py");
    fs.writeFileSync(path.join(root, "notes.txt"), "not staged\n");

    const api = (gitExtension.isActive ? gitExtension.exports : await gitExtension.activate()).getAPI(1);
    const opened = await api.openRepository(vscode.Uri.file(root));
    assert.ok(opened, "the Git extension did not open the test repository");
    repository = opened;

    const slm = await extensionApi();
    await setSetting("threads", 1);
    await setSetting("chat.modelPath", models.commit);
    await waitUntil(slm, (s) => s.kind === "ready" && s.lanes?.chat?.path === models.commit && s.threads === 1, "ready with the commit message model");
  });

  after(async () => {
    await setSetting("chat.modelPath", undefined);
    await setSetting("threads", undefined);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("writes the model's message, without its fences, into the commit box", async () => {
    repository.inputBox.value = "";
    const started = performance.now();
    const message = await vscode.commands.executeCommand<string | undefined>("slm.commitMessage", { rootUri: vscode.Uri.file(root) });
    report(`commit message with the scripted model: ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(message, COMMIT_MESSAGE);
    assert.equal(repository.inputBox.value, COMMIT_MESSAGE);
    // Nothing was committed or staged by us.
    assert.equal(git(root, "log", "--oneline").trim().split("\n").length, 1);
    assert.match(git(root, "status", "--porcelain"), /^M {2}math\.py$/m);
  });

  it("with nothing staged, says so and leaves the commit box alone", async () => {
    git(root, "reset", "-q");
    // The commit box's value echoes back from the workbench a moment after each write: let the
    // last test's writes settle before writing our own.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    repository.inputBox.value = "my own words";
    const infos: string[] = [];
    const original = vscode.window.showInformationMessage;
    (vscode.window as { showInformationMessage: unknown }).showInformationMessage = (text: string) => {
      infos.push(text);
      return Promise.resolve(undefined);
    };
    try {
      assert.equal(await vscode.commands.executeCommand("slm.commitMessage", { rootUri: vscode.Uri.file(root) }), undefined);
    } finally {
      (vscode.window as { showInformationMessage: unknown }).showInformationMessage = original;
    }
    assert.match(infos.join("\n"), /nothing is staged/);
    assert.equal(repository.inputBox.value, "my own words");
  });
});
